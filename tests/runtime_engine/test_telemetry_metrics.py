"""Prometheus metrics of the loop: model calls, tokens, tool calls, retries."""

from __future__ import annotations

from prometheus_client import generate_latest

from agent_runtime.mockllm import MockLLM
from agent_runtime.telemetry import Metrics
from tests.runtime_engine.fixtures import AgentFactory, ConfigFactory, ToolServer
from tests.runtime_engine.test_loop_turns import USER, weather_tool


async def test_model_calls_tokens_and_tool_calls_are_counted(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
    metrics: Metrics,
) -> None:
    agent = await make_agent(make_config(tools=[weather_tool(f"{tool_server.url}/weather")]))
    result = await agent.complete(USER)
    assert metrics.value("agent_model_calls_total", {"model": "mock-large", "outcome": "ok"}) == 2
    assert metrics.value("agent_model_call_duration_seconds_count", {"model": "mock-large"}) == 2
    assert metrics.value("agent_tokens_total", {"direction": "input"}) == result.usage.prompt_tokens
    assert metrics.value("agent_tokens_total", {"direction": "output"}) == (
        result.usage.completion_tokens
    )
    assert metrics.value("agent_tool_calls_total", {"tool": "get_weather", "outcome": "ok"}) == 1
    assert metrics.value("agent_tool_call_duration_seconds_count", {"tool": "get_weather"}) == 1


async def test_tool_retries_are_counted_per_tool(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
    metrics: Metrics,
) -> None:
    tool_server.fail_next(503)
    tool = weather_tool(f"{tool_server.url}/weather", retry={"initialBackoffSeconds": 0.01})
    agent = await make_agent(make_config(tools=[tool]))
    await agent.complete(USER)
    assert metrics.value("agent_retries_total", {"target": "tool:get_weather"}) == 1
    assert metrics.value("agent_retries_total", {"target": "model"}) == 0


def test_every_metric_of_the_runtime_is_exposed_from_one_registry() -> None:
    text = generate_latest(Metrics().registry).decode()
    for name in (
        "agent_requests_total",
        "agent_request_duration_seconds",
        "agent_model_calls_total",
        "agent_model_call_duration_seconds",
        "agent_tokens_total",
        "agent_tool_calls_total",
        "agent_tool_call_duration_seconds",
        "agent_retries_total",
    ):
        assert f"# TYPE {name} " in text


def test_two_metrics_objects_do_not_share_counts() -> None:
    first, second = Metrics(), Metrics()
    first.requests.labels(status="200").inc()
    assert first.value("agent_requests_total", {"status": "200"}) == 1
    assert second.value("agent_requests_total", {"status": "200"}) == 0
