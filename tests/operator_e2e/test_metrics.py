"""The operator's own metrics: reconciles by result, their duration, Agents by condition."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.emulator import EmulatorServer

from .agents import Agents, agent
from .operator import OperatorProcess, free_port, wait_for


@pytest.fixture
def metrics_port() -> int:
    return free_port()


@pytest.fixture
def operator_with_metrics(
    cluster: EmulatorServer, k8s_kubeconfig: Path, tmp_path: Path, metrics_port: int
) -> Iterator[OperatorProcess]:
    args = ("--metrics-port", str(metrics_port))
    process = OperatorProcess(k8s_kubeconfig, tmp_path / "operator.log", args=args).start()
    try:
        yield process
    finally:
        process.stop()


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    url = f"http://127.0.0.1:{port}/metrics"
    with urllib.request.urlopen(url, timeout=5) as answer:
        text = answer.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_count_reconciles_and_agents_by_condition(
    operator_with_metrics: OperatorProcess, agents: Agents, metrics_port: int
) -> None:
    agents.create(agent("a1"))
    agents.create(agent("a2", model={"name": "m", "apiKeySecretRef": {"name": "nope", "key": "k"}}))
    agents.wait_ready("a1")
    agents.wait_condition("a2", "ResolvedRefs", "False")

    def counted() -> dict[tuple[str, tuple[tuple[str, str], ...]], float] | None:
        samples = scrape(metrics_port)
        ready = samples.get(("agent_operator_agents", (("condition", "Ready"), ("status", "True"))))
        waiting = samples.get(
            ("agent_operator_agents", (("condition", "ResolvedRefs"), ("status", "False")))
        )
        return samples if ready == 1 and waiting == 1 else None

    samples = wait_for(counted, what="agents by condition in the metrics")
    changed = samples[("agent_operator_reconciles_total", (("result", "changed"),))]
    assert changed >= 1
    assert samples[("agent_operator_reconcile_duration_seconds_count", ())] >= changed
    applied = samples[
        ("agent_operator_child_writes_total", (("action", "apply"), ("kind", "Deployment")))
    ]
    assert applied == 2
