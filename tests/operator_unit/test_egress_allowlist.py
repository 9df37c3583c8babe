"""An Agent without `egress.allowHosts` may call exactly the hosts it declares; `*` allows any."""

from __future__ import annotations

from typing import Any

import pytest

from agent_operator.spec import SpecError, parse_spec
from agent_runtime.config import RuntimeConfig
from agent_runtime.egress import EgressPolicy
from tests.operator_unit.conftest import BuildChildren

TOOLS = [
    {"name": "weather", "http": {"url": "https://weather.example.net/v1/current"}},
    {"name": "docs", "mcp": {"url": "http://docs-mcp.tools.svc:8080/mcp"}},
    {"name": "billing", "agent": {"name": "billing"}},
]


def _allow_hosts(children: BuildChildren, **fields: Any) -> tuple[str, ...]:
    text = children(**fields)["ConfigMap"]["data"]["agent.json"]
    return RuntimeConfig.model_validate_json(text).egress.allow_hosts


def test_an_empty_allowlist_becomes_exactly_the_declared_hosts(children: BuildChildren) -> None:
    model = {"name": "mistral-small-latest", "endpoint": "https://llm.example.org:8443/v1"}
    hosts = _allow_hosts(children, model=model, tools=TOOLS)
    assert hosts == (
        "billing.demo.svc",
        "docs-mcp.tools.svc",
        "llm.example.org",
        "weather.example.net",
    )
    policy = EgressPolicy(hosts)
    assert policy.allows_host("weather.example.net")
    assert not policy.allows_host("attacker.example.com")  # before: any host was allowed


def test_without_an_endpoint_the_model_host_is_mistrals_api(children: BuildChildren) -> None:
    assert _allow_hosts(children) == ("api.mistral.ai",)


def test_an_explicit_allowlist_is_kept_as_written(children: BuildChildren) -> None:
    hosts = _allow_hosts(children, tools=TOOLS, egress={"allowHosts": ["*.example.net"]})
    assert hosts == ("*.example.net",)


def test_a_star_allows_every_host(children: BuildChildren) -> None:
    hosts = _allow_hosts(children, tools=TOOLS, egress={"allowHosts": ["*"]})
    assert hosts == ("*",)
    assert EgressPolicy(hosts).allows_host("anything.example.com")
    assert not EgressPolicy(hosts).restricted


@pytest.mark.parametrize("entry", ["*example.com", "**", "*.*"])
def test_a_star_is_allowed_only_alone_or_as_a_suffix_pattern(entry: str) -> None:
    with pytest.raises(SpecError, match="allowHosts"):
        parse_spec({"model": {"name": "m"}, "egress": {"allowHosts": [entry]}})
