"""Discovery answers what Kopf and the `kubernetes` client ask, CRDs included."""

from __future__ import annotations

from typing import Any

import httpx
import kubernetes.client

from tests.emulator import EmulatorServer


def resource_names(http: httpx.Client, path: str) -> set[str]:
    return {r["name"] for r in http.get(path).json()["resources"]}


def test_core_api_versions(http: httpx.Client) -> None:
    assert http.get("/api").json()["versions"] == ["v1"]


def test_core_resources(http: httpx.Client) -> None:
    found = resource_names(http, "/api/v1")
    assert {
        "namespaces",
        "configmaps",
        "secrets",
        "services",
        "services/status",
        "serviceaccounts",
        "events",
    } <= found


def test_group_list_names_builtin_groups(http: httpx.Client) -> None:
    groups = {g["name"] for g in http.get("/apis").json()["groups"]}
    assert {
        "apps",
        "networking.k8s.io",
        "policy",
        "autoscaling",
        "coordination.k8s.io",
        "events.k8s.io",
        "apiextensions.k8s.io",
    } <= groups


def test_deployments_advertise_status_and_scale(http: httpx.Client) -> None:
    doc = http.get("/apis/apps/v1").json()
    by_name = {r["name"]: r for r in doc["resources"]}
    assert by_name["deployments"]["kind"] == "Deployment"
    assert by_name["deployments"]["namespaced"] is True
    assert "watch" in by_name["deployments"]["verbs"]
    assert by_name["deployments/status"]["verbs"] == ["get", "patch", "update"]
    assert by_name["deployments/scale"]["kind"] == "Scale"


def test_crd_registers_its_resource(widgets: EmulatorServer, http: httpx.Client) -> None:
    doc = http.get("/apis/example.com/v1").json()
    widget = next(r for r in doc["resources"] if r["name"] == "widgets")
    assert widget["kind"] == "Widget"
    assert widget["shortNames"] == ["wd"]
    assert {"widgets/status", "widgets/scale"} <= {r["name"] for r in doc["resources"]}
    assert http.get("/apis/example.com").json()["preferredVersion"]["version"] == "v1"


def test_deleting_a_crd_unregisters_its_resource(
    widgets: EmulatorServer, http: httpx.Client
) -> None:
    http.delete("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com")
    assert http.get("/apis/example.com/v1").status_code == 404
    assert http.get("/apis/example.com/v1/widgets").status_code == 404


def test_unknown_group_is_not_found(http: httpx.Client) -> None:
    assert http.get("/apis/nothing.example/v1").status_code == 404


def test_version_through_the_client(k8s_api_client: Any) -> None:
    info = kubernetes.client.VersionApi(k8s_api_client).get_code()
    assert info.major == "1"
