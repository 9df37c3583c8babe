"""One JSON log line per request: what was served, how, in which trace; no secret, no content."""

import io
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent_runtime.testing import SERVER_WAIT_SECONDS
from tests.runtime_service.conftest import (
    AGENT,
    MODEL_KEY,
    ConfigFactory,
    Runtime,
    serving,
)

from .logcapture import captured_logs

TOKEN = "log-test-token-93c1"
QUESTION = "Weather in Paris?"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    with captured_logs("INFO") as stream:
        yield stream


def served_line(output: io.StringIO, message: str) -> dict[str, Any]:
    """The first line with `message`; the line is written just after the response is sent."""
    deadline = time.monotonic() + SERVER_WAIT_SECONDS
    while time.monotonic() < deadline:
        for raw in output.getvalue().splitlines():
            line: dict[str, Any] = json.loads(raw)
            if line["message"] == message:
                return line
        time.sleep(0.01)
    raise AssertionError(f"no log line {message!r} in:\n{output.getvalue()}")


def ask(runtime: Runtime, **fields: Any) -> httpx.Response:
    return httpx.post(
        f"{runtime.url}/v1/chat/completions",
        json={"model": AGENT, "messages": [{"role": "user", "content": QUESTION}], **fields},
        headers={"authorization": f"Bearer {TOKEN}", "traceparent": TRACEPARENT},
        timeout=30,
    )


def guarded_config(make_config: ConfigFactory, tmp_path: Path, **overrides: Any) -> Any:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    return make_config(auth={"bearerToken": {"file": str(token_file)}}, **overrides)


def test_a_served_completion_is_logged_with_what_it_did(
    output: io.StringIO, make_config: ConfigFactory, weather_tool: dict[str, Any], tmp_path: Path
) -> None:
    with serving(guarded_config(make_config, tmp_path, tools=[weather_tool])) as runtime:
        assert ask(runtime).status_code == 200
        line = served_line(output, "Served chat completion")
    assert line["method"] == "POST"
    assert line["path"] == "/v1/chat/completions"
    assert line["status"] == 200
    assert line["duration_ms"] > 0
    assert line["model_calls"] == 2
    assert line["tool_calls"] == 1
    assert line["total_tokens"] == line["prompt_tokens"] + line["completion_tokens"]
    assert line["trace_id"] == TRACE_ID
    assert len(line["span_id"]) == 16


def test_logs_carry_no_secret_and_no_content_by_default(
    output: io.StringIO, make_config: ConfigFactory, tmp_path: Path
) -> None:
    with serving(guarded_config(make_config, tmp_path)) as runtime:
        ask(runtime)
        httpx.post(f"{runtime.url}/v1/chat/completions", json={}, timeout=10)
        served_line(output, "Served chat completion")
        served_line(output, "Refused request to /v1/chat/completions")
    everything = output.getvalue()
    assert TOKEN not in everything
    assert MODEL_KEY not in everything
    assert "Paris" not in everything


def test_content_is_logged_when_the_agent_asks_for_it(
    output: io.StringIO, make_config: ConfigFactory, tmp_path: Path
) -> None:
    config = guarded_config(make_config, tmp_path, observability={"logContent": True})
    with serving(config) as runtime:
        ask(runtime)
        line = served_line(output, "Served chat completion")
    assert line["request_messages"] == [{"role": "user", "content": QUESTION}]
    assert line["answer"] == f"You said: {QUESTION}"
    assert TOKEN not in output.getvalue()


def test_a_streamed_completion_is_logged_when_the_stream_ends(
    output: io.StringIO, make_config: ConfigFactory, tmp_path: Path
) -> None:
    with serving(guarded_config(make_config, tmp_path)) as runtime:
        assert ask(runtime, stream=True).text.endswith("data: [DONE]\n\n")
        line = served_line(output, "Served chat completion")
    assert line["stream"] is True
    assert line["finish_reason"] == "stop"
    assert line["total_tokens"] > 0


def test_a_refused_request_is_logged_as_refused(
    output: io.StringIO, make_config: ConfigFactory, tmp_path: Path
) -> None:
    with serving(guarded_config(make_config, tmp_path)) as runtime:
        httpx.post(f"{runtime.url}/v1/chat/completions", json={"messages": []}, timeout=10)
        line = served_line(output, "Refused request to /v1/chat/completions")
    assert line["status"] == 401


def test_a_streamed_answer_is_logged_when_the_agent_asks_for_it(
    output: io.StringIO, make_config: ConfigFactory, tmp_path: Path
) -> None:
    config = guarded_config(make_config, tmp_path, observability={"logContent": True})
    with serving(config) as runtime:
        ask(runtime, stream=True)
        line = served_line(output, "Served chat completion")
    assert line["answer"] == f"You said: {QUESTION}"
