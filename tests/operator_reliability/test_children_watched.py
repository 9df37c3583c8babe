"""Every kind of child is watched: deleted or edited by hand, it is back within seconds.

The operator here resyncs only every 300 s (the default), so what puts a child back is the
watch on its kind, not the resync. Each kind is deleted once and edited once where a user would
edit it (the data, a port, a rule, a label, the bounds); each wait is bounded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent_runtime.config import CONFIG_FILE_NAME
from tests.emulator import EmulatorServer
from tests.operator_e2e.agents import KINDS, NAMESPACE, Agents, agent
from tests.operator_e2e.operator import OperatorProcess, wait_for

from .checks import assert_no_traceback

#: Seconds a restore may take: a watch event and one converge, on a busy machine.
RESTORE_SECONDS = 15.0
#: An Agent that has every kind of child: two replicas (a disruption budget) and autoscaling.
EVERY_CHILD = {
    "replicas": 2,
    "autoscaling": {"minReplicas": 2, "maxReplicas": 4},
    "resources": {"requests": {"cpu": "100m"}},
}
MERGE_PATCH = {"Content-Type": "application/merge-patch+json"}

#: Per kind: a hand edit (a JSON merge patch) and how to read back the field it changed.
EDITS: dict[str, tuple[dict[str, Any], Callable[[dict[str, Any]], Any]]] = {
    "ConfigMap": ({"data": {CONFIG_FILE_NAME: "{}"}}, lambda o: o["data"][CONFIG_FILE_NAME]),
    "Deployment": (
        {"spec": {"template": {"spec": {"containers": [{"name": "x", "image": "evil:1"}]}}}},
        lambda o: [c["image"] for c in o["spec"]["template"]["spec"]["containers"]],
    ),
    "Service": (
        {"spec": {"ports": [{"name": "http", "port": 81, "targetPort": 9999}]}},
        lambda o: o["spec"]["ports"],
    ),
    "ServiceAccount": (
        {"metadata": {"labels": {"app.kubernetes.io/part-of": "someone-else"}}},
        lambda o: o["metadata"]["labels"],
    ),
    "NetworkPolicy": ({"spec": {"egress": [{}]}}, lambda o: o["spec"]["egress"]),
    "PodDisruptionBudget": ({"spec": {"maxUnavailable": 2}}, lambda o: o["spec"]),
    "HorizontalPodAutoscaler": ({"spec": {"maxReplicas": 50}}, lambda o: o["spec"]["maxReplicas"]),
}


@pytest.fixture
def slow_resync_operator(
    cluster: EmulatorServer, k8s_kubeconfig: Path, tmp_path: Path
) -> Iterator[OperatorProcess]:
    """The operator with the default resync interval: only its watches can restore in time."""
    env = {"AGENT_OPERATOR_RESYNC_INTERVAL_SECONDS": "300"}
    process = OperatorProcess(k8s_kubeconfig, tmp_path / "operator.log", env=env).start()
    try:
        yield process
    finally:
        process.stop()
        print(process.log[-20000:])  # shown by pytest only when the test failed


@pytest.fixture
def http(cluster: EmulatorServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": "Bearer emulator-token"}
    with httpx.Client(base_url=cluster.url, headers=headers, timeout=10) as client:
        yield client


def child_path(kind: str, name: str) -> str:
    plural, group = KINDS[kind]
    version = {"autoscaling": "v2", "": "v1"}.get(group, "v1")
    base = "/api/v1" if group == "" else f"/apis/{group}/{version}"
    return f"{base}/namespaces/{NAMESPACE}/{plural}/{name}"


def ready_with_every_child(agents: Agents) -> None:
    agents.create(agent("weather", **EVERY_CHILD))
    agents.wait_ready("weather")
    for kind in KINDS:
        wait_for(lambda kind=kind: agents.child("weather", kind), what=f"the {kind}")  # type: ignore[misc]


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_child_deleted_by_hand_is_restored_within_seconds(
    kind: str,
    slow_resync_operator: OperatorProcess,
    agents: Agents,
    http: httpx.Client,
) -> None:
    ready_with_every_child(agents)
    old = agents.child("weather", kind)
    assert old is not None

    http.delete(child_path(kind, old["metadata"]["name"])).raise_for_status()

    restored = wait_for(
        lambda: (
            (c := agents.child("weather", kind))
            and c["metadata"]["uid"] != old["metadata"]["uid"]
            and c
        ),
        timeout=RESTORE_SECONDS,
        what=f"the {kind} restored",
    )
    assert restored["metadata"]["ownerReferences"][0]["name"] == "weather"
    assert_no_traceback(slow_resync_operator.log)


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_child_edited_by_hand_is_put_back_within_seconds(
    kind: str,
    slow_resync_operator: OperatorProcess,
    agents: Agents,
    http: httpx.Client,
) -> None:
    ready_with_every_child(agents)
    patch, field = EDITS[kind]
    before = agents.child("weather", kind)
    assert before is not None
    path = child_path(kind, before["metadata"]["name"])

    http.patch(path, json=patch, headers=MERGE_PATCH).raise_for_status()
    assert field(agents.child("weather", kind) or {}) != field(before)  # the edit landed

    wait_for(
        lambda: field(agents.child("weather", kind) or {}) == field(before),
        timeout=RESTORE_SECONDS,
        what=f"the {kind} put back",
    )
    assert_no_traceback(slow_resync_operator.log)


def test_a_child_that_loses_the_managed_label_is_put_back(
    slow_resync_operator: OperatorProcess, agents: Agents, http: httpx.Client
) -> None:
    # The watch selects on this label: an edit that removes it reads as a deletion.
    ready_with_every_child(agents)
    unmanaged = {"metadata": {"labels": {"app.kubernetes.io/managed-by": None}}}

    http.patch(child_path("Service", "weather"), json=unmanaged, headers=MERGE_PATCH)

    wait_for(
        lambda: (
            (agents.child("weather", "Service") or {})["metadata"]["labels"].get(
                "app.kubernetes.io/managed-by"
            )
            == "agent-operator"
        ),
        timeout=RESTORE_SECONDS,
        what="the managed label back",
    )


def test_children_deleted_with_their_agent_are_not_restored(
    slow_resync_operator: OperatorProcess, agents: Agents, cluster: EmulatorServer
) -> None:
    ready_with_every_child(agents)
    cluster.reset_counts()

    agents.delete("weather")
    for kind in KINDS:
        wait_for(
            lambda kind=kind: agents.child("weather", kind) is None,  # type: ignore[misc]
            what=f"the {kind} collected",
        )
    # Another Agent made Ready afterwards: the operator has handled every earlier event.
    agents.create(agent("after"))
    agents.wait_ready("after")

    assert all(agents.child("weather", kind) is None for kind in KINDS)
    restores = [
        f"{r.verb} {r.resource}"
        for r in cluster.writes()
        if r.user_agent.startswith("agent-operator")
        and r.name == "weather"
        and r.resource != "agents"  # a late status write to the gone Agent restores nothing
    ]
    assert restores == []
    assert cluster.count(verb="get", user_agent="agent-operator", resource="agents") == 0
