"""A small vocabulary for the scenarios: make Agents, read them and their children."""

from __future__ import annotations

import copy
from typing import Any, cast

from kubernetes import client

from agent_operator.builders import child_name
from tests.emulator import EmulatorServer

from .operator import WAIT, wait_for

GROUP, VERSION, PLURAL = "agent-operator.io", "v1alpha1", "agents"
NAMESPACE = "demo"

#: Every child an Agent always has: (emulator plural, API group).
ALWAYS = {
    "ConfigMap": ("configmaps", ""),
    "Deployment": ("deployments", "apps"),
    "Service": ("services", ""),
    "ServiceAccount": ("serviceaccounts", ""),
    "NetworkPolicy": ("networkpolicies", "networking.k8s.io"),
}
OPTIONAL = {
    "PodDisruptionBudget": ("poddisruptionbudgets", "policy"),
    "HorizontalPodAutoscaler": ("horizontalpodautoscalers", "autoscaling"),
}
KINDS = {**ALWAYS, **OPTIONAL}


def agent(name: str, **spec: Any) -> dict[str, Any]:
    """An Agent manifest: a small valid spec, overridden by `spec`."""
    base: dict[str, Any] = {
        "model": {"name": "mistral-small-latest", "endpoint": "http://mock-llm.demo.svc:8081"},
        "instructions": "You answer briefly.",
    }
    base.update(copy.deepcopy(spec))
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Agent",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": base,
    }


class Agents:
    """Agents through the API (as kubectl would), children through the emulator's store."""

    def __init__(self, api: Any, cluster: EmulatorServer) -> None:
        self.custom = client.CustomObjectsApi(api)
        self.cluster = cluster

    def create(self, manifest: dict[str, Any]) -> dict[str, Any]:
        result = self.custom.create_namespaced_custom_object(
            GROUP, VERSION, NAMESPACE, PLURAL, manifest
        )
        return cast(dict[str, Any], result)

    def patch(self, name: str, patch: dict[str, Any]) -> dict[str, Any]:
        result = self.custom.patch_namespaced_custom_object(
            GROUP, VERSION, NAMESPACE, PLURAL, name, patch
        )
        return cast(dict[str, Any], result)

    def delete(self, name: str) -> None:
        self.custom.delete_namespaced_custom_object(GROUP, VERSION, NAMESPACE, PLURAL, name)

    def get(self, name: str) -> dict[str, Any] | None:
        return self.cluster.get_object(PLURAL, name, NAMESPACE, GROUP)

    def condition(self, name: str, type_: str) -> dict[str, Any] | None:
        obj = self.get(name) or {}
        for cond in (obj.get("status") or {}).get("conditions") or []:
            if cond.get("type") == type_:
                return dict(cond)
        return None

    def child(self, name: str, kind: str) -> dict[str, Any] | None:
        plural, group = KINDS[kind]
        return self.cluster.get_object(plural, child_name(name, kind), NAMESPACE, group)  # type: ignore[arg-type]

    def wait_ready(self, name: str, timeout: float = WAIT) -> dict[str, Any]:
        def ready() -> dict[str, Any] | None:
            obj = self.get(name) or {}
            status = obj.get("status") or {}
            cond = self.condition(name, "Ready") or {}
            current = status.get("observedGeneration") == obj.get("metadata", {}).get("generation")
            return obj if cond.get("status") == "True" and current else None

        return wait_for(ready, timeout, what=f"Agent {name} to be Ready")

    def wait_condition(
        self, name: str, type_: str, status: str, reason: str | None = None
    ) -> dict[str, Any]:
        def matches() -> dict[str, Any] | None:
            cond = self.condition(name, type_)
            if cond and cond["status"] == status and (reason is None or cond["reason"] == reason):
                return cond
            return None

        return wait_for(matches, what=f"Agent {name} {type_}={status} {reason or ''}")
