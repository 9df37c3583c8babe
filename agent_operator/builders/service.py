"""The Service that gives an Agent a stable in-cluster endpoint: port 80 to the pods' 8080."""

from __future__ import annotations

from agent_operator.builders.meta import AgentMeta, Manifest, object_meta
from agent_operator.builders.names import selector_labels

#: The port of the Service; the status endpoint and Agent tools use it.
SERVICE_PORT = 80


def build_service(meta: AgentMeta) -> Manifest:
    """The ClusterIP Service of the Agent's API."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": object_meta(meta, "Service"),
        "spec": {
            "type": "ClusterIP",
            "selector": selector_labels(meta.name),
            "ports": [
                {"name": "http", "port": SERVICE_PORT, "targetPort": "http", "protocol": "TCP"}
            ],
        },
    }
