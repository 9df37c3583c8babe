"""An MCP server that dies while in use and comes back, seen through the served API.

While it is down, calls of its tools fail cleanly (the model is told, the client is
answered, the readiness probe names the server); once it is back on the same address, its
tools work again, with no restart of the runtime.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager, ExitStack

import httpx
import pytest

from agent_runtime.mockllm import MockLLM
from agent_runtime.testing import free_port, running_app
from tests.runtime_engine.fixtures import ConfigFactory
from tests.runtime_engine.test_tools_mcp import docs_server
from tests.runtime_reliability.conftest import ask, sample, scrape, wait_until
from tests.runtime_service.conftest import Runtime, serving


def mcp_server_on(port: int) -> AbstractContextManager[str]:
    """A fresh docs MCP server on a fixed port of 127.0.0.1 (so it can come back there)."""
    app = docs_server().streamable_http_app(stateless_http=True, json_response=True)
    return running_app(app, port=port)


@pytest.fixture
def port() -> int:
    return free_port()


def add_once(runtime: Runtime, mock_llm: MockLLM) -> dict[str, object]:
    """Ask, with the model calling `add(2, 3)`; return what the tool gave the model."""
    mock_llm.reset()
    mock_llm.reply_tool_call("add", {"a": 2, "b": 3})
    response = ask(runtime)
    assert response.status_code == 200
    told: dict[str, object] = json.loads(mock_llm.completions[1].messages[-1]["content"])
    return told


def ready(runtime: Runtime) -> bool:
    return httpx.get(f"{runtime.url}/readyz", timeout=5).status_code == 200


def test_calls_fail_cleanly_while_the_server_is_down_then_work_when_it_is_back(
    make_config: ConfigFactory, mock_llm: MockLLM, port: int
) -> None:
    tool = {
        "name": "docs",
        "mcp": {
            "url": f"http://127.0.0.1:{port}/mcp",
            "timeoutSeconds": 2,
            "refreshSeconds": 0.5,
        },
    }
    with ExitStack() as first_life:
        first_life.enter_context(mcp_server_on(port))
        with serving(make_config(tools=[tool])) as runtime:
            assert ready(runtime)
            assert add_once(runtime, mock_llm) == {"result": 5}

            first_life.close()  # the MCP server dies while the runtime keeps serving
            told = add_once(runtime, mock_llm)
            assert set(told) == {"error"}
            assert str(told["error"]).startswith("tool add: mcp")
            wait_until(lambda: not ready(runtime), "readiness to notice the outage")
            reasons = httpx.get(f"{runtime.url}/readyz", timeout=5).json()["reasons"]
            assert any(f"127.0.0.1:{port}" in reason for reason in reasons)

            with mcp_server_on(port):
                assert add_once(runtime, mock_llm) == {"result": 5}
                wait_until(lambda: ready(runtime), "readiness to notice the server is back")
            page = scrape(runtime)
    assert sample(page, "agent_tool_calls_total", tool="add", outcome="ok") == 2.0
    assert sample(page, "agent_tool_calls_total", tool="add", outcome="error") == 1.0
