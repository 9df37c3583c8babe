"""Statuses the operator really writes (agent_operator.status), as Argo CD and kstatus read them.

Each case builds the operator's facts for one situation, lets `desired_status` write the status,
and checks what the Argo CD health check and kstatus make of the Agent carrying it.
"""

from __future__ import annotations

from typing import Any

import pytest

from agent_operator.status import Facts, MissingRef, desired_status
from tests.gitops.argocd_health import health
from tests.gitops.kstatus import compute

GENERATION = 3


def deployment(want: int = 2, updated: int = 2, available: int = 2, **extra: Any) -> dict[str, Any]:
    status: dict[str, Any] = {
        "observedGeneration": 5,
        "replicas": want,
        "updatedReplicas": updated,
        "readyReplicas": available,
        "availableReplicas": available,
        **extra,
    }
    return {"metadata": {"generation": 5}, "spec": {"replicas": want}, "status": status}


def facts(**overrides: Any) -> Facts:
    base: dict[str, Any] = {
        "generation": GENERATION,
        "desired_replicas": 2,
        "selector": "app.kubernetes.io/instance=weather",
        "endpoint": "http://weather.demo.svc:80",
        "deployment": deployment(),
        "missing_refs": [],
    }
    return Facts(**{**base, **overrides})


def agent_with(status: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "agent-operator.io/v1alpha1",
        "kind": "Agent",
        "metadata": {"name": "weather", "namespace": "demo", "generation": GENERATION},
        "status": status,
    }


ROLLOUT_FAILED = deployment(
    updated=1,
    conditions=[{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}],
)

CASES = [
    ("serving", facts(), "Healthy", "Current"),
    ("deployment not created yet", facts(deployment=None), "Progressing", "InProgress"),
    ("half rolled out", facts(deployment=deployment(updated=1)), "Progressing", "InProgress"),
    ("pods not available", facts(deployment=deployment(available=1)), "Progressing", "InProgress"),
    ("invalid spec", facts(invalid_spec="spec.model.name is empty"), "Degraded", "Failed"),
    ("rollout failed", facts(deployment=ROLLOUT_FAILED), "Degraded", "Failed"),
    (
        "secret missing",
        facts(missing_refs=[MissingRef("mistral-secrets", "apiKey", secret_exists=False)]),
        "Degraded",
        "InProgress",
    ),
    ("api refused a write", facts(reconcile_error="409 Conflict"), "Degraded", "InProgress"),
]


@pytest.mark.parametrize(
    ("facts_", "argocd", "kstatus"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_operator_status_reads_as_expected(facts_: Facts, argocd: str, kstatus: str) -> None:
    agent = agent_with(desired_status(facts_, {}))
    assert health(agent)[0] == argocd
    assert compute(agent) == kstatus


def test_a_spec_change_not_yet_applied_is_progressing_in_both() -> None:
    previous = desired_status(facts(generation=GENERATION - 1), {})
    status = desired_status(facts(observed=False), previous)
    agent = agent_with(status)
    assert health(agent)[0] == "Progressing"
    assert compute(agent) == "InProgress"
