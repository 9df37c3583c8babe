"""Every built-in kind the operator touches is served, and namespaces must exist."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.emulator import EmulatorServer

from .widgets import widget_crd

BUILTINS = [
    "/api/v1/namespaces/default/configmaps",
    "/api/v1/namespaces/default/secrets",
    "/api/v1/namespaces/default/services",
    "/api/v1/namespaces/default/serviceaccounts",
    "/api/v1/namespaces/default/events",
    "/apis/events.k8s.io/v1/namespaces/default/events",
    "/apis/apps/v1/namespaces/default/deployments",
    "/apis/networking.k8s.io/v1/namespaces/default/networkpolicies",
    "/apis/policy/v1/namespaces/default/poddisruptionbudgets",
    "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers",
    "/apis/coordination.k8s.io/v1/namespaces/default/leases",
]


@pytest.mark.parametrize("collection", BUILTINS)
def test_builtin_kind_round_trips(http: httpx.Client, collection: str) -> None:
    created = http.post(collection, json={"metadata": {"name": "x"}})
    assert created.status_code == 201
    fetched = http.get(f"{collection}/x").json()
    assert fetched["metadata"]["uid"] == created.json()["metadata"]["uid"]
    assert http.get(collection).json()["kind"].endswith("List")


def test_creating_in_a_missing_namespace_is_not_found(http: httpx.Client) -> None:
    answer = http.post("/api/v1/namespaces/nowhere/configmaps", json={"metadata": {"name": "x"}})
    assert answer.status_code == 404
    assert answer.json()["message"] == 'namespaces "nowhere" not found'


def test_default_namespace_exists(core: Any) -> None:
    assert core.read_namespace("default").status.phase == "Active"


def test_deleting_a_namespace_deletes_its_objects(core: Any) -> None:
    core.create_namespace({"metadata": {"name": "gone"}})
    core.create_namespaced_config_map("gone", {"metadata": {"name": "x"}})
    core.delete_namespace("gone")
    assert core.list_namespaced_config_map("gone").items == []


def test_secret_string_data_becomes_data(core: Any) -> None:
    core.create_namespaced_secret("default", {"metadata": {"name": "s"}, "stringData": {"k": "v"}})
    assert core.read_namespaced_secret("s", "default").data == {"k": "dg=="}


def test_service_gets_a_cluster_ip(core: Any) -> None:
    spec = {"ports": [{"port": 80}], "selector": {"app": "x"}}
    core.create_namespaced_service("default", {"metadata": {"name": "s"}, "spec": spec})
    assert core.read_namespaced_service("s", "default").spec.cluster_ip.startswith("10.96.")


def test_crd_created_through_the_api_is_established(
    k8s: EmulatorServer, k8s_api_client: Any
) -> None:
    import kubernetes.client

    ext: Any = kubernetes.client.ApiextensionsV1Api(k8s_api_client)
    ext.create_custom_resource_definition(widget_crd())
    crd = ext.read_custom_resource_definition("widgets.example.com")
    conditions = {c.type: c.status for c in crd.status.conditions}
    assert conditions["Established"] == "True"


def test_deployment_replicas_default_to_one(http: httpx.Client) -> None:
    path = "/apis/apps/v1/namespaces/default/deployments"
    created = http.post(path, json={"metadata": {"name": "d"}, "spec": {}}).json()
    assert created["spec"]["replicas"] == 1
