"""Server-side apply creates, updates, removes dropped fields, and re-applies as a no-op."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.emulator import EmulatorServer

CM = "/api/v1/namespaces/default/configmaps"
APPLY = {"Content-Type": "application/apply-patch+yaml"}
OWNER = {"fieldManager": "op", "force": "true"}


def apply(http: httpx.Client, name: str, body: dict[str, Any] | str) -> httpx.Response:
    content = body if isinstance(body, str) else json.dumps(body)
    return http.patch(f"{CM}/{name}", content=content, headers=APPLY, params=OWNER)


def config(name: str, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def test_apply_creates_a_missing_object(http: httpx.Client) -> None:
    answer = apply(http, "a", config("a", k="v"))
    assert answer.status_code == 201
    assert answer.json()["data"] == {"k": "v"}


def test_apply_updates_an_existing_object(http: httpx.Client) -> None:
    apply(http, "a", config("a", k="v"))
    answer = apply(http, "a", config("a", k="w"))
    assert answer.status_code == 200
    assert answer.json()["data"] == {"k": "w"}


def test_apply_accepts_yaml(http: httpx.Client) -> None:
    yaml_body = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: v\n"
    assert apply(http, "a", yaml_body).json()["data"] == {"k": "v"}


def test_fields_dropped_from_the_applied_config_are_removed(http: httpx.Client) -> None:
    apply(http, "a", config("a", k="v", j="w"))
    assert apply(http, "a", config("a", k="v")).json()["data"] == {"k": "v"}


def test_fields_of_other_managers_are_kept(http: httpx.Client) -> None:
    apply(http, "a", config("a", k="v"))
    http.patch(
        f"{CM}/a",
        content=json.dumps(config("a", other="x")),
        headers=APPLY,
        params={"fieldManager": "someone-else"},
    )
    assert apply(http, "a", config("a", k="w")).json()["data"] == {"k": "w", "other": "x"}


def test_identical_reapply_changes_nothing_and_emits_no_event(
    k8s: EmulatorServer, http: httpx.Client
) -> None:
    first = apply(http, "a", config("a", k="v")).json()
    revision = k8s.call(lambda: k8s.cluster.store.revision)
    second = apply(http, "a", config("a", k="v")).json()
    assert second["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    assert k8s.call(lambda: k8s.cluster.store.revision) == revision


def test_managed_fields_name_the_manager(http: httpx.Client) -> None:
    applied = apply(http, "a", config("a", k="v")).json()
    (entry,) = applied["metadata"]["managedFields"]
    assert entry["manager"] == "op"
    assert entry["operation"] == "Apply"
    assert entry["fieldsV1"] == {"f:data": {"f:k": {}}}


def test_apply_without_a_field_manager_is_a_bad_request(http: httpx.Client) -> None:
    answer = http.patch(f"{CM}/a", content=json.dumps(config("a")), headers=APPLY)
    assert answer.status_code == 400


def test_apply_through_the_official_client(core: Any) -> None:
    body = config("a", k="v")
    core.patch_namespaced_config_map(
        "a",
        "default",
        body,
        field_manager="op",
        force=True,
        _content_type="application/apply-patch+yaml",
    )
    assert core.read_namespaced_config_map("a", "default").data == {"k": "v"}
