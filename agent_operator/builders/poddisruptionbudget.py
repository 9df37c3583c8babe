"""The PodDisruptionBudget that keeps an Agent serving through node drains.

It exists only when the Agent runs more than one pod for sure (more than one replica without
autoscaling, or an autoscaling minimum above one): with one pod, a budget would block drains.
It allows one pod down at a time, which holds whatever the number of replicas is.
"""

from __future__ import annotations

from agent_operator.builders.meta import AgentMeta, Manifest, object_meta
from agent_operator.builders.names import selector_labels
from agent_operator.spec import AgentSpec

API_VERSION = "policy/v1"


def wants_disruption_budget(spec: AgentSpec) -> bool:
    """Whether the Agent always runs more than one pod."""
    if spec.autoscaling is not None:
        return spec.autoscaling.min_replicas > 1
    return spec.replicas > 1


def build_pod_disruption_budget(meta: AgentMeta) -> Manifest:
    """The Agent's PodDisruptionBudget."""
    return {
        "apiVersion": API_VERSION,
        "kind": "PodDisruptionBudget",
        "metadata": object_meta(meta, "PodDisruptionBudget"),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector_labels(meta.name)}},
    }
