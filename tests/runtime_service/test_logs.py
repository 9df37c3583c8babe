"""JSON logs: one object per line, the caller's fields, the current trace, no secret."""

import io
import json
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from agent_runtime.logs import configure_logging, logger

from .logcapture import captured_logs


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    with captured_logs("DEBUG") as stream:
        yield stream


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_record_is_one_json_line_with_its_fields(captured: io.StringIO) -> None:
    logger.info("Served chat completion", extra={"fields": {"status": 200, "tool_calls": 1}})
    (line,) = lines(captured)
    assert line["message"] == "Served chat completion"
    assert line["level"] == "info"
    assert line["logger"] == "agent_runtime"
    assert line["status"] == 200
    assert line["tool_calls"] == 1
    assert "time" in line


def test_a_record_carries_the_current_trace_and_span(captured: io.StringIO) -> None:
    context = SpanContext(
        trace_id=0x0AF7651916CD43DD8448EB211C80319C,
        span_id=0x00F067AA0BA902B7,
        is_remote=False,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
    with trace.use_span(NonRecordingSpan(context)):
        logger.info("Served chat completion")
    (line,) = lines(captured)
    assert line["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert line["span_id"] == "00f067aa0ba902b7"


def test_a_record_outside_any_span_has_no_trace_id(captured: io.StringIO) -> None:
    logger.info("Started agent runtime")
    assert "trace_id" not in lines(captured)[0]


def test_an_exception_is_logged_with_its_type(captured: io.StringIO) -> None:
    try:
        raise KeyError("x")
    except KeyError:
        logger.exception("Failed to serve request")
    (line,) = lines(captured)
    assert line["error_type"] == "KeyError"
    assert "Traceback" in str(line["traceback"])


def test_configuring_twice_does_not_duplicate_lines(captured: io.StringIO) -> None:
    configure_logging("INFO", captured)
    logger.info("Stopped agent runtime")
    assert len(lines(captured)) == 1
