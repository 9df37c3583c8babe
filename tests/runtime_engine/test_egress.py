"""The egress allowlist refuses hosts before any connection is made."""

from __future__ import annotations

import json

import pytest

from agent_runtime.egress import EgressDeniedError, EgressPolicy
from agent_runtime.errors import loop_error_status
from agent_runtime.loop import LoopError
from agent_runtime.mockllm import MockLLM
from agent_runtime.telemetry import Metrics
from tests.runtime_engine.fixtures import AgentFactory, ConfigFactory, ToolServer
from tests.runtime_engine.test_loop_turns import USER, weather_tool


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("api.mistral.ai", True),
        ("API.Mistral.AI.", True),
        ("weather.tools.svc", True),
        ("a.b.tools.svc", True),
        ("tools.svc", False),
        ("evil-tools.svc", False),
        ("mistral.ai", False),
    ],
)
def test_hosts_match_exactly_or_by_wildcard_suffix(host: str, allowed: bool) -> None:
    policy = EgressPolicy(["api.mistral.ai", "*.tools.svc"])
    assert policy.allows_host(host) is allowed


def test_an_empty_allowlist_allows_any_host() -> None:
    EgressPolicy().check("https://anywhere.example/x")


def test_a_refusal_names_the_host() -> None:
    with pytest.raises(EgressDeniedError) as caught:
        EgressPolicy(["a.example"]).check("https://b.example:8443/path")
    assert (
        str(caught.value)
        == "egress to host 'b.example' is not allowed (url https://b.example:8443/path)"
    )


async def test_a_tool_on_a_refused_host_gets_an_error_and_no_connection(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
    metrics: Metrics,
) -> None:
    # The model is on 127.0.0.1 (allowed); the tool is addressed as localhost (refused).
    tool_url = tool_server.url.replace("127.0.0.1", "localhost") + "/weather"
    config = make_config(tools=[weather_tool(tool_url)], egress={"allowHosts": ["127.0.0.1"]})
    agent = await make_agent(config)
    result = await agent.complete(USER)
    error = json.loads(mock_llm.completions[1].messages[-1]["content"])["error"]
    assert error.startswith("tool get_weather: egress to host 'localhost' is not allowed")
    assert tool_server.requests == []
    assert result.finish_reason == "stop"
    assert (
        metrics.value("agent_tool_calls_total", {"tool": "get_weather", "outcome": "denied"}) == 1
    )


async def test_a_model_on_a_refused_host_makes_the_agent_unready_and_requests_fail(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    agent = await make_agent(make_config(egress={"allowHosts": ["api.mistral.ai"]}))
    assert agent.readiness() == [
        f"model mock-large: egress to host '127.0.0.1' is not allowed (url {mock_llm.url})"
    ]
    with pytest.raises(LoopError) as caught:
        await agent.complete(USER)
    assert (loop_error_status(caught.value), caught.value.code) == (503, "egress_denied")
    assert mock_llm.requests == []
