"""MCP tools: discovered from a real MCP server over streamable HTTP, filtered, called."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError as McpToolError

from agent_runtime.mockllm import MockLLM
from agent_runtime.testing import free_port, running_app
from tests.runtime_engine.fixtures import AgentFactory, ConfigFactory
from tests.runtime_engine.test_loop_turns import USER


def docs_server() -> MCPServer:
    server = MCPServer("docs")

    @server.tool()
    def search_docs(query: str) -> str:
        """Search the documentation."""
        return f"3 pages about {query}"

    @server.tool()
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    @server.tool()
    def explode(reason: str) -> str:
        """Always fails, saying why."""
        raise McpToolError(f"exploded: {reason}")

    return server


@pytest.fixture
def mcp_url() -> Iterator[str]:
    app = docs_server().streamable_http_app(stateless_http=True, json_response=True)
    with running_app(app) as url:
        yield f"{url}/mcp"


def mcp_tool(url: str, *include: str) -> dict[str, object]:
    return {"name": "docs", "mcp": {"url": url, "include": list(include), "timeoutSeconds": 5}}


async def test_the_servers_tools_are_discovered_and_offered_to_the_model(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory, mcp_url: str
) -> None:
    agent = await make_agent(make_config(tools=[mcp_tool(mcp_url)]))
    assert agent.readiness() == []
    await agent.complete(USER)
    assert mock_llm.completions[0].tool_names == ["search_docs", "add", "explode"]
    offered = mock_llm.completions[0].body["tools"][1]["function"]
    assert offered["description"] == "Add two integers."
    assert offered["parameters"]["required"] == ["a", "b"]


async def test_include_limits_the_tools_offered(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory, mcp_url: str
) -> None:
    agent = await make_agent(make_config(tools=[mcp_tool(mcp_url, "search_docs")]))
    await agent.complete(USER)
    assert mock_llm.completions[0].tool_names == ["search_docs"]


async def test_a_call_runs_on_the_server_and_its_result_goes_to_the_model(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory, mcp_url: str
) -> None:
    mock_llm.reply_tool_calls(("search_docs", {"query": "probes"}), ("add", {"a": 2, "b": 3}))
    agent = await make_agent(make_config(tools=[mcp_tool(mcp_url)]))
    result = await agent.complete(USER)
    results = [m["content"] for m in mock_llm.completions[1].messages if m["role"] == "tool"]
    assert json.loads(results[0]) == {"result": "3 pages about probes"}
    assert json.loads(results[1]) == {"result": 5}
    assert result.tool_calls == 2


async def test_a_tool_error_on_the_server_is_given_to_the_model(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory, mcp_url: str
) -> None:
    mock_llm.reply_tool_call("explode", {"reason": "testing"})
    agent = await make_agent(make_config(tools=[mcp_tool(mcp_url)]))
    await agent.complete(USER)
    error = json.loads(mock_llm.completions[1].messages[-1]["content"])["error"]
    assert error == "tool explode failed: Error executing tool explode: exploded: testing"


async def test_an_unreachable_server_is_a_readiness_reason_until_it_comes_back(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    agent = await make_agent(make_config(tools=[mcp_tool(url)]))
    [reason] = agent.readiness()
    assert reason.startswith(f"mcp tool 'docs': {url} unreachable: ")
    result = await agent.complete(USER)
    assert mock_llm.completions[0].tool_names == []
    assert result.finish_reason == "stop"

    app = docs_server().streamable_http_app(stateless_http=True, json_response=True)
    with running_app(app, port=port):
        await agent.refresh_tools()
        assert agent.readiness() == []
        mock_llm.reply_tool_call("add", {"a": 1, "b": 1})
        await agent.complete(USER)
    assert json.loads(mock_llm.completions[-1].messages[-1]["content"]) == {"result": 2}


async def test_a_server_gone_after_discovery_fails_calls_cleanly_then_works_again(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    port = free_port()
    app = docs_server().streamable_http_app(stateless_http=True, json_response=True)
    with running_app(app, port=port) as base:
        agent = await make_agent(make_config(tools=[mcp_tool(f"{base}/mcp")]))
    mock_llm.reply_tool_call("add", {"a": 1, "b": 2})
    result = await agent.complete(USER)
    error = json.loads(mock_llm.completions[-1].messages[-1]["content"])["error"]
    assert error.startswith("tool add: mcp server ") or error.startswith(
        "tool add: mcp call failed"
    )
    assert result.finish_reason == "stop"

    app = docs_server().streamable_http_app(stateless_http=True, json_response=True)
    with running_app(app, port=port):
        mock_llm.reply_tool_call("add", {"a": 1, "b": 2})
        await agent.complete(USER)
    assert json.loads(mock_llm.completions[-1].messages[-1]["content"]) == {"result": 3}


async def test_the_background_refresh_notices_a_server_that_came_back(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    port = free_port()
    entry = mcp_tool(f"http://127.0.0.1:{port}/mcp")
    entry["mcp"]["refreshSeconds"] = 0.1  # type: ignore[index]
    agent = await make_agent(make_config(tools=[entry]))
    assert agent.readiness() != []
    app = docs_server().streamable_http_app(stateless_http=True, json_response=True)
    with running_app(app, port=port):
        async with asyncio.timeout(10):
            while agent.readiness():  # noqa: ASYNC110 - polled, as a readiness probe is
                await asyncio.sleep(0.05)
        assert sorted(agent.tools.tools()) == ["add", "explode", "search_docs"]


async def test_a_name_already_taken_is_offered_prefixed_with_the_entry_name(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory, mcp_url: str
) -> None:
    local_add = {"name": "add", "http": {"url": "http://127.0.0.1:9/add"}}
    agent = await make_agent(make_config(tools=[local_add, mcp_tool(mcp_url, "add")]))
    mock_llm.reply_tool_call("docs_add", {"a": 20, "b": 22})
    await agent.complete(USER)
    assert mock_llm.completions[0].tool_names == ["add", "docs_add"]
    assert json.loads(mock_llm.completions[1].messages[-1]["content"]) == {"result": 42}


async def test_an_mcp_server_outside_the_egress_allowlist_is_never_contacted(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory, mcp_url: str
) -> None:
    refused = mcp_url.replace("127.0.0.1", "localhost")
    config = make_config(tools=[mcp_tool(refused)], egress={"allowHosts": ["127.0.0.1"]})
    agent = await make_agent(config)
    [reason] = agent.readiness()
    assert "egress to host 'localhost' is not allowed" in reason
