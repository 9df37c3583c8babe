"""Agent tools: another agent's chat completions endpoint, asked one message."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from agent_runtime.config import ToolConfig
from agent_runtime.egress import EgressPolicy
from agent_runtime.mockllm import MockLLM
from agent_runtime.tools.agent import MESSAGE_PARAMETERS, AgentTool
from agent_runtime.tools.base import ToolError
from tests.runtime_engine.fixtures import AgentFactory, ConfigFactory


def billing(url: str) -> ToolConfig:
    return ToolConfig.model_validate(
        {
            "name": "billing",
            "agent": {
                "url": url,
                "agentName": "billing",
                "retry": {"attempts": 2, "initialBackoffSeconds": 0.01},
            },
        }
    )


async def test_the_other_agent_is_asked_the_message_and_its_answer_is_the_result(
    mock_llm: MockLLM,
) -> None:
    # The fake model stands in for the other agent: same endpoint, same answer shape.
    mock_llm.reply_text("Invoice 42 is paid")
    async with httpx.AsyncClient() as client:
        tool = AgentTool(billing(mock_llm.url), http=client, egress=EgressPolicy())
        answer = await tool.call({"message": "Is invoice 42 paid?"})
    assert answer == "Invoice 42 is paid"
    sent = mock_llm.completions[0].body
    assert sent["model"] == "billing"
    assert sent["messages"] == [{"role": "user", "content": "Is invoice 42 paid?"}]


async def test_without_declared_parameters_the_tool_takes_one_message(mock_llm: MockLLM) -> None:
    async with httpx.AsyncClient() as client:
        tool = AgentTool(billing(mock_llm.url), http=client, egress=EgressPolicy())
    assert tool.parameters == MESSAGE_PARAMETERS
    assert tool.description == "Ask the agent billing."


async def test_an_agent_that_keeps_failing_is_reported_with_its_status(mock_llm: MockLLM) -> None:
    mock_llm.fail_next(status=503, times=2)
    async with httpx.AsyncClient() as client:
        tool = AgentTool(billing(mock_llm.url), http=client, egress=EgressPolicy())
        with pytest.raises(ToolError, match=r"^tool billing answered HTTP 503 \(2 attempts\)$"):
            await tool.call({"message": "hi"})


async def test_a_refused_token_is_reported_with_where_it_was_read_never_its_value(
    mock_llm: MockLLM, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("stale-token-5d1e")
    config = billing(mock_llm.url).model_dump(by_alias=True)
    config["agent"]["bearerToken"] = {"file": str(token_file)}
    mock_llm.fail_next(status=401)
    async with httpx.AsyncClient() as client:
        tool = AgentTool(ToolConfig.model_validate(config), http=client, egress=EgressPolicy())
        with pytest.raises(ToolError) as refused:
            await tool.call({"message": "hi"})
    assert str(refused.value).startswith(
        f"agent billing answered HTTP 401 (it refused the token read from file {token_file}): "
    )
    assert "stale-token-5d1e" not in str(refused.value)


async def test_an_agent_tool_in_the_loop_relays_the_other_agents_answer(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    mock_llm.reply_tool_call("billing", {"message": "Is invoice 42 paid?"})
    mock_llm.reply_text("Invoice 42 is paid")  # the other agent's answer
    mock_llm.reply_text("Yes, it is paid")
    config = make_config(tools=[billing(mock_llm.url).model_dump(by_alias=True, exclude_none=True)])
    agent = await make_agent(config)
    result = await agent.complete([{"role": "user", "content": "Is invoice 42 paid?"}])
    assert result.message["content"] == "Yes, it is paid"
    assert mock_llm.completions[2].messages[-1]["content"] == "Invoice 42 is paid"
