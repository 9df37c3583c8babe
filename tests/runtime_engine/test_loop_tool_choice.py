"""`tool_choice`: every value the chat completions API defines is honoured, or refused."""

from __future__ import annotations

from typing import Any

import pytest

from agent_runtime.loop import LoopError, RequestOptions
from agent_runtime.mockllm import MockLLM
from tests.runtime_engine.fixtures import AgentFactory, ConfigFactory, ToolServer
from tests.runtime_engine.test_loop_turns import USER, weather_tool


def two_tools(url: str) -> list[dict[str, Any]]:
    forecast = weather_tool(f"{url}/forecast")
    forecast["name"] = "get_forecast"
    return [weather_tool(f"{url}/weather"), forecast]


async def test_tool_choice_none_runs_no_tool_and_offers_none(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
) -> None:
    agent = await make_agent(make_config(tools=[weather_tool(f"{tool_server.url}/weather")]))
    result = await agent.complete(USER, RequestOptions(tool_choice="none"))
    assert tool_server.seen("/weather") == []
    assert (result.model_calls, result.tool_calls) == (1, 0)
    assert "tools" not in mock_llm.completions[0].body
    assert result.message["content"] == "You said: What is the weather in Paris?"


async def test_tool_choice_none_runs_no_tool_even_when_the_model_calls_one(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
) -> None:
    mock_llm.reply_tool_call("get_weather", {"city": "Oslo"})
    agent = await make_agent(make_config(tools=[weather_tool(f"{tool_server.url}/weather")]))
    await agent.complete(USER, RequestOptions(tool_choice="none"))
    assert tool_server.seen("/weather") == []
    refusal = mock_llm.completions[-1].messages[-1]
    assert refusal["role"] == "tool"
    assert "tool_choice is none" in refusal["content"]


async def test_tool_choice_auto_lets_the_model_call_a_tool(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
) -> None:
    agent = await make_agent(make_config(tools=[weather_tool(f"{tool_server.url}/weather")]))
    result = await agent.complete(USER, RequestOptions(tool_choice="auto"))
    assert len(tool_server.seen("/weather")) == 1
    assert mock_llm.completions[0].body["tool_choice"] == "auto"
    assert result.finish_reason == "stop"


@pytest.mark.parametrize("choice", ["any", "required"])
async def test_a_forced_tool_choice_holds_for_the_first_turn_then_the_model_may_answer(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
    choice: str,
) -> None:
    agent = await make_agent(make_config(tools=[weather_tool(f"{tool_server.url}/weather")]))
    result = await agent.complete(USER, RequestOptions(tool_choice=choice))
    assert len(tool_server.seen("/weather")) == 1
    sent = [request.body.get("tool_choice") for request in mock_llm.completions]
    assert sent == [choice, "auto"]
    assert result.message["content"].startswith("Tool results: get_weather")


async def test_a_named_function_is_the_tool_the_model_must_call(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
) -> None:
    agent = await make_agent(make_config(tools=two_tools(tool_server.url)))
    named = {"type": "function", "function": {"name": "get_forecast"}}
    result = await agent.complete(USER, RequestOptions(tool_choice=named))
    assert [r.path for r in tool_server.requests] == ["/forecast"]
    assert mock_llm.completions[0].body["tool_choice"] == named
    assert result.tool_calls == 1


async def test_a_named_function_the_agent_lacks_is_refused_naming_the_tools_it_has(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
) -> None:
    agent = await make_agent(make_config(tools=two_tools(tool_server.url)))
    named = {"type": "function", "function": {"name": "get_tides"}}
    with pytest.raises(LoopError) as caught:
        await agent.complete(USER, RequestOptions(tool_choice=named))
    assert caught.value.code == "invalid_tool_choice"
    assert "get_tides" in caught.value.message
    assert "get_forecast, get_weather" in caught.value.message
    assert mock_llm.completions == []


async def test_a_forced_tool_choice_on_an_agent_without_tools_is_refused(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    agent = await make_agent(make_config())
    with pytest.raises(LoopError) as caught:
        await agent.complete(USER, RequestOptions(tool_choice="required"))
    assert caught.value.code == "invalid_tool_choice"
    assert "has no tools" in caught.value.message
    assert mock_llm.completions == []
