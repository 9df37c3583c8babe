"""Log filters that keep the operator's default log to what happened, one line each.

Kopf logs some expected, retried API errors with a traceback, and a "succeeded" line for every
event a watching handler sees; these filters shorten the first and hide the second unless the
operator runs with `--verbose` or `--debug`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from kopf._cogs.clients.errors import APIError as KopfApiError  # not re-exported by kopf


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

    def __init__(self, watching: Iterable[str] = ("remember_agent",)) -> None:
        super().__init__()
        # Kopf's handler ids are the functions' names.
        self.quiet = frozenset(f"Handler {name!r} succeeded." for name in watching)

    def filter(self, record: logging.LogRecord) -> bool:
        # Only strings are looked up: a message may be any object, even an unhashable one.
        return not (isinstance(record.msg, str) and record.msg in self.quiet)
