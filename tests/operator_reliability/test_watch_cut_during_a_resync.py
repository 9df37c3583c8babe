"""A watch cut and re-opened while the resync runs costs no write.

Under CPU pressure at thousands of Agents, watches were re-opened during a run and the no-op
resync wrote; here the same happens at a small size: every watch is cut, cleanly and abruptly,
while resyncs run over converged Agents, and the operator must write nothing at all.
"""

from __future__ import annotations

from tests.emulator import EmulatorServer
from tests.operator_e2e.agents import Agents, agent
from tests.operator_e2e.operator import RESYNC_SECONDS, OperatorProcess, wait_for

from .checks import assert_no_traceback

#: Converged Agents the resync walks over while the watches are cut.
AGENTS = 8
#: Times every watch is cut during the resyncs.
CUTS = 4


def resync_reads(cluster: EmulatorServer) -> int:
    return cluster.count(verb="get", user_agent="agent-operator", resource="deployments")


def test_watches_cut_during_resyncs_of_converged_agents_cost_no_write(
    operator: OperatorProcess, agents: Agents, cluster: EmulatorServer
) -> None:
    names = [f"agent-{i}" for i in range(AGENTS)]
    for name in names:
        agents.create(agent(name))
    for name in names:
        agents.wait_ready(name)
    settled = resync_reads(cluster)
    wait_for(lambda: resync_reads(cluster) >= settled + 2 * AGENTS, what="two quiet resyncs")
    cluster.reset_counts()

    cut = 0
    for round_ in range(CUTS):
        wait_for(lambda r=round_: resync_reads(cluster) > r * AGENTS, what="a resync under way")  # type: ignore[misc]
        cut += cluster.drop_watches(abrupt=round_ % 2 == 0)
    wait_for(
        lambda: resync_reads(cluster) >= (CUTS + 2) * AGENTS,
        timeout=RESYNC_SECONDS * 30,
        what="two more resyncs after the cuts",
    )

    assert cut >= CUTS  # streams were really cut
    assert cluster.count(verb="watch") >= CUTS  # and re-opened
    operator_writes = [
        r for r in cluster.writes() if r.user_agent.startswith(("agent-operator", "kopf"))
    ]
    assert operator_writes == []
    for name in names:
        agents.wait_ready(name)
    assert_no_traceback(operator.log)
