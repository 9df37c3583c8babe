"""What one Agent costs the API server: requests to create it, and to resync it unchanged."""

from __future__ import annotations

import time
from collections import Counter

from tests.emulator import EmulatorServer

from .agents import ALWAYS, Agents, agent
from .operator import RESYNC_SECONDS, OperatorProcess, wait_for


def test_creating_one_agent_writes_at_most_its_children_plus_three(
    operator: OperatorProcess, agents: Agents, cluster: EmulatorServer
) -> None:
    cluster.reset_counts()
    agents.create(agent("weather"))
    agents.wait_ready("weather")
    time.sleep(RESYNC_SECONDS * 0.5)  # let late status writes land before counting

    ours = [
        r for r in cluster.requests if "agent-operator" in r.user_agent or "kopf" in r.user_agent
    ]
    writes = Counter(
        f"{r.verb} {r.resource}{'/' + r.subresource if r.subresource else ''}"
        for r in ours
        if r.is_write
    )
    reads = Counter(f"{r.verb} {r.resource}" for r in ours if r.is_read and r.verb != "watch")
    print(f"writes for one create: {sum(writes.values())} {dict(writes)}")
    print(f"reads for one create: {sum(reads.values())} {dict(reads)}")
    child_writes = sum(
        n for k, n in writes.items() if not k.endswith(("agents", "agents/status", "events"))
    )
    assert child_writes == len(ALWAYS)
    assert sum(writes.values()) <= len(ALWAYS) + 3


def test_an_unchanged_resync_only_reads(
    operator: OperatorProcess, agents: Agents, cluster: EmulatorServer
) -> None:
    agents.create(agent("weather"))
    agents.wait_ready("weather")
    time.sleep(RESYNC_SECONDS * 1.5)
    cluster.reset_counts()

    wait_for(
        lambda: cluster.count(verb="get", user_agent="agent-operator", resource="deployments") >= 1,
        timeout=RESYNC_SECONDS * 5,
        what="one resync",
    )
    time.sleep(0.3)  # the rest of that resync's reads
    reads = Counter(
        f"{r.verb} {r.resource}" for r in cluster.requests if r.is_read and r.verb != "watch"
    )
    print(f"requests for one no-op resync: {sum(reads.values())} reads {dict(reads)}, 0 writes")
    assert cluster.writes() == []
