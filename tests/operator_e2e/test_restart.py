"""An operator killed mid-way and started again converges, with no duplicate children."""

from __future__ import annotations

from tests.emulator import EmulatorServer

from .agents import NAMESPACE, Agents, agent
from .operator import OperatorProcess, wait_for

COUNT = 20


def test_killed_mid_reconcile_then_restarted_converges_without_duplicates(
    operator: OperatorProcess, agents: Agents, cluster: EmulatorServer
) -> None:
    names = [f"agent-{i:02d}" for i in range(COUNT)]
    for name in names:
        agents.create(agent(name))
    wait_for(
        lambda: len(cluster.list_objects("deployments", NAMESPACE, "apps")) >= 3,
        what="some progress",
    )

    operator.kill()
    operator.start()

    for name in names:
        agents.wait_ready(name)
    for plural, group in [("deployments", "apps"), ("configmaps", ""), ("services", "")]:
        objs = [
            o
            for o in cluster.list_objects(plural, NAMESPACE, group)
            if o["metadata"]["name"].startswith("agent-")
        ]
        assert sorted(o["metadata"]["name"] for o in objs) == names
        for obj in objs:
            assert len(obj["metadata"]["ownerReferences"]) == 1


def test_a_restart_with_nothing_changed_writes_no_child(
    operator: OperatorProcess, agents: Agents, cluster: EmulatorServer
) -> None:
    for name in ("a1", "a2"):
        agents.create(agent(name))
        agents.wait_ready(name)
    operator.stop()
    cluster.reset_counts()

    operator.start()
    wait_for(
        lambda: cluster.count(verb="get", user_agent="agent-operator", resource="deployments") >= 2,
        what="the resumed operator to check both Deployments",
    )

    child_writes = [r for r in cluster.writes() if r.resource not in ("agents", "events")]
    assert child_writes == []
