"""Sample Agents in the states a GitOps tool meets, with the verdicts Argo CD and kstatus owe them.

The statuses use the operator's condition reasons (agent_operator/status.py): RollingOut,
DeploymentMissing and Unavailable pass on their own; InvalidSpec and RolloutFailed need a change
of the spec; SecretsMissing and ReconcileError need someone to act, or may heal by retry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Sample:
    """An Agent object and what each tool should make of it."""

    name: str
    agent: dict[str, Any]
    argocd: str  # Healthy / Progressing / Degraded
    kstatus: str  # Current / InProgress / Failed


def agent(generation: int = 3, status: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "apiVersion": "agent-operator.io/v1alpha1",
        "kind": "Agent",
        "metadata": {"name": "weather", "namespace": "demo", "generation": generation},
        "spec": {"model": {"name": "mistral-small-latest"}},
    }
    if status is not None:
        body["status"] = status
    return body


def ready(
    status: str, reason: str, observed: int = 3, condition_generation: int = 3
) -> dict[str, Any]:
    return {
        "observedGeneration": observed,
        "replicas": 2,
        "readyReplicas": 2 if status == "True" else 0,
        "conditions": [
            {
                "type": "ResolvedRefs",
                "status": "True",
                "reason": "AllRefsResolved",
                "message": "Every referenced Secret key exists.",
                "observedGeneration": condition_generation,
            },
            {
                "type": "Ready",
                "status": status,
                "reason": reason,
                "message": f"{reason} message",
                "observedGeneration": condition_generation,
            },
        ],
    }


SAMPLES: list[Sample] = [
    Sample("no status yet", agent(), "Progressing", "InProgress"),
    Sample(
        "status without conditions",
        agent(status={"observedGeneration": 3}),
        "Progressing",
        "InProgress",
    ),
    Sample("ready", agent(status=ready("True", "Available")), "Healthy", "Current"),
    Sample(
        "ready for an older generation",
        agent(status=ready("True", "Available", observed=2, condition_generation=2)),
        "Progressing",
        "InProgress",
    ),
    Sample(
        "observed but Ready still from the older generation",
        agent(status=ready("True", "Available", observed=3, condition_generation=2)),
        "Progressing",
        "InProgress",
    ),
    Sample("rolling out", agent(status=ready("False", "RollingOut")), "Progressing", "InProgress"),
    Sample(
        "deployment not created yet",
        agent(status=ready("False", "DeploymentMissing")),
        "Progressing",
        "InProgress",
    ),
    Sample(
        "pods not available yet",
        agent(status=ready("False", "Unavailable")),
        "Progressing",
        "InProgress",
    ),
    Sample(
        "ready unknown", agent(status=ready("Unknown", "Reconciling")), "Progressing", "InProgress"
    ),
    Sample("invalid spec", agent(status=ready("False", "InvalidSpec")), "Degraded", "Failed"),
    Sample("rollout failed", agent(status=ready("False", "RolloutFailed")), "Degraded", "Failed"),
    Sample(
        "secret missing", agent(status=ready("False", "SecretsMissing")), "Degraded", "InProgress"
    ),
    Sample(
        "reconcile error", agent(status=ready("False", "ReconcileError")), "Degraded", "InProgress"
    ),
]
