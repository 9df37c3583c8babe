"""The scale subresource of Deployments and of a CRD that declares one."""

from __future__ import annotations

from typing import Any

import httpx

from tests.emulator import EmulatorServer

from .test_status_subresource import DEPLOYMENTS, MERGE, deployment
from .widgets import widget

WIDGETS = "/apis/example.com/v1/namespaces/default/widgets"


def test_deployment_scale_reads_replicas_and_selector(http: httpx.Client, apps: Any) -> None:
    http.post(DEPLOYMENTS, json=deployment("d", replicas=2))
    scale = apps.read_namespaced_deployment_scale("d", "default")
    assert scale.kind == "Scale"
    assert scale.spec.replicas == 2
    assert scale.status.selector == "app=d"


def test_deployment_scale_patch_changes_spec_replicas(http: httpx.Client, apps: Any) -> None:
    http.post(DEPLOYMENTS, json=deployment("d", replicas=2))
    apps.patch_namespaced_deployment_scale("d", "default", {"spec": {"replicas": 4}})
    assert apps.read_namespaced_deployment("d", "default").spec.replicas == 4


def test_deployment_scale_put_changes_spec_replicas(http: httpx.Client, apps: Any) -> None:
    http.post(DEPLOYMENTS, json=deployment("d", replicas=2))
    scale = http.get(f"{DEPLOYMENTS}/d/scale").json()
    scale["spec"]["replicas"] = 3
    assert http.put(f"{DEPLOYMENTS}/d/scale", json=scale).json()["spec"]["replicas"] == 3
    assert apps.read_namespaced_deployment("d", "default").metadata.generation == 2


def test_custom_scale_follows_the_crd_paths(widgets: EmulatorServer, http: httpx.Client) -> None:
    http.post(WIDGETS, json=widget("w", replicas=1))
    http.patch(
        f"{WIDGETS}/w/status",
        json={"status": {"replicas": 1, "selector": "app=w"}},
        headers=MERGE,
    )
    http.patch(f"{WIDGETS}/w/scale", json={"spec": {"replicas": 3}}, headers=MERGE)
    scale = http.get(f"{WIDGETS}/w/scale").json()
    assert scale["apiVersion"] == "autoscaling/v1"
    assert scale["spec"] == {"replicas": 3}
    assert scale["status"] == {"replicas": 1, "selector": "app=w"}
    assert http.get(f"{WIDGETS}/w").json()["spec"]["replicas"] == 3


def test_negative_scale_is_invalid(http: httpx.Client) -> None:
    http.post(DEPLOYMENTS, json=deployment("d"))
    answer = http.patch(f"{DEPLOYMENTS}/d/scale", json={"spec": {"replicas": -1}}, headers=MERGE)
    assert answer.status_code == 422
