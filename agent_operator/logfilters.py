"""How the operator's log reads: JSON lines by default, and filters that keep it to what happened.

Kopf logs some expected, retried API errors with a traceback, and a "succeeded" line for every
event a watching handler sees; the filters shorten the first and hide the second unless the
operator runs with `--verbose` or `--debug`. `JsonLines` writes each record as one JSON object
with the runtime's fields (`time`, `level`, `logger`, `message`), plus the `object` a line is
about, so one log pipeline reads both.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from kopf._cogs.clients.errors import APIError as KopfApiError  # not re-exported by kopf

#: The parts of Kopf's object reference (`k8s_ref`) a line keeps: enough to find the object.
OBJECT_FIELDS = ("kind", "namespace", "name")


class JsonLines(logging.Formatter):
    """One JSON object per record, with the same fields as the runtime's log lines."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        ref = getattr(record, "k8s_ref", None)
        if isinstance(ref, dict):
            line["object"] = {key: ref[key] for key in OBJECT_FIELDS if ref.get(key)}
        if record.exc_info is not None and record.exc_info[0] is not None:
            line["error_type"] = record.exc_info[0].__name__
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TransientApiErrorsInOneLine(logging.Filter):
    """Kopf logs a few API errors it then retries (a 409 on its own patch) with a traceback.

    An expected transient fault (conflict, throttling, server trouble) is one line that names
    it; the traceback is kept for everything else, where it helps.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, KopfApiError) and (exc.status in (409, 429) or exc.status >= 500):
            record.exc_info = None
            record.exc_text = None
        return True


class QuietWatchHandlers(logging.Filter):
    """Kopf logs "Handler 'x' succeeded." at INFO for every event a watching handler sees.

    The watching handlers see every event of every Agent and child: 7 of the 15 lines a new
    Agent wrote at the default level, none saying anything happened. What the operator did is
    logged by the reconcile ("Applied Deployment demo/weather"); these lines are kept for
    `--verbose` and `--debug`.
    """

    def __init__(
        self, watching: Iterable[str] = ("remember_agent", "keep_published_status")
    ) -> None:
        super().__init__()
        # Kopf's handler ids are the functions' names.
        self.quiet = frozenset(f"Handler {name!r} succeeded." for name in watching)

    def filter(self, record: logging.LogRecord) -> bool:
        # Only strings are looked up: a message may be any object, even an unhashable one.
        return not (isinstance(record.msg, str) and record.msg in self.quiet)
