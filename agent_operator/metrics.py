"""The operator's Prometheus metrics: how reconciles go, how long they take, how Agents stand.

Served on `--metrics-port` by `agent-operator run`. Agents by condition is computed at scrape
time from what the operator already holds in memory, so it costs nothing between scrapes.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector


class AgentsByCondition(Collector):
    """`agent_operator_agents{condition,status}`: how many Agents have each condition status."""

    def __init__(self, statuses: Callable[[], Iterable[Mapping[str, Any]]]) -> None:
        self._statuses = statuses

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "agent_operator_agents",
            "Agents by condition type and status.",
            labels=["condition", "status"],
        )
        tally: Tally[tuple[str, str]] = Tally()
        for status in self._statuses():
            for cond in status.get("conditions") or []:
                tally[(str(cond.get("type")), str(cond.get("status")))] += 1
        for (cond_type, cond_status), count in sorted(tally.items()):
            family.add_metric([cond_type, cond_status], count)
        yield family


class OperatorMetrics:
    """The metric objects, on a registry of their own (tests make as many as they like)."""

    def __init__(self, statuses: Callable[[], Iterable[Mapping[str, Any]]]) -> None:
        self.registry = CollectorRegistry()
        self.reconciles = Counter(
            "agent_operator_reconciles",
            "Reconciles of Agents by result (changed, unchanged, invalid, error).",
            ["result"],
            registry=self.registry,
        )
        self.reconcile_duration = Histogram(
            "agent_operator_reconcile_duration_seconds",
            "Time to reconcile one Agent.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.api_writes = Counter(
            "agent_operator_child_writes",
            "Children written (applied or deleted) by kind and action.",
            ["kind", "action"],
            registry=self.registry,
        )
        self.registry.register(AgentsByCondition(statuses))
