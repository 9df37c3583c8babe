"""The HorizontalPodAutoscaler of an Agent that sets `autoscaling`: it scales the Deployment.

The autoscaler targets the Deployment, not the Agent's scale subresource, so a GitOps tool
that owns the Agent never fights it over `spec.replicas`.
"""

from __future__ import annotations

from agent_operator.builders.meta import AgentMeta, Manifest, object_meta
from agent_operator.builders.names import child_name
from agent_operator.spec import AutoscalingSpec

API_VERSION = "autoscaling/v2"


def build_horizontal_pod_autoscaler(meta: AgentMeta, autoscaling: AutoscalingSpec) -> Manifest:
    """The Agent's HorizontalPodAutoscaler, on average CPU utilisation."""
    return {
        "apiVersion": API_VERSION,
        "kind": "HorizontalPodAutoscaler",
        "metadata": object_meta(meta, "HorizontalPodAutoscaler"),
        "spec": {
            "scaleTargetRef": {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": child_name(meta.name, "Deployment"),
            },
            "minReplicas": autoscaling.min_replicas,
            "maxReplicas": autoscaling.max_replicas,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {
                            "type": "Utilization",
                            "averageUtilization": autoscaling.target_cpu_utilization_percentage,
                        },
                    },
                }
            ],
        },
    }
