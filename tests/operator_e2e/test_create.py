"""Creating an Agent yields its children, owned and labelled, and a status that follows them."""

from __future__ import annotations

import json

from tests.emulator import EmulatorServer

from .agents import ALWAYS, NAMESPACE, OPTIONAL, Agents, agent
from .operator import OperatorProcess


def test_create_makes_every_child_owned_by_the_agent(
    operator: OperatorProcess, agents: Agents
) -> None:
    created = agents.create(agent("weather"))
    agents.wait_ready("weather")

    for kind in ALWAYS:
        child = agents.child("weather", kind)
        assert child is not None, f"{kind} missing"
        owners = child["metadata"]["ownerReferences"]
        assert owners == [
            {
                "apiVersion": "agent-operator.io/v1alpha1",
                "kind": "Agent",
                "name": "weather",
                "uid": created["metadata"]["uid"],
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
        labels = child["metadata"]["labels"]
        assert labels["app.kubernetes.io/managed-by"] == "agent-operator"
        assert labels["app.kubernetes.io/instance"] == "weather"
        assert {
            "app.kubernetes.io/name",
            "app.kubernetes.io/component",
            "app.kubernetes.io/part-of",
        } <= set(labels)
    for kind in OPTIONAL:
        assert agents.child("weather", kind) is None, f"{kind} should not exist for 1 replica"


def test_children_are_written_by_server_side_apply_under_one_manager(
    operator: OperatorProcess, agents: Agents, cluster: EmulatorServer
) -> None:
    agents.create(agent("weather"))
    agents.wait_ready("weather")

    applies = cluster.filter(verb="patch", user_agent="agent-operator", subresource=None)
    child_applies = [r for r in applies if r.resource != "agents"]
    assert child_applies, "no child was applied"
    assert {r.content_type.split(";")[0] for r in child_applies} == {"application/apply-patch+yaml"}
    assert cluster.count(verb="create", user_agent="agent-operator") == 0


def test_config_map_holds_the_rendered_runtime_config(
    operator: OperatorProcess, agents: Agents
) -> None:
    agents.create(agent("weather", instructions="Only weather, please."))
    agents.wait_ready("weather")

    config_map = agents.child("weather", "ConfigMap")
    assert config_map is not None
    config = json.loads(config_map["data"]["agent.json"])
    assert config["agent"] == {"name": "weather", "namespace": NAMESPACE}
    assert config["instructions"] == "Only weather, please."
    assert config["model"]["name"] == "mistral-small-latest"
    assert config["model"]["endpoint"] == "http://mock-llm.demo.svc:8081"


def test_status_reports_endpoint_selector_and_replicas(
    operator: OperatorProcess, agents: Agents
) -> None:
    agents.create(agent("weather", replicas=1))
    obj = agents.wait_ready("weather")

    status = obj["status"]
    assert status["endpoint"] == f"http://weather.{NAMESPACE}.svc:80"
    assert "app.kubernetes.io/instance=weather" in status["selector"]
    assert status["replicas"] == 1
    assert status["readyReplicas"] == 1
    ready = agents.condition("weather", "Ready")
    assert ready is not None
    assert ready["reason"] == "Available"
    assert ready["observedGeneration"] == obj["metadata"]["generation"]
    assert ready["lastTransitionTime"]


def test_ready_follows_the_deployment_both_ways(
    operator: OperatorProcess, agents: Agents, cluster: EmulatorServer
) -> None:
    agents.create(agent("weather"))
    agents.wait_ready("weather")

    cluster.deployments.set_unavailable(NAMESPACE, "weather")
    cond = agents.wait_condition("weather", "Ready", "False")
    assert cond["reason"] in {"Unavailable", "RolloutFailed"}
    assert cond["message"]

    cluster.deployments.set_available(NAMESPACE, "weather")
    agents.wait_condition("weather", "Ready", "True", "Available")
