"""The egress allowlist, seen through the served API: a refused host never sees a connection.

The agent may reach `localhost` only (its fake model listens there); every other target
listens on 127.0.0.1, a host not on the list, and counts the connections it accepts. A tool,
an MCP server, a model, or a redirect from an allowed host to a refused one: each is refused
before any connection is made, with a reason the client, the model or the probe can read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from agent_runtime.mockllm import MockLLM
from agent_runtime.testing import running_app
from tests.runtime_engine.fixtures import ConfigFactory
from tests.runtime_reliability.conftest import (
    SilentListener,
    ask,
    assert_error_shape,
    sample,
    scrape,
)
from tests.runtime_service.conftest import serving

#: The one host the agents here may connect to.
ALLOWED = "localhost"


def on_allowed_host(url: str) -> str:
    """The same server, named by the allowed host name instead of its address."""
    return url.replace("127.0.0.1", ALLOWED)


@pytest.fixture
def confined(make_config: ConfigFactory, mock_llm: MockLLM) -> ConfigFactory:
    """Configs whose model is reached as `localhost` and whose egress allows only that host."""

    def make(**overrides: Any) -> Any:
        model = {"endpoint": on_allowed_host(mock_llm.url), **overrides.pop("model", {})}
        return make_config(model=model, egress={"allowHosts": [ALLOWED]}, **overrides)

    return make


@pytest.fixture
def redirector(silent: SilentListener) -> Iterator[str]:
    """A server that answers every request with a redirect to the refused host."""

    async def redirect(request: Request) -> Response:
        return RedirectResponse(f"{silent.url}{request.url.path}", status_code=307)

    app = Starlette(routes=[Route("/{path:path}", redirect, methods=["GET", "POST"])])
    with running_app(app) as url:
        yield on_allowed_host(url)


def test_a_tool_on_a_refused_host_is_denied_without_a_connection(
    confined: ConfigFactory, mock_llm: MockLLM, silent: SilentListener
) -> None:
    tool = {"name": "lookup", "http": {"url": f"{silent.url}/x", "retry": {"attempts": 1}}}
    with serving(confined(tools=[tool])) as runtime:
        mock_llm.reply_tool_call("lookup", {})
        response = ask(runtime)
        page = scrape(runtime)
    assert response.status_code == 200
    told = json.loads(mock_llm.completions[1].messages[-1]["content"])
    assert told["error"].startswith("tool lookup: egress to host '127.0.0.1' is not allowed")
    assert sample(page, "agent_tool_calls_total", tool="lookup", outcome="denied") == 1.0
    assert silent.connections == 0


def test_an_mcp_server_on_a_refused_host_is_never_contacted(
    confined: ConfigFactory, silent: SilentListener
) -> None:
    tool = {"name": "docs", "mcp": {"url": f"{silent.url}/mcp", "refreshSeconds": 0.2}}
    with serving(confined(tools=[tool])) as runtime:
        readyz = httpx.get(f"{runtime.url}/readyz", timeout=10)
        assert ask(runtime).status_code == 200
    assert readyz.status_code == 503
    assert any("egress to host '127.0.0.1'" in r for r in readyz.json()["reasons"])
    assert silent.connections == 0


def test_a_model_on_a_refused_host_fails_requests_without_a_connection(
    confined: ConfigFactory, silent: SilentListener
) -> None:
    with serving(confined(model={"endpoint": silent.url})) as runtime:
        readyz = httpx.get(f"{runtime.url}/readyz", timeout=10)
        response = ask(runtime)
        streamed = ask(runtime, stream=True)
    assert readyz.status_code == 503
    for answer in (response, streamed):
        assert answer.status_code == 503
        body = assert_error_shape(answer)
        assert body["code"] == "egress_denied"
        assert "egress to host '127.0.0.1' is not allowed" in body["message"]
    assert silent.connections == 0


def test_a_model_redirecting_to_a_refused_host_is_not_followed(
    confined: ConfigFactory, silent: SilentListener, redirector: str
) -> None:
    with serving(confined(model={"endpoint": redirector, "retry": {"attempts": 1}})) as runtime:
        response = ask(runtime)
    assert response.status_code == 502
    assert "answered HTTP 307" in assert_error_shape(response)["message"]
    assert silent.connections == 0


def test_a_tool_redirecting_to_a_refused_host_is_not_followed(
    confined: ConfigFactory, mock_llm: MockLLM, silent: SilentListener, redirector: str
) -> None:
    tool = {"name": "lookup", "http": {"url": f"{redirector}/x", "retry": {"attempts": 1}}}
    with serving(confined(tools=[tool])) as runtime:
        mock_llm.reply_tool_call("lookup", {})
        assert ask(runtime).status_code == 200
    assert silent.connections == 0
