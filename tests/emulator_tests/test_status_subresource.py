"""Where `.status` is a subresource, main writes keep it and status writes change only it."""

from __future__ import annotations

from typing import Any

import httpx

from tests.emulator import EmulatorServer

from .widgets import widget

WIDGETS = "/apis/example.com/v1/namespaces/default/widgets"
DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"
MERGE = {"Content-Type": "application/merge-patch+json"}


def deployment(name: str, replicas: int = 1) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "x"}]},
            },
        },
    }


def test_status_on_create_is_dropped(widgets: EmulatorServer, http: httpx.Client) -> None:
    created = http.post(WIDGETS, json={**widget("w"), "status": {"phase": "Ready"}}).json()
    assert "status" not in created


def test_main_resource_patch_ignores_status(widgets: EmulatorServer, http: httpx.Client) -> None:
    http.post(WIDGETS, json=widget("w"))
    patched = http.patch(
        f"{WIDGETS}/w", json={"spec": {"size": 2}, "status": {"phase": "Ready"}}, headers=MERGE
    ).json()
    assert patched["spec"]["size"] == 2
    assert "status" not in patched


def test_status_patch_ignores_everything_but_status(
    widgets: EmulatorServer, http: httpx.Client
) -> None:
    http.post(WIDGETS, json=widget("w"))
    patched = http.patch(
        f"{WIDGETS}/w/status",
        json={
            "spec": {"size": 9},
            "metadata": {"labels": {"a": "b"}},
            "status": {"phase": "Ready"},
        },
        headers=MERGE,
    ).json()
    assert patched["status"]["phase"] == "Ready"
    assert patched["spec"]["size"] == 1
    assert "labels" not in patched["metadata"]


def test_status_put_through_the_client(widgets: EmulatorServer, custom: Any) -> None:
    custom.create_namespaced_custom_object("example.com", "v1", "default", "widgets", widget("w"))
    current = custom.get_namespaced_custom_object("example.com", "v1", "default", "widgets", "w")
    current["status"] = {"phase": "Pending"}
    replaced = custom.replace_namespaced_custom_object_status(
        "example.com", "v1", "default", "widgets", "w", current
    )
    assert replaced["status"] == {"phase": "Pending"}


def test_deployment_status_is_a_subresource(http: httpx.Client, apps: Any) -> None:
    http.post(DEPLOYMENTS, json=deployment("d"))
    apps.patch_namespaced_deployment_status("d", "default", {"status": {"replicas": 1}})
    http.patch(f"{DEPLOYMENTS}/d", json={"status": {"replicas": 5}}, headers=MERGE)
    assert apps.read_namespaced_deployment("d", "default").status.replicas == 1
