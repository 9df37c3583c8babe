"""A misbehaving model, seen through the served API: retried, or a clear error, never a hang.

Each fault of the fake model (429 storms with Retry-After, 5xx, dropped connections, answers
slower than the timeouts, malformed bodies) either heals within the retry budget, or becomes
an HTTP error in the documented shape whose message names the reason, within the request's
timeout plus a small grace; and the runtime keeps serving afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from agent_runtime.mockllm import MockLLM, ScriptedReply
from tests.runtime_engine.fixtures import ConfigFactory, ToolServer
from tests.runtime_reliability.conftest import (
    ask,
    assert_error_shape,
    runtime_bound,
    sample,
    scrape,
    stream_events,
    wait_until,
)
from tests.runtime_service.conftest import Runtime, serving


@pytest.fixture
def runtime(make_config: ConfigFactory) -> Iterator[Runtime]:
    """The agent on the fake model: three attempts per model call, a 4 s request budget."""
    config = make_config(
        model={"timeoutSeconds": 1},
        limits={"requestTimeoutSeconds": 4},
    )
    with serving(config) as served:
        yield served


def still_serves(runtime: Runtime) -> None:
    """The process is alive and answers an ordinary request after the fault."""
    assert httpx.get(f"{runtime.url}/healthz", timeout=5).status_code == 200
    response = ask(runtime, "Still there?")
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"]


def test_a_short_429_storm_with_retry_after_is_absorbed_by_retries(
    runtime: Runtime, mock_llm: MockLLM
) -> None:
    mock_llm.fail_next(status=429, retry_after=0.1, times=2)
    response = ask(runtime)
    assert response.status_code == 200
    assert len(mock_llm.completions) == 3
    assert sample(scrape(runtime), "agent_retries_total", target="model") == 2.0


def test_a_429_storm_longer_than_the_retry_budget_is_a_clear_error(
    runtime: Runtime, mock_llm: MockLLM
) -> None:
    mock_llm.fail_next(status=429, retry_after=0.1, times=10)
    response = ask(runtime)
    assert response.status_code == 502
    body = assert_error_shape(response)
    assert body["code"] == "model_error"
    assert "answered HTTP 429 after 3 attempts" in body["message"]
    mock_llm.reset()
    still_serves(runtime)


def test_a_retry_after_beyond_the_request_timeout_ends_at_the_timeout(
    runtime: Runtime, mock_llm: MockLLM
) -> None:
    mock_llm.fail_next(status=429, retry_after=120, times=10)
    response = ask(runtime)
    assert response.status_code == 504
    body = assert_error_shape(response)
    assert body["code"] == "request_timeout"
    assert body["message"] == "the request exceeded limits.requestTimeoutSeconds=4"
    assert len(mock_llm.completions) == 1, "the model is not asked again before Retry-After"
    mock_llm.reset()
    still_serves(runtime)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_on_every_attempt_are_a_502_naming_the_status(
    runtime: Runtime, mock_llm: MockLLM, status: int
) -> None:
    mock_llm.fail_next(status=status, times=3)
    response = ask(runtime)
    assert response.status_code == 502
    body = assert_error_shape(response)
    assert body["type"] == "api_error"
    assert f"answered HTTP {status}" in body["message"]
    still_serves(runtime)


def test_a_dropped_connection_is_retried_and_the_request_succeeds(
    runtime: Runtime, mock_llm: MockLLM
) -> None:
    mock_llm.drop_next()
    assert ask(runtime).status_code == 200


def test_connections_dropped_on_every_attempt_are_a_502_saying_so(
    runtime: Runtime, mock_llm: MockLLM
) -> None:
    mock_llm.drop_next(times=3)
    response = ask(runtime)
    assert response.status_code == 502
    assert "dropped the connection" in assert_error_shape(response)["message"]
    still_serves(runtime)


def test_a_model_slower_than_its_call_timeout_is_a_504_model_timeout(
    runtime: Runtime, mock_llm: MockLLM
) -> None:
    mock_llm.delay_next(3, times=3)
    response = ask(runtime)
    assert response.status_code == 504
    body = assert_error_shape(response)
    assert body["code"] == "model_timeout"
    assert "timed out after 1s" in body["message"]
    mock_llm.reset()
    still_serves(runtime)


def test_a_model_slower_than_the_request_timeout_is_cut_at_the_request_timeout(
    make_config: ConfigFactory, mock_llm: MockLLM
) -> None:
    config = make_config(model={"timeoutSeconds": 30}, limits={"requestTimeoutSeconds": 1})
    with serving(config) as runtime:
        mock_llm.delay_next(20)
        response = ask(runtime)
        assert response.status_code == 504
        body = assert_error_shape(response)
        assert body["code"] == "request_timeout"
        assert "requestTimeoutSeconds=1" in body["message"]
        mock_llm.reset()
        still_serves(runtime)


def test_a_malformed_body_is_a_502_saying_it_was_malformed(
    runtime: Runtime, mock_llm: MockLLM
) -> None:
    mock_llm.malform_next(times=3)
    response = ask(runtime)
    assert response.status_code == 502
    assert "malformed" in assert_error_shape(response)["message"]
    mock_llm.reset()
    still_serves(runtime)


@pytest.mark.parametrize(
    ("inject", "status", "code"),
    [
        pytest.param(lambda m: m.fail_next(status=503, times=3), 502, "model_error", id="5xx"),
        pytest.param(lambda m: m.drop_next(times=3), 502, "model_error", id="drop"),
        pytest.param(lambda m: m.malform_next(times=3), 502, "model_error", id="malformed"),
        pytest.param(lambda m: m.delay_next(10, times=3), 504, "model_timeout", id="slow"),
    ],
)
def test_a_stream_whose_model_fails_before_any_token_is_an_http_error(
    runtime: Runtime, mock_llm: MockLLM, inject: Any, status: int, code: str
) -> None:
    inject(mock_llm)
    response = ask(runtime, stream=True)
    assert response.status_code == status
    body = assert_error_shape(response)
    assert body["type"] == "api_error"
    assert body["code"] == code
    mock_llm.reset()
    still_serves(runtime)


def test_a_stream_whose_model_fails_after_its_first_token_ends_with_an_error_chunk(
    make_config: ConfigFactory, mock_llm: MockLLM, tool_server: ToolServer
) -> None:
    tool = {
        "name": "lookup",
        "http": {"url": f"{tool_server.url}/slow?seconds=1", "retry": {"attempts": 1}},
    }
    config = make_config(tools=[tool], model={"retry": {"attempts": 1}})
    mock_llm.reply(ScriptedReply(content="Checking now.", tool_calls=(("lookup", {}),)))
    with serving(config) as runtime, ThreadPoolExecutor(1) as pool:
        asked = pool.submit(ask, runtime, stream=True)
        wait_until(lambda: bool(tool_server.seen("/slow")), "the tool to be called")
        mock_llm.fail_next(status=503)
        response = asked.result(timeout=runtime_bound(runtime))
        still_serves(runtime)
    assert response.status_code == 200
    events = stream_events(response)
    assert events[-1] == "[DONE]"
    last = events[-2]
    assert isinstance(last, dict)
    assert last["choices"][0]["finish_reason"] == "error"
    assert last["error"]["code"] == "model_error"
    assert "answered HTTP 503" in last["error"]["message"]
