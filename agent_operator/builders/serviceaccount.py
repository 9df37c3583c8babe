"""The ServiceAccount of an Agent's pods: one per Agent, with no API token mounted.

The runtime needs no Kubernetes API access; a dedicated account still lets a cluster admin
grant one (or bind a cloud identity) to one agent without touching the others.
"""

from __future__ import annotations

from agent_operator.builders.meta import AgentMeta, Manifest, object_meta


def build_service_account(meta: AgentMeta) -> Manifest:
    """The Agent's ServiceAccount."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": object_meta(meta, "ServiceAccount"),
        "automountServiceAccountToken": False,
    }
