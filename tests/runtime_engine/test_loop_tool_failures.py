"""Tool calls that go wrong give the model an error it can act on; the request goes on."""

from __future__ import annotations

import json

from agent_runtime.mockllm import MockLLM
from tests.runtime_engine.fixtures import AgentFactory, ConfigFactory, ToolServer
from tests.runtime_engine.test_loop_turns import USER, weather_tool


def last_tool_error(mock_llm: MockLLM) -> str:
    message = mock_llm.completions[-1].messages[-1]
    assert message["role"] == "tool"
    return str(json.loads(message["content"])["error"])


async def test_arguments_that_break_the_schema_are_refused_and_explained_to_the_model(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
) -> None:
    mock_llm.reply_tool_call("get_weather", {"city": 42})
    agent = await make_agent(make_config(tools=[weather_tool(f"{tool_server.url}/weather")]))
    result = await agent.complete(USER)
    error = last_tool_error(mock_llm)
    assert "arguments of tool get_weather" in error
    assert "at city: 42 is not of type 'string'" in error
    assert tool_server.seen("/weather") == []
    assert result.finish_reason == "stop"


async def test_arguments_that_are_not_json_are_refused_and_explained(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
) -> None:
    from agent_runtime.mockllm import ScriptedReply

    mock_llm.reply(ScriptedReply(tool_calls=(("get_weather", {}),)))
    agent = await make_agent(make_config(tools=[weather_tool(f"{tool_server.url}/weather")]))
    await agent.complete(USER)
    assert "at (root): 'city' is a required property" in last_tool_error(mock_llm)


async def test_an_unknown_tool_is_named_with_the_tools_that_exist(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
) -> None:
    mock_llm.reply_tool_call("get_forecast", {"city": "Rome"})
    agent = await make_agent(make_config(tools=[weather_tool(f"{tool_server.url}/weather")]))
    result = await agent.complete(USER)
    assert last_tool_error(mock_llm) == (
        "unknown tool 'get_forecast'; the available tools are: get_weather"
    )
    assert result.tool_calls == 1


async def test_output_that_breaks_the_output_schema_is_not_given_to_the_model(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
    metrics: object,
) -> None:
    tool = weather_tool(f"{tool_server.url}/weather")
    tool["outputSchema"] = {"type": "object", "required": ["temperature"]}
    agent = await make_agent(make_config(tools=[tool]))
    await agent.complete(USER)
    error = last_tool_error(mock_llm)
    assert error == (
        "the output of tool get_weather is invalid: at (root): 'temperature' is a required property"
    )
    assert (
        agent.metrics.value(
            "agent_tool_calls_total", {"tool": "get_weather", "outcome": "invalid_output"}
        )
        == 1
    )


async def test_a_tool_answering_an_error_status_is_reported_with_the_status(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
) -> None:
    tool_server.fail_next(404)
    agent = await make_agent(make_config(tools=[weather_tool(f"{tool_server.url}/weather")]))
    await agent.complete(USER)
    assert last_tool_error(mock_llm).startswith("tool get_weather answered HTTP 404")
    assert len(tool_server.seen("/weather")) == 1


async def test_a_tool_that_times_out_says_so_and_the_model_still_answers(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
) -> None:
    tool = weather_tool(
        f"{tool_server.url}/slow?seconds=5", timeoutSeconds=0.2, retry={"attempts": 1}
    )
    agent = await make_agent(make_config(tools=[tool]))
    result = await agent.complete(USER)
    assert last_tool_error(mock_llm) == "tool get_weather timed out after 0.2s (1 attempt)"
    assert result.finish_reason == "stop"
    assert (
        agent.metrics.value("agent_tool_calls_total", {"tool": "get_weather", "outcome": "timeout"})
        == 1
    )


async def test_a_tool_called_with_empty_arguments_runs_with_none(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
) -> None:
    from agent_runtime.mockllm import ScriptedReply

    tool = weather_tool(f"{tool_server.url}/now")
    tool["parameters"] = {"type": "object", "properties": {}}
    mock_llm.reply(ScriptedReply(tool_calls=(("get_weather", ""),)))
    agent = await make_agent(make_config(tools=[tool]))
    result = await agent.complete(USER)
    assert len(tool_server.seen("/now")) == 1
    answer = mock_llm.completions[-1].messages[-1]
    assert "error" not in json.loads(answer["content"])
    assert result.tool_calls == 1
