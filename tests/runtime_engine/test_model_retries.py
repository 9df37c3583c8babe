"""Model calls through the real SDK: retries on 429 and 5xx, and failures that end a request."""

from __future__ import annotations

import pytest

from agent_runtime.errors import loop_error_status
from agent_runtime.loop import LoopError
from agent_runtime.mockllm import MockLLM
from agent_runtime.telemetry import Metrics
from tests.runtime_engine.fixtures import AgentFactory, ConfigFactory
from tests.runtime_engine.test_loop_turns import USER


async def test_a_429_with_retry_after_is_retried_then_the_request_succeeds(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory, metrics: Metrics
) -> None:
    mock_llm.fail_next(status=429, retry_after=0.1, times=2)
    agent = await make_agent(make_config())
    result = await agent.complete(USER)
    assert result.message["content"] == "You said: What is the weather in Paris?"
    assert len(mock_llm.completions) == 3
    assert metrics.value("agent_retries_total", {"target": "model"}) == 2


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_a_server_error_is_retried_then_the_request_succeeds(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory, status: int
) -> None:
    mock_llm.fail_next(status=status)
    agent = await make_agent(make_config())
    result = await agent.complete(USER)
    assert result.finish_reason == "stop"
    assert len(mock_llm.completions) == 2


async def test_a_model_failing_on_every_attempt_fails_the_request_with_the_reason(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory, metrics: Metrics
) -> None:
    mock_llm.fail_next(status=503, times=10)
    agent = await make_agent(make_config())
    with pytest.raises(LoopError) as caught:
        await agent.complete(USER)
    assert (loop_error_status(caught.value), caught.value.code) == (502, "model_error")
    assert caught.value.message == "model mock-large answered HTTP 503 after 3 attempts"
    assert len(mock_llm.completions) == 3
    assert metrics.value("agent_model_calls_total", {"model": "mock-large", "outcome": "http"}) == 1


async def test_a_client_error_is_not_retried(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    mock_llm.fail_next(status=400)
    agent = await make_agent(make_config())
    with pytest.raises(LoopError) as caught:
        await agent.complete(USER)
    assert caught.value.code == "model_error"
    assert "answered HTTP 400 after 1 attempt" in caught.value.message
    assert len(mock_llm.completions) == 1


async def test_a_dropped_connection_is_retried(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    mock_llm.drop_next()
    agent = await make_agent(make_config())
    result = await agent.complete(USER)
    assert result.finish_reason == "stop"
    assert len(mock_llm.completions) == 2


async def test_connections_dropped_on_every_attempt_fail_the_request_naming_it(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    mock_llm.drop_next(times=3)
    agent = await make_agent(make_config())
    with pytest.raises(LoopError) as caught:
        await agent.complete(USER)
    assert caught.value.message == "model mock-large dropped the connection after 3 attempts"


async def test_a_malformed_body_fails_the_request_as_a_model_error(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    mock_llm.malform_next()
    agent = await make_agent(make_config())
    with pytest.raises(LoopError) as caught:
        await agent.complete(USER)
    assert (loop_error_status(caught.value), caught.value.code) == (502, "model_error")
    assert caught.value.message == "model mock-large sent a malformed response"


async def test_a_model_slower_than_its_timeout_fails_with_model_timeout(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    mock_llm.delay_next(3, times=2)
    config = make_config(model={"timeoutSeconds": 0.3, "retry": {"attempts": 2}})
    agent = await make_agent(config)
    with pytest.raises(LoopError) as caught:
        await agent.complete(USER)
    assert (loop_error_status(caught.value), caught.value.code) == (504, "model_timeout")
    assert caught.value.message == "model mock-large timed out after 0.3s after 2 attempts"
