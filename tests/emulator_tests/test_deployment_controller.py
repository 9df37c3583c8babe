"""The stand-in Deployment controller writes rollout status; a failing rollout can be faked."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.emulator import EmulatorServer

from .test_status_subresource import DEPLOYMENTS, deployment

WAIT = 5.0  # seconds for the controller's delayed status write


def status_when(k8s: EmulatorServer, check: Any) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        obj = k8s.get_object("deployments", "d", "default", "apps") or {}
        status = obj.get("status") or {}
        if check(status):
            return status
        time.sleep(0.02)
    raise AssertionError(f"status never matched: {status}")


def test_it_is_off_by_default(k8s: EmulatorServer, http: httpx.Client) -> None:
    http.post(DEPLOYMENTS, json=deployment("d"))
    time.sleep(0.1)
    assert "status" not in http.get(f"{DEPLOYMENTS}/d").json()


def test_it_reports_a_finished_rollout(k8s_deployments: EmulatorServer, http: httpx.Client) -> None:
    http.post(DEPLOYMENTS, json=deployment("d", replicas=2))
    status = status_when(k8s_deployments, lambda s: s.get("readyReplicas") == 2)
    assert status["observedGeneration"] == 1
    assert status["availableReplicas"] == 2
    conditions = {c["type"]: c["status"] for c in status["conditions"]}
    assert conditions == {"Available": "True", "Progressing": "True"}


def test_it_follows_spec_changes(k8s_deployments: EmulatorServer, http: httpx.Client) -> None:
    http.post(DEPLOYMENTS, json=deployment("d", replicas=1))
    http.patch(
        f"{DEPLOYMENTS}/d",
        json={"spec": {"replicas": 3}},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    status = status_when(k8s_deployments, lambda s: s.get("observedGeneration") == 2)
    assert status["readyReplicas"] == 3


def test_an_unavailable_deployment_fails_its_rollout(
    k8s_deployments: EmulatorServer, http: httpx.Client
) -> None:
    http.post(DEPLOYMENTS, json=deployment("d", replicas=2))
    status_when(k8s_deployments, lambda s: s.get("readyReplicas") == 2)
    k8s_deployments.deployments.set_unavailable("default", "d")
    status = status_when(k8s_deployments, lambda s: s.get("readyReplicas") == 0)
    conditions = {c["type"]: c["reason"] for c in status["conditions"]}
    assert conditions["Available"] == "MinimumReplicasUnavailable"
    assert status["unavailableReplicas"] == 2
