"""`Agent.stream`: tool turns run, then the answer's tokens arrive as Mistral chunks."""

from __future__ import annotations

from typing import Any

import pytest

from agent_runtime.loop import Agent, LoopError
from agent_runtime.mockllm import MockLLM
from tests.runtime_engine.fixtures import AgentFactory, ConfigFactory, ToolServer
from tests.runtime_engine.test_loop_structured_output import ANSWER_FORMAT
from tests.runtime_engine.test_loop_turns import USER, weather_tool


async def collect(agent: Agent) -> list[dict[str, Any]]:
    return [chunk async for chunk in agent.stream(USER)]


def text(chunks: list[dict[str, Any]]) -> str:
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)


async def test_the_answer_streams_token_by_token_in_mistral_chunks(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    mock_llm.reply_text("Sunny and mild today")
    chunks = await collect(await make_agent(make_config()))
    assert text(chunks) == "Sunny and mild today"
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert len([c for c in chunks if c["choices"][0]["delta"].get("content")]) == 4
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert len({c["id"] for c in chunks}) == 1
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"]["completion_tokens"] == 4
    assert mock_llm.completions[0].body["stream"] is True


async def test_tool_turns_run_before_the_answer_streams(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
) -> None:
    agent = await make_agent(make_config(tools=[weather_tool(f"{tool_server.url}/weather")]))
    chunks = await collect(agent)
    assert [r.query for r in tool_server.seen("/weather")] == [{"city": "Paris"}]
    assert text(chunks).startswith("Tool results: get_weather: ")
    assert [c["choices"][0]["finish_reason"] for c in chunks].count("stop") == 1
    assert chunks[-1]["usage"]["total_tokens"] > chunks[-1]["usage"]["completion_tokens"]


async def test_a_model_failing_before_the_first_chunk_raises_loop_error(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    mock_llm.fail_next(status=500, times=3)
    agent = await make_agent(make_config())
    with pytest.raises(LoopError) as caught:
        await collect(agent)
    assert caught.value.code == "model_error"


async def test_a_failure_after_the_first_chunk_ends_the_stream_with_an_error_chunk(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
) -> None:
    # The first turn says something and calls a tool; the second turn's model call fails.
    from agent_runtime.mockllm import ScriptedReply

    mock_llm.reply(
        ScriptedReply(content="Let me check", tool_calls=(("get_weather", {"city": "Rome"}),))
    )
    agent = await make_agent(make_config(tools=[weather_tool(f"{tool_server.url}/weather")]))
    stream = agent.stream(USER)
    first = await anext(stream)
    mock_llm.fail_next(status=503, times=3)
    rest = [chunk async for chunk in stream]
    assert text([first, *rest]) == "Let me check"
    last = rest[-1]
    assert last["choices"][0]["finish_reason"] == "error"
    assert last["error"]["code"] == "model_error"
    assert last["error"]["status_code"] == 502


async def test_a_structured_answer_is_validated_before_it_streams(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    mock_llm.reply_json({"city": "Paris"})
    mock_llm.reply_json({"city": "Paris", "celsius": 18})
    agent = await make_agent(make_config(responseFormat=ANSWER_FORMAT))
    chunks = await collect(agent)
    assert text(chunks) == '{"city": "Paris", "celsius": 18}'
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


async def test_a_stream_slower_than_the_request_deadline_fails_with_request_timeout(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    mock_llm.token_latency_seconds = 5
    agent = await make_agent(make_config(limits={"requestTimeoutSeconds": 0.3}))
    with pytest.raises(LoopError) as caught:
        await collect(agent)
    assert (caught.value.status_code, caught.value.code) == (504, "request_timeout")


async def test_a_stream_retries_the_model_like_a_completion(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    mock_llm.fail_next(status=429, retry_after=0.05)
    mock_llm.reply_text("Still here")
    chunks = await collect(await make_agent(make_config()))
    assert text(chunks) == "Still here"
    assert len(mock_llm.completions) == 2
