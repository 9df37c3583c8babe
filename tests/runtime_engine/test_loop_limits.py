"""Limits stop a request with a LoopError that names the limit."""

from __future__ import annotations

import pytest

from agent_runtime.errors import loop_error_status
from agent_runtime.loop import LoopError
from agent_runtime.mockllm import MockLLM
from tests.runtime_engine.fixtures import AgentFactory, ConfigFactory, ToolServer
from tests.runtime_engine.test_loop_turns import USER, weather_tool


async def test_a_model_that_keeps_calling_tools_is_stopped_at_max_turns(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
) -> None:
    for _ in range(5):
        mock_llm.reply_tool_call("get_weather", {"city": "Paris"})
    config = make_config(tools=[weather_tool(f"{tool_server.url}/weather")], limits={"maxTurns": 3})
    agent = await make_agent(config)
    with pytest.raises(LoopError) as caught:
        await agent.complete(USER)
    assert (loop_error_status(caught.value), caught.value.code) == (422, "max_turns_exceeded")
    assert "limits.maxTurns=3" in caught.value.message
    assert len(mock_llm.completions) == 3


async def test_more_tool_calls_than_allowed_stop_the_request_before_any_runs(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
) -> None:
    mock_llm.reply_tool_call("get_weather", {"city": "Paris"})
    mock_llm.reply_tool_calls(("get_weather", {"city": "Rome"}), ("get_weather", {"city": "Oslo"}))
    config = make_config(
        tools=[weather_tool(f"{tool_server.url}/weather")], limits={"maxToolCalls": 2}
    )
    agent = await make_agent(config)
    with pytest.raises(LoopError) as caught:
        await agent.complete(USER)
    assert (loop_error_status(caught.value), caught.value.code) == (422, "max_tool_calls_exceeded")
    assert "limits.maxToolCalls=2" in caught.value.message
    assert [r.query["city"] for r in tool_server.seen("/weather")] == ["Paris"]


async def test_a_request_past_its_deadline_fails_with_request_timeout(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
) -> None:
    tool = weather_tool(f"{tool_server.url}/slow?seconds=10", timeoutSeconds=20)
    config = make_config(tools=[tool], limits={"requestTimeoutSeconds": 0.5})
    agent = await make_agent(config)
    with pytest.raises(LoopError) as caught:
        await agent.complete(USER)
    assert (loop_error_status(caught.value), caught.value.code) == (504, "request_timeout")
    assert "limits.requestTimeoutSeconds=0.5" in caught.value.message
