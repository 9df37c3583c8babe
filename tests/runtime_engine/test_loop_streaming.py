"""`Agent.stream`: tool turns run, then the answer's tokens arrive as typed events."""

from __future__ import annotations

from agent_runtime.errors import loop_error_status
from agent_runtime.events import (
    Event,
    Failed,
    Final,
    TextDelta,
    ToolFinished,
    ToolStarted,
    UsageReported,
)
from agent_runtime.loop import Agent
from agent_runtime.mockllm import MockLLM, ScriptedReply
from tests.runtime_engine.fixtures import AgentFactory, ConfigFactory, ToolServer
from tests.runtime_engine.test_loop_structured_output import ANSWER_FORMAT
from tests.runtime_engine.test_loop_turns import USER, weather_tool


async def collect(agent: Agent, *, stream: bool = True) -> list[Event]:
    return [event async for event in agent.run(USER, stream=stream)]


def text(events: list[Event]) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def final(events: list[Event]) -> Final:
    last = events[-1]
    assert isinstance(last, Final), last
    return last


async def test_the_answer_streams_token_by_token(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    mock_llm.reply_text("Sunny and mild today")
    events = await collect(await make_agent(make_config()))
    assert [e.text for e in events if isinstance(e, TextDelta)] == [
        "Sunny",
        " and",
        " mild",
        " today",
    ]
    assert final(events).finish_reason == "stop"
    assert final(events).content == "Sunny and mild today"
    assert final(events).usage.completion_tokens == 4
    assert mock_llm.completions[0].body["stream"] is True


async def test_streamed_and_plain_runs_yield_the_same_turns(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
) -> None:
    agent = await make_agent(make_config(tools=[weather_tool(f"{tool_server.url}/weather")]))
    streamed = await collect(agent, stream=True)
    plain = await collect(agent, stream=False)

    def shape(events: list[Event]) -> list[type]:
        return [type(e) for e in events if not isinstance(e, TextDelta)]

    assert (
        shape(streamed)
        == shape(plain)
        == [
            UsageReported,
            ToolStarted,
            ToolFinished,
            UsageReported,
            Final,
        ]
    )
    assert text(streamed) == text(plain) == final(plain).content
    assert final(streamed).content == final(plain).content
    assert (final(plain).model_calls, final(plain).tool_calls) == (2, 1)


async def test_tool_events_carry_the_call_id_name_and_arguments(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
) -> None:
    agent = await make_agent(make_config(tools=[weather_tool(f"{tool_server.url}/weather")]))
    events = await collect(agent)
    [started] = [e for e in events if isinstance(e, ToolStarted)]
    [finished] = [e for e in events if isinstance(e, ToolFinished)]
    assert (started.name, started.arguments) == ("get_weather", '{"city": "Paris"}')
    assert started.call_id
    assert (finished.call_id, finished.name, finished.outcome) == (
        started.call_id,
        "get_weather",
        "ok",
    )
    assert [r.query for r in tool_server.seen("/weather")] == [{"city": "Paris"}]
    assert text(events).startswith("Tool results: get_weather: ")
    assert final(events).usage.total_tokens > final(events).usage.completion_tokens


async def test_a_model_failing_before_the_first_token_ends_with_a_failed_event(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    mock_llm.fail_next(status=500, times=3)
    agent = await make_agent(make_config())
    events = await collect(agent)
    assert [type(e) for e in events] == [Failed]
    failed = events[0]
    assert isinstance(failed, Failed)
    assert failed.error.code == "model_error"


async def test_a_failure_after_the_first_token_ends_the_stream_with_a_failed_event(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
) -> None:
    # The first turn says something and calls a tool; the second turn's model call fails.
    mock_llm.reply(
        ScriptedReply(content="Let me check", tool_calls=(("get_weather", {"city": "Rome"}),))
    )
    agent = await make_agent(make_config(tools=[weather_tool(f"{tool_server.url}/weather")]))
    stream = agent.stream(USER)
    first = await anext(stream)
    mock_llm.fail_next(status=503, times=3)
    rest = [event async for event in stream]
    assert text([first, *rest]) == "Let me check"
    last = rest[-1]
    assert isinstance(last, Failed)
    assert (last.error.code, loop_error_status(last.error)) == ("model_error", 502)
    assert (stream.model_calls, stream.tool_calls) == (2, 1)


async def test_a_loose_structured_answer_is_validated_before_it_streams(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    mock_llm.reply_json({"city": "Paris"})
    mock_llm.reply_json({"city": "Paris", "celsius": 18})
    agent = await make_agent(make_config(responseFormat={**ANSWER_FORMAT, "strict": False}))
    events = await collect(agent)
    assert text(events) == '{"city": "Paris", "celsius": 18}'
    assert final(events).finish_reason == "stop"
    assert mock_llm.completions[0].body.get("stream") is not True


async def test_a_strict_structured_answer_streams_as_the_model_produces_it(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    mock_llm.reply_json({"city": "Paris", "celsius": 18})
    agent = await make_agent(make_config(responseFormat=ANSWER_FORMAT))
    events = await collect(agent)
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 1
    assert "".join(deltas) == '{"city": "Paris", "celsius": 18}'
    assert final(events).content == '{"city": "Paris", "celsius": 18}'
    assert mock_llm.completions[0].body["stream"] is True


async def test_a_strict_streamed_answer_that_breaks_its_schema_fails_without_a_repair(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    mock_llm.reply_json({"city": "Paris"})
    agent = await make_agent(make_config(responseFormat=ANSWER_FORMAT))
    events = await collect(agent)
    failed = events[-1]
    assert isinstance(failed, Failed)
    assert failed.error.code == "invalid_structured_output"
    assert "as it streamed" in failed.error.message
    assert len(mock_llm.completions) == 1


async def test_a_stream_slower_than_the_request_deadline_fails_with_request_timeout(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    mock_llm.token_latency_seconds = 5
    agent = await make_agent(make_config(limits={"requestTimeoutSeconds": 0.3}))
    events = await collect(agent)
    failed = events[-1]
    assert isinstance(failed, Failed)
    assert (loop_error_status(failed.error), failed.error.code) == (504, "request_timeout")


async def test_a_stream_retries_the_model_like_a_completion(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    mock_llm.fail_next(status=429, retry_after=0.05)
    mock_llm.reply_text("Still here")
    events = await collect(await make_agent(make_config()))
    assert text(events) == "Still here"
    assert len(mock_llm.completions) == 2
