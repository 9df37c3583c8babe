"""Watches cut mid-stream and failing lists at start-up delay the operator, never blind it."""

from __future__ import annotations

from pathlib import Path

from tests.emulator import EmulatorServer
from tests.operator_e2e.agents import Agents, agent
from tests.operator_e2e.operator import OperatorProcess, wait_for

from .checks import assert_no_duplicate_or_orphan, assert_no_traceback, fault_lines


def test_agents_created_while_watches_keep_dropping_all_converge(
    operator: OperatorProcess, agents: Agents, cluster: EmulatorServer
) -> None:
    names = [f"agent-{i}" for i in range(12)]
    dropped = 0
    for index, name in enumerate(names):
        agents.create(agent(name))
        if index % 3 == 2:
            dropped += cluster.drop_watches(abrupt=index % 2 == 0)

    for name in names:
        agents.wait_ready(name)
    assert dropped >= 2  # streams were really cut, more than once
    assert_no_duplicate_or_orphan(cluster, names)
    assert_no_traceback(operator.log)


def test_a_watch_dropped_after_convergence_still_sees_the_next_change(
    operator: OperatorProcess, agents: Agents, cluster: EmulatorServer
) -> None:
    agents.create(agent("weather"))
    agents.wait_ready("weather")

    assert cluster.drop_watches(abrupt=True) >= 2
    agents.patch("weather", {"spec": {"replicas": 3}})

    wait_for(
        lambda: (agents.child("weather", "Deployment") or {})["spec"]["replicas"] == 3,
        what="the new replicas on the Deployment",
    )
    agents.wait_ready("weather")
    assert_no_traceback(operator.log)


def test_lists_failing_at_start_up_are_retried_and_every_agent_converges(
    cluster: EmulatorServer, agents: Agents, k8s_kubeconfig: Path, tmp_path: Path
) -> None:
    names = ["early-1", "early-2", "early-3"]
    for name in names:
        agents.create(agent(name))
    agent_lists = cluster.faults.add(
        verb="list", resource="agents", status=500, times=2, message="injected 500 on listing"
    )
    deployment_lists = cluster.faults.add(
        verb="list",
        resource="deployments",
        status=429,
        times=1,
        retry_after=1,
        message="injected 429 on listing",
    )

    operator = OperatorProcess(k8s_kubeconfig, tmp_path / "operator.log").start()
    try:
        for name in names:
            agents.wait_ready(name)
    finally:
        operator.stop()

    assert agent_lists.exhausted()
    assert deployment_lists.exhausted()
    assert 1 <= len(fault_lines(operator.log, "injected 500 on listing")) <= 2
    # The children's lists go through the operator's HTTP client, which honours Retry-After
    # itself: the 429 is waited out without a line, or told in one.
    assert len(fault_lines(operator.log, "injected 429 on listing")) <= 1
    assert_no_duplicate_or_orphan(cluster, names)
    assert_no_traceback(operator.log)
