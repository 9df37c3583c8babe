"""A replica that Kopf's peering pauses stops its resync and its restores, and resumes after.

Kopf pauses its own watches and handlers; the resync and the children's watches are the
operator's own, so they must follow the pause too. Here a live peer of higher priority is
written into the peering object (as a replica that came back would write its keep-alive): the
paused replica must neither read nor write for its Agents, and must pick up again once that
peer is gone.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.emulator import EmulatorServer
from tests.operator_e2e.agents import NAMESPACE, Agents, agent
from tests.operator_e2e.operator import OperatorProcess, wait_for

from .peering import PEERING, chart_peering, peers
from .test_active_operator_killed import HA_VALUES

#: The intruding peer's priority: above any seniority priority (those are negative).
HIGHER_PRIORITY = 10**6
#: Peering checks the paused replica must make before it is judged: several resync intervals.
CHECKS = 4


def resync_reads(cluster: EmulatorServer) -> int:
    return cluster.count(verb="get", user_agent="agent-operator", resource="deployments")


def set_intruder(cluster: EmulatorServer, http: httpx.Client, *, present: bool) -> None:
    """Write (or remove) a live peer of higher priority in the chart's peering object."""
    (peering,) = cluster.list_objects("clusterkopfpeerings", None, PEERING)
    lastseen = datetime.datetime.now(datetime.UTC).isoformat()
    intruder = {"priority": HIGHER_PRIORITY, "lifetime": 600, "lastseen": lastseen}
    http.patch(
        f"/apis/{PEERING}/v1/clusterkopfpeerings/{peering['metadata']['name']}",
        json={"status": {"intruder": intruder if present else None}},
        headers={"Content-Type": "application/merge-patch+json"},
    ).raise_for_status()


@pytest.fixture
def http(cluster: EmulatorServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": "Bearer emulator-token"}
    with httpx.Client(base_url=cluster.url, headers=headers, timeout=10) as client:
        yield client


@pytest.fixture
def replica(cluster: EmulatorServer, tmp_path: Path) -> Iterator[OperatorProcess]:
    env = chart_peering(cluster, HA_VALUES)
    kubeconfig = cluster.write_kubeconfig(tmp_path / "replica.kubeconfig", token="replica")
    process = OperatorProcess(kubeconfig, tmp_path / "replica.log", env={**env, "POD_ID": "a"})
    try:
        yield process.start()
    finally:
        process.stop()
        print(process.log[-10000:])  # shown by pytest only when the test failed


def test_a_paused_replica_neither_resyncs_nor_restores_until_it_resumes(
    replica: OperatorProcess, agents: Agents, cluster: EmulatorServer, http: httpx.Client
) -> None:
    wait_for(lambda: "a" in peers(cluster), what="the replica's keep-alive")
    agents.create(agent("steady"))
    agents.wait_ready("steady")
    wait_for(lambda: resync_reads(cluster) >= 2, what="the replica's resyncs")

    set_intruder(cluster, http, present=True)
    wait_for(lambda: "Paused the resync" in replica.log, what="the replica to pause")
    cluster.reset_counts()
    http.delete(f"/api/v1/namespaces/{NAMESPACE}/services/steady").raise_for_status()
    wait_for(
        lambda: (
            cluster.count(verb="list", user_agent="agent-operator", resource="clusterkopfpeerings")
            >= CHECKS
        ),
        what="several peering checks while paused",
    )
    assert resync_reads(cluster) == 0, "the paused replica resynced"
    assert [r for r in cluster.writes() if r.user == "replica" and r.group != PEERING] == []
    assert agents.child("steady", "Service") is None, "the paused replica restored a child"

    set_intruder(cluster, http, present=False)
    wait_for(lambda: "Resumed the resync" in replica.log, what="the replica to resume")
    wait_for(lambda: agents.child("steady", "Service"), what="the Service restored on resume")
