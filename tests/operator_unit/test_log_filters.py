"""The default log's filter drops only the watching handlers' success lines, whatever is logged."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from agent_operator.logfilters import QuietWatchHandlers


def record(msg: Any) -> logging.LogRecord:
    return logging.LogRecord("kopf.objects", logging.INFO, __file__, 1, msg, None, None)


@pytest.mark.parametrize("handler", ["remember_agent"])
def test_the_watching_handlers_success_is_dropped(handler: str) -> None:
    assert QuietWatchHandlers().filter(record(f"Handler {handler!r} succeeded.")) is False


@pytest.mark.parametrize(
    "msg",
    [
        "Handler 'on_create' succeeded.",
        "Handler 'remember_agent' failed with an exception and will try again in 1 seconds: x",
        "Creation is processed: 1 succeeded; 0 failed.",
        {"an": "unhashable message"},
        ["another"],
    ],
)
def test_everything_else_is_kept(msg: Any) -> None:
    assert QuietWatchHandlers().filter(record(msg)) is True
