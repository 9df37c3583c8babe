"""The loop's turns: a plain answer, tool turns, and what the model is sent."""

from __future__ import annotations

import json

from agent_runtime.mockllm import MockLLM
from tests.runtime_engine.fixtures import AgentFactory, ConfigFactory, ToolServer

USER = [{"role": "user", "content": "What is the weather in Paris?"}]


def weather_tool(url: str, **extra: object) -> dict[str, object]:
    return {
        "name": "get_weather",
        "description": "Weather by city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
        "http": {"url": url, "method": "GET", **extra},
    }


async def test_an_agent_without_tools_answers_in_one_model_call(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    agent = await make_agent(make_config())
    result = await agent.complete(USER)
    assert result.message == {
        "role": "assistant",
        "content": "You said: What is the weather in Paris?",
        "tool_calls": None,
    }
    assert result.finish_reason == "stop"
    assert (result.model_calls, result.tool_calls) == (1, 0)


async def test_instructions_lead_the_conversation_before_the_clients_system_message(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    agent = await make_agent(make_config(instructions="Be brief."))
    await agent.complete([{"role": "system", "content": "Be kind."}, *USER])
    sent = mock_llm.completions[0].messages
    assert [(m["role"], m["content"]) for m in sent[:2]] == [
        ("system", "Be brief."),
        ("system", "Be kind."),
    ]


async def test_a_tool_turn_calls_the_tool_and_gives_its_result_to_the_model(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
) -> None:
    agent = await make_agent(make_config(tools=[weather_tool(f"{tool_server.url}/weather")]))
    result = await agent.complete(USER)
    assert [r.query for r in tool_server.seen("/weather")] == [{"city": "Paris"}]
    assert (result.model_calls, result.tool_calls) == (2, 1)
    tool_message = mock_llm.completions[1].messages[-1]
    assert tool_message["role"] == "tool"
    assert tool_message["name"] == "get_weather"
    assert json.loads(tool_message["content"])["query"] == {"city": "Paris"}
    assert "get_weather" in result.message["content"]


async def test_the_model_is_offered_the_tool_definitions(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
) -> None:
    agent = await make_agent(make_config(tools=[weather_tool(f"{tool_server.url}/weather")]))
    await agent.complete(USER)
    offered = mock_llm.completions[0].body["tools"]
    assert offered == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Weather by city",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            },
        }
    ]


async def test_usage_is_summed_over_every_model_call(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
) -> None:
    mock_llm.reply_tool_call("get_weather", {"city": "Oslo"})
    mock_llm.reply_text("Cold and clear today")
    agent = await make_agent(make_config(tools=[weather_tool(f"{tool_server.url}/weather")]))
    result = await agent.complete(USER)
    # Words: '{"city":' and '"Oslo"}' for the call, four for the answer.
    assert result.usage.completion_tokens == 2 + 4
    assert result.usage.total_tokens == result.usage.prompt_tokens + 6
    assert result.usage.prompt_tokens > len(USER[0]["content"].split())


async def test_request_options_override_the_models_settings(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    from agent_runtime.loop import RequestOptions

    agent = await make_agent(make_config(model={"temperature": 0.3, "maxTokens": 100}))
    await agent.complete(USER, RequestOptions(temperature=0.9, random_seed=7, stop=["END"]))
    body = mock_llm.completions[0].body
    assert (body["temperature"], body["max_tokens"], body["random_seed"], body["stop"]) == (
        0.9,
        100,
        7,
        ["END"],
    )
