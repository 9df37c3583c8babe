"""Hand edits: the operator's children are put back; other managers' objects are never touched.

`tests/operator_e2e/test_drift.py` covers the image, a label and the config; here: replicas,
objects that carry the operator's labels without belonging to an Agent, and objects that stand
where a child should be but are owned by someone else.
"""

from __future__ import annotations

from typing import Any

from kubernetes import client

from tests.emulator import EmulatorServer
from tests.operator_e2e.agents import NAMESPACE, Agents, agent
from tests.operator_e2e.operator import RESYNC_SECONDS, OperatorProcess, wait_for

from .checks import assert_no_traceback

LABELS = {
    "app.kubernetes.io/name": "agent",
    "app.kubernetes.io/instance": "weather",
    "app.kubernetes.io/managed-by": "agent-operator",
    "app.kubernetes.io/part-of": "agent-operator",
}
OTHER_OWNER = {
    "apiVersion": "example.com/v1",
    "kind": "Gadget",
    "name": "gadget",
    "uid": "0f0e0d0c-0000-4000-8000-000000000001",
    "controller": True,
}


def deployment(name: str, owner: dict[str, Any] | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": NAMESPACE, "labels": dict(LABELS)}
    if owner is not None:
        meta["ownerReferences"] = [owner]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta,
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "main", "image": "someone/else:1"}]},
            },
        },
    }


def settle_two_resyncs(cluster: EmulatorServer) -> None:
    """Wait until the resync loop has looked at the Agents twice since now."""
    before = cluster.count(verb="get", user_agent="agent-operator", resource="deployments")
    wait_for(
        lambda: (
            cluster.count(verb="get", user_agent="agent-operator", resource="deployments")
            >= before + 2
        ),
        timeout=RESYNC_SECONDS * 10,
        what="two resyncs",
    )


def test_replicas_scaled_by_hand_are_put_back(
    operator: OperatorProcess, agents: Agents, api: Any
) -> None:
    agents.create(agent("weather", replicas=2))
    agents.wait_ready("weather")

    client.AppsV1Api(api).patch_namespaced_deployment(
        "weather", NAMESPACE, {"spec": {"replicas": 5}}
    )

    wait_for(
        lambda: (agents.child("weather", "Deployment") or {})["spec"]["replicas"] == 2,
        what="replicas back to 2",
    )
    agents.wait_ready("weather")


def test_a_config_map_of_another_manager_with_our_labels_is_never_touched(
    operator: OperatorProcess, agents: Agents, cluster: EmulatorServer, core: client.CoreV1Api
) -> None:
    created = core.create_namespaced_config_map(
        NAMESPACE,
        client.V1ConfigMap(
            metadata=client.V1ObjectMeta(name="weather-extra", labels=LABELS),
            data={"note": "not the operator's"},
        ),
    )
    assert created.metadata is not None
    version = created.metadata.resource_version
    agents.create(agent("weather"))
    agents.wait_ready("weather")

    settle_two_resyncs(cluster)

    after = cluster.get_object("configmaps", "weather-extra", NAMESPACE)
    assert after is not None
    assert after["metadata"]["resourceVersion"] == version
    assert after["data"] == {"note": "not the operator's"}
    assert cluster.count(verb=("patch", "update", "delete"), name="weather-extra") == 0


def test_a_deployment_of_another_owner_in_a_childs_place_is_reported_not_taken_over(
    operator: OperatorProcess, agents: Agents, cluster: EmulatorServer
) -> None:
    cluster.install(deployment("weather", OTHER_OWNER))
    agents.create(agent("weather"))

    ready = agents.wait_condition("weather", "Ready", "False", "ChildNotOwned")
    assert "Deployment demo/weather" in ready["message"]
    assert "Gadget gadget" in ready["message"]
    settle_two_resyncs(cluster)

    live = cluster.get_object("deployments", "weather", NAMESPACE, "apps")
    assert live is not None
    assert live["metadata"]["ownerReferences"] == [OTHER_OWNER]
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "someone/else:1"
    assert cluster.count(verb=("patch", "update", "delete"), resource="deployments") == 0
    assert agents.child("weather", "ConfigMap") is not None  # the rest is in place
    events = wait_for(
        lambda: [
            e
            for e in cluster.list_objects("events", NAMESPACE)
            if e.get("reason") == "ChildNotOwned" and e["involvedObject"]["name"] == "weather"
        ],
        what="an Event about the foreign Deployment",
    )
    assert events[0]["type"] == "Warning"
    assert_no_traceback(operator.log)


def test_once_the_foreign_object_is_gone_the_agent_converges(
    operator: OperatorProcess, agents: Agents, cluster: EmulatorServer, api: Any
) -> None:
    cluster.install(deployment("weather", None))  # no owner at all: still not ours
    agents.create(agent("weather"))
    agents.wait_condition("weather", "Ready", "False", "ChildNotOwned")

    client.AppsV1Api(api).delete_namespaced_deployment("weather", NAMESPACE)

    agents.wait_ready("weather")
    owners = (agents.child("weather", "Deployment") or {})["metadata"]["ownerReferences"]
    assert [(o["kind"], o["name"]) for o in owners] == [("Agent", "weather")]


def test_a_foreign_object_named_like_an_unwanted_child_is_not_deleted(
    operator: OperatorProcess, agents: Agents, cluster: EmulatorServer
) -> None:
    # One replica: the Agent wants no PodDisruptionBudget, and deletes its own if it has one.
    budget = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "weather", "namespace": NAMESPACE, "labels": dict(LABELS)},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app": "other"}}},
    }
    cluster.install(budget)
    agents.create(agent("weather", replicas=1))
    agents.wait_ready("weather")
    agents.patch("weather", {"spec": {"instructions": "Answer in French."}})
    agents.wait_ready("weather")

    settle_two_resyncs(cluster)

    assert cluster.get_object("poddisruptionbudgets", "weather", NAMESPACE, "policy") is not None
    assert cluster.count(verb="delete", resource="poddisruptionbudgets") == 0
