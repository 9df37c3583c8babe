"""The runtime's JSON log lines captured in memory, and the root logger put back afterwards."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator

from agent_runtime.logs import configure_logging


@contextlib.contextmanager
def captured_logs(level: str = "INFO") -> Iterator[io.StringIO]:
    """`configure_logging(level)` into a buffer; the root logger's handlers restored at exit."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    stream = io.StringIO()
    configure_logging(level, stream)
    try:
        yield stream
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved_handlers:
            root.addHandler(handler)
        root.setLevel(saved_level)
