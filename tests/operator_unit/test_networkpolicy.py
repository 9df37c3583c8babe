"""The NetworkPolicy: egress only to DNS and to the destinations the spec declares."""

from __future__ import annotations

from typing import Any

from tests.operator_unit.conftest import BuildChildren

DNS_PORTS = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]


def _egress(children: BuildChildren, **fields: Any) -> list[dict[str, Any]]:
    egress: list[dict[str, Any]] = children(**fields)["NetworkPolicy"]["spec"]["egress"]
    return egress


def _public_ports(rules: list[dict[str, Any]]) -> list[int]:
    for rule in rules:
        if any(peer.get("ipBlock", {}).get("cidr") == "0.0.0.0/0" for peer in rule.get("to", [])):
            return [port["port"] for port in rule["ports"]]
    return []


def _namespaces(rules: list[dict[str, Any]]) -> list[str]:
    return [
        peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
        for rule in rules
        for peer in rule.get("to", [])
        if "namespaceSelector" in peer and "podSelector" not in peer
    ]


def test_the_policy_governs_both_directions_of_the_agents_pods(children: BuildChildren) -> None:
    policy = children()["NetworkPolicy"]["spec"]
    assert policy["policyTypes"] == ["Ingress", "Egress"]
    assert policy["podSelector"]["matchLabels"]["app.kubernetes.io/instance"] == "weather"


def test_clients_reach_the_runtime_port(children: BuildChildren) -> None:
    policy = children()["NetworkPolicy"]["spec"]
    assert policy["ingress"] == [{"ports": [{"protocol": "TCP", "port": 8080}]}]


def test_dns_is_allowed_to_kube_dns_only(children: BuildChildren) -> None:
    dns = _egress(children)[0]
    assert dns["ports"] == DNS_PORTS
    (peer,) = dns["to"]
    assert peer["namespaceSelector"]["matchLabels"] == {
        "kubernetes.io/metadata.name": "kube-system"
    }
    assert peer["podSelector"]["matchLabels"] == {"k8s-app": "kube-dns"}


def test_mistrals_api_is_reached_over_https_to_public_addresses(children: BuildChildren) -> None:
    rules = _egress(children)
    assert _public_ports(rules) == [443]
    public = next(rule for rule in rules if _public_ports([rule]))
    excepted = public["to"][0]["ipBlock"]["except"]
    assert "10.0.0.0/8" in excepted
    assert "169.254.0.0/16" in excepted


def test_an_agent_tool_opens_only_that_agents_pods(children: BuildChildren) -> None:
    rules = _egress(
        children, tools=[{"name": "b", "agent": {"name": "billing", "namespace": "fin"}}]
    )
    agent_rules = [
        r
        for r in rules
        if any("podSelector" in p and "namespaceSelector" in p for p in r["to"])
        and r["ports"] != DNS_PORTS
    ]
    (rule,) = agent_rules
    (peer,) = rule["to"]
    assert peer["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "fin"}
    assert peer["podSelector"]["matchLabels"]["app.kubernetes.io/instance"] == "billing"
    assert rule["ports"] == [{"protocol": "TCP", "port": 8080}]


def test_an_in_cluster_url_opens_its_namespace(children: BuildChildren) -> None:
    rules = _egress(
        children,
        model={"name": "m", "endpoint": "http://llm.models.svc.cluster.local:8000"},
        tools=[
            {"name": "docs", "mcp": {"url": "http://docs-mcp.tools.svc:8080/mcp"}},
            {"name": "local", "http": {"url": "http://lookup/x"}},
        ],
    )
    assert sorted(_namespaces(rules)) == ["demo", "models", "tools"]
    assert _public_ports(rules) == []


def test_external_tools_open_their_ports_only(children: BuildChildren) -> None:
    rules = _egress(
        children,
        model={"name": "m", "endpoint": "https://llm.example.com"},
        tools=[{"name": "t", "http": {"url": "http://api.example.net:8443/x"}}],
    )
    assert _public_ports(rules) == [443, 8443]


def test_an_ip_address_url_opens_that_address(children: BuildChildren) -> None:
    rules = _egress(children, model={"name": "m", "endpoint": "http://10.2.3.4:8081"})
    assert {
        "to": [{"ipBlock": {"cidr": "10.2.3.4/32"}}],
        "ports": [{"protocol": "TCP", "port": 8081}],
    } in rules


def test_a_loopback_model_needs_no_rule(children: BuildChildren) -> None:
    rules = _egress(children, model={"name": "m", "endpoint": "http://127.0.0.1:8081"})
    assert rules == _egress(children, model={"name": "m", "endpoint": "http://localhost:8081"})
    assert len(rules) == 1


def test_allowed_cidrs_are_opened_on_every_port(children: BuildChildren) -> None:
    rules = _egress(children, egress={"allowCIDRs": ["10.0.0.0/8", "fd00::/8"]})
    assert {"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}, {"ipBlock": {"cidr": "fd00::/8"}}]} in rules


def test_the_otlp_collector_is_a_destination(children: BuildChildren) -> None:
    rules = _egress(children, observability={"otlpEndpoint": "http://otel.observability.svc:4318"})
    assert "observability" in _namespaces(rules)
