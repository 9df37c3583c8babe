"""Tool calls of one answer run concurrently."""

from __future__ import annotations

import json

from agent_runtime.mockllm import MockLLM
from tests.runtime_engine.fixtures import AgentFactory, ConfigFactory, ToolServer
from tests.runtime_engine.test_loop_turns import USER


def rendezvous_tool(name: str, url: str) -> dict[str, object]:
    return {"name": name, "http": {"url": f"{url}/rendezvous", "method": "GET"}}


async def test_two_tool_calls_in_one_answer_are_in_flight_at_the_same_time(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
) -> None:
    # Each call waits (bounded) at the server for the other: run one after the other,
    # the first would give up alone and answer {"together": false}.
    mock_llm.reply_tool_calls(("left", {}), ("right", {}))
    config = make_config(
        tools=[rendezvous_tool("left", tool_server.url), rendezvous_tool("right", tool_server.url)]
    )
    agent = await make_agent(config)
    result = await agent.complete(USER)
    results = [m for m in mock_llm.completions[1].messages if m["role"] == "tool"]
    assert [(m["name"], json.loads(m["content"])) for m in results] == [
        ("left", {"together": True}),
        ("right", {"together": True}),
    ]
    assert result.tool_calls == 2


async def test_tool_results_answer_their_calls_by_id(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
) -> None:
    mock_llm.reply_tool_calls(("left", {}), ("right", {}))
    config = make_config(
        tools=[rendezvous_tool("left", tool_server.url), rendezvous_tool("right", tool_server.url)]
    )
    agent = await make_agent(config)
    await agent.complete(USER)
    sent = mock_llm.completions[1].messages
    asked = [c["id"] for c in sent[-3]["tool_calls"]]
    answered = [m["tool_call_id"] for m in sent[-2:]]
    assert asked == answered
    assert len(set(asked)) == 2
