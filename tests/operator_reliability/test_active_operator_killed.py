"""Two operator replicas in Kopf peering: one writes; SIGKILLed, the other takes over.

Each replica is the real `agent-operator run` with its own kubeconfig token, so the emulator
records which replica sent each request (as an API server's audit log names the user). The
peering resources are those the chart installs: its CRDs from `crds/`, and the peering object
and environment its templates render with two replicas.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.chart.rbac_rules import chart_rbac_rules
from tests.emulator import EmulatorServer
from tests.operator_e2e.agents import Agents, agent
from tests.operator_e2e.operator import WAIT, OperatorProcess, wait_for

from .checks import assert_no_duplicate_or_orphan
from .peering import PEERING, chart_peering, peers
from .test_rbac_matches_use import used_permissions

#: Short, so the test waits seconds for the takeover; the chart's default is longer.
LIFETIME_SECONDS = 6
HA_VALUES: dict[str, Any] = {"replicaCount": 2, "peering": {"lifetimeSeconds": LIFETIME_SECONDS}}


def writes_by(cluster: EmulatorServer, user: str, *, peering: bool = False) -> list[str]:
    """What `user` wrote: its keep-alives (`peering=True`) or everything else."""
    return [
        f"{r.verb} {r.resource}/{r.subresource or ''} {r.name}"
        for r in cluster.requests
        if r.is_write and r.user == user and (r.group == PEERING) == peering
    ]


@pytest.fixture
def replicas(cluster: EmulatorServer, tmp_path: Path) -> Iterator[dict[str, OperatorProcess]]:
    env = chart_peering(cluster, HA_VALUES)
    processes: dict[str, OperatorProcess] = {}
    for name in ("replica-a", "replica-b"):
        kubeconfig = cluster.write_kubeconfig(tmp_path / f"{name}.kubeconfig", token=name)
        processes[name] = OperatorProcess(
            kubeconfig, tmp_path / f"{name}.log", env={**env, "POD_ID": name}
        )
    try:
        yield processes
    finally:
        for process in processes.values():
            process.stop()
            print(process.log[-10000:])  # shown by pytest only when the test failed


def test_only_the_active_replica_writes_and_the_standby_takes_over_when_it_is_killed(
    replicas: dict[str, OperatorProcess], agents: Agents, cluster: EmulatorServer
) -> None:
    active, standby = replicas["replica-a"], replicas["replica-b"]
    active.start()
    wait_for(lambda: "replica-a" in peers(cluster), what="the first replica's keep-alive")
    standby.start()  # the younger one: lower priority, so it waits
    wait_for(lambda: "replica-b" in peers(cluster), what="the second replica's keep-alive")
    before = [f"before-{i}" for i in range(3)]
    for name in before:
        agents.create(agent(name))
    for name in before:
        agents.wait_ready(name)
    assert writes_by(cluster, "replica-a"), "the active replica wrote nothing"
    assert writes_by(cluster, "replica-b") == [], "the standby wrote"
    assert writes_by(cluster, "replica-b", peering=True), "the standby sent no keep-alive"

    active.kill()
    agents.create(agent("during-failover"))
    agents.wait_ready("during-failover", timeout=LIFETIME_SECONDS + WAIT)

    assert "replica-a" not in peers(cluster), "the dead replica's keep-alive was not cleaned"
    standby_writes = writes_by(cluster, "replica-b")
    assert any("during-failover" in write for write in standby_writes), standby_writes
    assert not [w for w in standby_writes if any(name in w for name in before)], (
        "the replica that took over rewrote what the first one had done"
    )
    names = [*before, "during-failover"]
    assert_no_duplicate_or_orphan(cluster, names)
    for name in names:
        agents.wait_ready(name)


def test_the_replicas_use_exactly_the_peering_permissions_the_chart_grants(
    replicas: dict[str, OperatorProcess], agents: Agents, cluster: EmulatorServer
) -> None:
    for process in replicas.values():
        process.start()
    wait_for(lambda: len(peers(cluster)) == 2, what="both replicas' keep-alives")
    agents.create(agent("one"))
    agents.wait_ready("one")
    for process in replicas.values():
        process.stop()  # a clean exit removes its keep-alive: recorded too
    wait_for(lambda: peers(cluster) == {}, what="both keep-alives removed on exit")

    granted = {p for p in chart_rbac_rules(HA_VALUES) if p[0] == PEERING}
    used = {p for p in used_permissions(cluster) if p[0] == PEERING}
    assert used == granted
