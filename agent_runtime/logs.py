"""Structured logs: one JSON object per line on stdout, for a cluster's log pipeline.

Every record carries the time, level, logger, a capitalised past-tense message and the trace
and span ids of the current OpenTelemetry span, so a log line leads to its trace. Callers add
fields with `extra={"fields": {...}}`. Nothing here reads secrets or message content: what a
line may carry is decided where it is logged (see `app.py`), content only when
`observability.logContent` is set.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO, Any

from opentelemetry import trace

#: The logger of the HTTP service; the engine logs under its own module names.
logger = logging.getLogger("agent_runtime")

#: The attribute that `extra={"fields": ...}` sets on a record.
FIELDS_ATTRIBUTE = "fields"


class JsonFormatter(logging.Formatter):
    """Formats a record as one line of JSON."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        span_context = trace.get_current_span().get_span_context()
        if span_context.is_valid:
            line["trace_id"] = format(span_context.trace_id, "032x")
            line["span_id"] = format(span_context.span_id, "016x")
        fields = getattr(record, FIELDS_ATTRIBUTE, None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info is not None and record.exc_info[0] is not None:
            line["error_type"] = record.exc_info[0].__name__
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


def configure_logging(level: str | int = "INFO", stream: IO[str] | None = None) -> None:
    """Send every log record of the process, uvicorn's included, as JSON lines to `stream`.

    Replaces the root logger's handlers, so calling it again (as tests do) does not duplicate
    lines. uvicorn's access log is silenced: the runtime logs one richer line per request.
    """
    handler = logging.StreamHandler(stream if stream is not None else sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    # HTTP clients log every request URL at INFO: a GET tool's arguments are in its query, and
    # content stays out of logs unless asked for. Their warnings and errors still come through.
    for name in ("httpx", "httpx2", "httpcore", "httpcore2"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
