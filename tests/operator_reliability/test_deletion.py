"""Deleting an Agent always completes, even when a child is held by someone else's finalizer.

The operator sets no finalizer, so nothing of its own can hold an Agent or its namespace; a
child that a foreign finalizer keeps stays until that finalizer is removed, and is not
recreated, patched or adopted meanwhile.
"""

from __future__ import annotations

from typing import Any

from kubernetes import client

from tests.emulator import EmulatorServer
from tests.operator_e2e.agents import NAMESPACE, Agents, agent
from tests.operator_e2e.operator import OperatorProcess, wait_for

from .checks import assert_no_traceback

HOLD = "example.com/hold"


def hold_config_map(core: client.CoreV1Api, name: str) -> None:
    core.patch_namespaced_config_map(name, NAMESPACE, {"metadata": {"finalizers": [HOLD]}})


def release_config_map(core: client.CoreV1Api, name: str) -> None:
    core.patch_namespaced_config_map(name, NAMESPACE, {"metadata": {"finalizers": None}})


def test_an_agent_with_a_stuck_child_is_deleted_and_the_child_waits_for_its_finalizer(
    operator: OperatorProcess, agents: Agents, cluster: EmulatorServer, core: client.CoreV1Api
) -> None:
    agents.create(agent("weather"))
    agents.wait_ready("weather")
    hold_config_map(core, "weather")
    cluster.reset_counts()

    agents.delete("weather")

    wait_for(lambda: agents.get("weather") is None, what="the Agent to be gone")
    wait_for(lambda: agents.child("weather", "Deployment") is None, what="its Deployment gone")
    stuck = agents.child("weather", "ConfigMap")
    assert stuck is not None
    assert stuck["metadata"].get("deletionTimestamp")
    operator_writes = [
        r for r in cluster.writes() if r.user_agent.startswith(("agent-operator", "kopf"))
    ]
    assert [r for r in operator_writes if r.resource == "configmaps"] == []

    release_config_map(core, "weather")
    wait_for(lambda: agents.child("weather", "ConfigMap") is None, what="the ConfigMap gone")
    assert_no_traceback(operator.log)


def test_a_new_agent_of_the_same_name_waits_for_the_stuck_child_then_converges(
    operator: OperatorProcess, agents: Agents, core: client.CoreV1Api
) -> None:
    agents.create(agent("weather"))
    agents.wait_ready("weather")
    hold_config_map(core, "weather")
    agents.delete("weather")
    wait_for(lambda: agents.get("weather") is None, what="the first Agent to be gone")

    agents.create(agent("weather"))

    ready = agents.wait_condition("weather", "Ready", "False", "ChildNotOwned")
    assert "ConfigMap demo/weather" in ready["message"]
    release_config_map(core, "weather")
    agents.wait_ready("weather")
    new_uid = (agents.get("weather") or {})["metadata"]["uid"]
    owners = (agents.child("weather", "ConfigMap") or {})["metadata"]["ownerReferences"]
    assert [o["uid"] for o in owners] == [new_uid]


def test_agents_are_deleted_while_the_operator_is_down(
    operator: OperatorProcess, agents: Agents, core: client.CoreV1Api
) -> None:
    for name in ("a1", "a2"):
        agents.create(agent(name))
        agents.wait_ready(name)
    hold_config_map(core, "a1")
    operator.kill()

    agents.delete("a1")
    agents.delete("a2")

    wait_for(lambda: agents.get("a1") is None and agents.get("a2") is None, what="both gone")
    assert agents.child("a2", "Deployment") is None
    stuck: dict[str, Any] | None = agents.child("a1", "ConfigMap")
    assert stuck is not None
    assert stuck["metadata"].get("deletionTimestamp")


def test_deleting_the_namespace_is_not_held_by_the_operator(
    operator: OperatorProcess, agents: Agents, cluster: EmulatorServer, core: client.CoreV1Api
) -> None:
    for name in ("a1", "a2", "a3"):
        agents.create(agent(name))
    for name in ("a1", "a2", "a3"):
        agents.wait_ready(name)

    core.delete_namespace(NAMESPACE)

    wait_for(
        lambda: cluster.get_object("namespaces", NAMESPACE) is None,
        what="the namespace to be gone",
    )
    assert cluster.list_objects("agents", NAMESPACE, "agent-operator.io") == []
    assert cluster.list_objects("deployments", NAMESPACE, "apps") == []
