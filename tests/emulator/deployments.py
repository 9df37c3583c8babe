"""A stand-in for the Deployment controller: writes Deployment status as rollouts would.

Off by default. When enabled, every Deployment gets, after a short delay, a status written
through the `status` subresource (so watch events fire) with observedGeneration, replica
counts and the Available/Progressing conditions. A Deployment marked unavailable gets zero
ready replicas, Available=False and Progressing=False (ProgressDeadlineExceeded), which is how
a failing rollout looks to an operator.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any

from .cluster import Cluster, listener_for, now_rfc3339
from .errors import ApiError
from .resources import DEPLOYMENT_KEY
from .store import Event, Obj

DEFAULT_DELAY = 0.05  # seconds from a Deployment change to its status update


class DeploymentController:
    """Reconciles Deployment status; switch on with :meth:`enable`."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.enabled = False
        self.delay = DEFAULT_DELAY
        self.loop: asyncio.AbstractEventLoop | None = None
        self._unavailable: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        cluster.store.listeners.append(listener_for(DEPLOYMENT_KEY, self._on_event))

    def enable(self, delay: float = DEFAULT_DELAY) -> None:
        """Start writing status, also for the Deployments that already exist."""
        self.enabled, self.delay = True, delay
        self._soon_for_all()

    def disable(self) -> None:
        self.enabled = False

    def set_unavailable(self, namespace: str, name: str, unavailable: bool = True) -> None:
        """Make a Deployment's rollout fail (or, with `unavailable=False`, recover)."""
        with self._lock:
            if unavailable:
                self._unavailable.add((namespace, name))
            else:
                self._unavailable.discard((namespace, name))
        self._soon(namespace, name)

    def set_available(self, namespace: str, name: str) -> None:
        self.set_unavailable(namespace, name, unavailable=False)

    def _on_event(self, event: Event) -> None:
        if self.enabled and event.type in ("ADDED", "MODIFIED"):
            meta = event.obj["metadata"]
            self._later(meta["namespace"], meta["name"])

    def _soon_for_all(self) -> None:
        if self.loop is None:
            return
        self.loop.call_soon_threadsafe(self._reconcile_all)

    def _reconcile_all(self) -> None:
        for obj in self.cluster.store.items(DEPLOYMENT_KEY):
            self._reconcile(obj["metadata"]["namespace"], obj["metadata"]["name"])

    def _soon(self, namespace: str, name: str) -> None:
        if self.loop is not None and self.enabled:
            self.loop.call_soon_threadsafe(self._reconcile, namespace, name)

    def _later(self, namespace: str, name: str) -> None:
        asyncio.get_running_loop().call_later(self.delay, self._reconcile, namespace, name)

    def _reconcile(self, namespace: str, name: str) -> None:
        if not self.enabled:
            return
        obj = self.cluster.store.get(DEPLOYMENT_KEY, namespace, name)
        if obj is None or obj["metadata"].get("deletionTimestamp"):
            return
        with self._lock:
            failing = (namespace, name) in self._unavailable
        desired = self._desired_status(obj, failing)
        if obj.get("status") == desired:
            return
        rtype = self.cluster.registry.by_key(DEPLOYMENT_KEY)
        assert rtype is not None
        with contextlib.suppress(ApiError):  # changed meanwhile: the next event reconciles
            self.cluster.update(
                rtype, namespace, name, {**obj, "status": desired}, subresource="status"
            )

    @staticmethod
    def _desired_status(obj: Obj, failing: bool) -> dict[str, Any]:
        replicas = int((obj.get("spec") or {}).get("replicas", 1))
        ready = 0 if failing else replicas
        old_conditions = {c.get("type"): c for c in (obj.get("status") or {}).get("conditions", [])}

        def condition(kind: str, status: str, reason: str, message: str) -> dict[str, Any]:
            previous = old_conditions.get(kind) or {}
            same = previous.get("status") == status and previous.get("reason") == reason
            stamp = previous.get("lastTransitionTime") if same else now_rfc3339()
            return {
                "type": kind,
                "status": status,
                "reason": reason,
                "message": message,
                "lastUpdateTime": previous.get("lastUpdateTime") if same else stamp,
                "lastTransitionTime": stamp,
            }

        name = obj["metadata"]["name"]
        if failing:
            conditions = [
                condition(
                    "Available",
                    "False",
                    "MinimumReplicasUnavailable",
                    "Deployment does not have minimum availability.",
                ),
                condition(
                    "Progressing",
                    "False",
                    "ProgressDeadlineExceeded",
                    f'ReplicaSet "{name}" has timed out progressing.',
                ),
            ]
        else:
            conditions = [
                condition(
                    "Available",
                    "True",
                    "MinimumReplicasAvailable",
                    "Deployment has minimum availability.",
                ),
                condition(
                    "Progressing",
                    "True",
                    "NewReplicaSetAvailable",
                    f'ReplicaSet "{name}" has successfully progressed.',
                ),
            ]
        status: dict[str, Any] = {
            "observedGeneration": obj["metadata"].get("generation", 1),
            "replicas": replicas,
            "updatedReplicas": replicas,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "conditions": conditions,
        }
        if replicas - ready:
            status["unavailableReplicas"] = replicas - ready
        return status
