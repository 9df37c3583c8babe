"""The operator pod's NetworkPolicy and readiness probe, and images pinned by digest."""

from __future__ import annotations

from tests.chart.rendering import of_kind, one, operator_container, render

DIGEST = "sha256:" + "ab" * 32


def test_the_operator_pod_is_selected_by_its_network_policy() -> None:
    objects = render()
    policy = one(objects, "NetworkPolicy")
    pod_labels = one(objects, "Deployment")["spec"]["template"]["metadata"]["labels"]
    selector = policy["spec"]["podSelector"]["matchLabels"]
    assert selector.items() <= pod_labels.items()
    assert sorted(policy["spec"]["policyTypes"]) == ["Egress", "Ingress"]


def test_egress_is_the_api_server_and_dns_only_and_ingress_the_probe_and_metrics_ports() -> None:
    policy = one(render(), "NetworkPolicy")
    egress_ports = {
        (port["port"], port["protocol"])
        for rule in policy["spec"]["egress"]
        for port in rule["ports"]
    }
    assert egress_ports == {(443, "TCP"), (6443, "TCP"), (53, "UDP"), (53, "TCP")}
    ingress_ports = {port["port"] for rule in policy["spec"]["ingress"] for port in rule["ports"]}
    container_ports = {port["name"] for port in operator_container(render())["ports"]}
    assert ingress_ports == {"liveness", "metrics"} == container_ports


def test_api_server_cidrs_and_metrics_peers_narrow_the_rules() -> None:
    peer = {"namespaceSelector": {"matchLabels": {"name": "monitoring"}}}
    values = {"networkPolicy": {"apiServerCIDRs": ["10.0.0.1/32"], "metricsFrom": [peer]}}
    policy = one(render(values), "NetworkPolicy")
    api_rule = policy["spec"]["egress"][0]
    assert api_rule["to"] == [{"ipBlock": {"cidr": "10.0.0.1/32"}}]
    metrics_rule = next(r for r in policy["spec"]["ingress"] if r["ports"][0]["port"] == "metrics")
    assert metrics_rule["from"] == [peer]


def test_the_network_policy_can_be_left_to_the_cluster() -> None:
    assert of_kind(render({"networkPolicy": {"enabled": False}}), "NetworkPolicy") == []


def test_the_operator_has_a_readiness_probe_on_its_health_endpoint() -> None:
    probe = operator_container(render())["readinessProbe"]
    assert probe["httpGet"] == {"path": "/healthz", "port": "liveness"}


def test_digests_pin_the_operator_image_and_the_runtime_image_of_agents() -> None:
    values = {
        "image": {"repository": "r.example/op", "tag": "1.0", "digest": DIGEST},
        "runtime": {"image": {"repository": "r.example/rt", "tag": "1.0", "digest": DIGEST}},
    }
    container = operator_container(render(values))
    runtime_image = next(
        e["value"] for e in container["env"] if e["name"] == "AGENT_OPERATOR_RUNTIME_IMAGE"
    )
    assert container["image"] == f"r.example/op@{DIGEST}"
    assert runtime_image == f"r.example/rt@{DIGEST}"
