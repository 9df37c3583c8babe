"""The Deployment that runs an Agent's runtime pods.

The pods run `agent-runtime serve` with the ConfigMap mounted at `CONFIG_MOUNT_DIR` and each
referenced Secret mounted as files (see `secrets`). The pod template carries the config's hash,
so a changed config rolls the pods, while a rotated Secret does not: the runtime re-reads the
file. The pods run under the `restricted` Pod Security Standard: non-root, no privilege
escalation, no capabilities, a read-only root file system with an emptyDir at /tmp, and no
service account token (the runtime never calls the Kubernetes API).

When the Agent autoscales, the Deployment has no `replicas` field at all, so that server-side
apply leaves the number to the HorizontalPodAutoscaler.
"""

from __future__ import annotations

import math

from agent_operator.builders.configmap import config_hash
from agent_operator.builders.meta import AgentMeta, Manifest, object_meta
from agent_operator.builders.names import child_labels, child_name, selector_labels
from agent_operator.builders.secrets import secret_volume_mounts, secret_volumes
from agent_operator.settings import OperatorSettings
from agent_operator.spec import AgentSpec
from agent_runtime.config import CONFIG_FILE_NAME, CONFIG_MOUNT_DIR, RUNTIME_PORT

#: The pod-template annotation whose change rolls the pods when the config changes.
CONFIG_HASH_ANNOTATION = "agent-operator.io/config-hash"
#: A writable scratch directory in the pod; the root file system is read-only.
TMP_DIR = "/tmp"  # noqa: S108 (a path inside the pod, backed by an emptyDir)
#: The name of the runtime container (and `kubectl logs`' default container).
CONTAINER_NAME = "runtime"
#: Seconds a stopping pod is given beyond the longest request, to finish what it serves.
SHUTDOWN_MARGIN_SECONDS = 5


def build_deployment(meta: AgentMeta, spec: AgentSpec, settings: OperatorSettings) -> Manifest:
    """The Deployment of the Agent's runtime."""
    deployment_spec: Manifest = {
        "selector": {"matchLabels": selector_labels(meta.name)},
        "revisionHistoryLimit": 3,
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
        },
        "template": _pod_template(meta, spec, settings),
    }
    if spec.autoscaling is None:
        deployment_spec = {"replicas": spec.replicas, **deployment_spec}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": object_meta(meta, "Deployment"),
        "spec": deployment_spec,
    }


def _pod_template(meta: AgentMeta, spec: AgentSpec, settings: OperatorSettings) -> Manifest:
    grace = math.ceil(spec.limits.request_timeout_seconds) + SHUTDOWN_MARGIN_SECONDS
    return {
        "metadata": {
            "labels": child_labels(meta.name),
            "annotations": {
                CONFIG_HASH_ANNOTATION: config_hash(meta, spec),
                "kubectl.kubernetes.io/default-container": CONTAINER_NAME,
            },
        },
        "spec": {
            "serviceAccountName": child_name(meta.name, "ServiceAccount"),
            "automountServiceAccountToken": False,
            "enableServiceLinks": False,
            "terminationGracePeriodSeconds": grace,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": settings.run_as_user,
                "runAsGroup": settings.run_as_user,
                "fsGroup": settings.run_as_user,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "containers": [_container(spec, settings)],
            "volumes": [
                {
                    "name": "config",
                    "configMap": {
                        "name": child_name(meta.name, "ConfigMap"),
                        "items": [{"key": CONFIG_FILE_NAME, "path": CONFIG_FILE_NAME}],
                    },
                },
                {"name": "tmp", "emptyDir": {}},
                *secret_volumes(spec),
            ],
        },
    }


def _container(spec: AgentSpec, settings: OperatorSettings) -> Manifest:
    return {
        "name": CONTAINER_NAME,
        "image": spec.image or settings.runtime_image,
        "imagePullPolicy": settings.image_pull_policy,
        "command": ["agent-runtime"],
        "args": ["serve", "--config", f"{CONFIG_MOUNT_DIR}/{CONFIG_FILE_NAME}"],
        "ports": [{"name": "http", "containerPort": RUNTIME_PORT, "protocol": "TCP"}],
        "readinessProbe": _probe("/readyz", period=5),
        "livenessProbe": _probe("/healthz", period=10),
        "resources": _resources(spec, settings),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [
            {"name": "config", "mountPath": CONFIG_MOUNT_DIR, "readOnly": True},
            {"name": "tmp", "mountPath": TMP_DIR},
            *secret_volume_mounts(spec),
        ],
    }


def _probe(path: str, *, period: int) -> Manifest:
    return {
        "httpGet": {"path": path, "port": "http"},
        "periodSeconds": period,
        "timeoutSeconds": 2,
        "failureThreshold": 3,
    }


def _resources(spec: AgentSpec, settings: OperatorSettings) -> Manifest:
    if spec.resources is None:
        return {kind: dict(amounts) for kind, amounts in settings.default_resources.items()}
    resources: Manifest = {}
    if spec.resources.requests is not None:
        resources["requests"] = {k: str(v) for k, v in spec.resources.requests.items()}
    if spec.resources.limits is not None:
        resources["limits"] = {k: str(v) for k, v in spec.resources.limits.items()}
    return resources
