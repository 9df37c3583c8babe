"""SIGKILL in the middle of reconciling 100 new Agents, then a fresh start: all 100 converge.

`tests/operator_e2e/test_restart.py` proves it for 20 Agents and three kinds of child; this
checks every kind of child, every owner reference, and that no Agent is left without status.
"""

from __future__ import annotations

from tests.emulator import EmulatorServer
from tests.operator_e2e.agents import NAMESPACE, Agents, agent
from tests.operator_e2e.operator import OperatorProcess, wait_for

from .checks import GROUP, agent_uids, assert_no_duplicate_or_orphan

COUNT = 100
#: Generous: 100 Agents through a restart on a shared build machine.
WAIT_ALL = 120.0


def test_killed_while_reconciling_100_agents_then_restarted_every_agent_converges(
    operator: OperatorProcess, agents: Agents, cluster: EmulatorServer
) -> None:
    names = [f"burst-{i:03d}" for i in range(COUNT)]
    for name in names:
        agents.create(agent(name, replicas=2))
    wait_for(
        lambda: len(cluster.list_objects("deployments", NAMESPACE, "apps")) >= 10,
        what="the operator to be part-way through",
    )

    operator.kill()
    part_way = len(cluster.list_objects("deployments", NAMESPACE, "apps"))
    operator.start()

    for name in names:
        agents.wait_ready(name, timeout=WAIT_ALL)
    assert part_way < COUNT, "the kill came after the work was done; nothing was proven"
    assert_no_duplicate_or_orphan(cluster, names)
    assert sorted(agent_uids(cluster)) == names
    for obj in cluster.list_objects("agents", NAMESPACE, GROUP):
        status = obj.get("status") or {}
        assert status.get("observedGeneration") == obj["metadata"]["generation"]
        assert status.get("readyReplicas") == 2
        assert status.get("endpoint") == f"http://{obj['metadata']['name']}.{NAMESPACE}.svc:80"
    pdbs = cluster.list_objects("poddisruptionbudgets", NAMESPACE, "policy")
    assert len(pdbs) == COUNT  # replicas 2: each Agent has its disruption budget, once
