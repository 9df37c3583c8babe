"""Stale writes get 409 Conflict; duplicates 409 AlreadyExists; absent objects 404 NotFound."""

from __future__ import annotations

import json
from typing import Any

import httpx
import kubernetes.client
import pytest

CM = "/api/v1/namespaces/default/configmaps"


def test_put_with_a_stale_resource_version_conflicts(http: httpx.Client) -> None:
    created = http.post(CM, json={"metadata": {"name": "a"}, "data": {"k": "1"}}).json()
    http.put(f"{CM}/a", json={**created, "data": {"k": "2"}})
    answer = http.put(f"{CM}/a", json={**created, "data": {"k": "3"}})
    assert answer.status_code == 409
    assert answer.json()["reason"] == "Conflict"
    assert answer.json()["kind"] == "Status"


def test_merge_patch_with_a_stale_resource_version_conflicts(http: httpx.Client) -> None:
    http.post(CM, json={"metadata": {"name": "a"}})
    answer = http.patch(
        f"{CM}/a",
        json={"metadata": {"resourceVersion": "1"}, "data": {"k": "v"}},
        headers={"Content-Type": "application/merge-patch+json"},
    )
    assert answer.status_code == 409


def test_creating_an_existing_name_answers_already_exists(core: Any) -> None:
    core.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    with pytest.raises(kubernetes.client.ApiException) as caught:
        core.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    assert caught.value.status == 409
    assert json.loads(caught.value.body or "{}")["reason"] == "AlreadyExists"


def test_reading_a_missing_object_answers_a_not_found_status(http: httpx.Client) -> None:
    answer = http.get(f"{CM}/missing")
    assert answer.status_code == 404
    assert answer.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'configmaps "missing" not found',
        "reason": "NotFound",
        "code": 404,
        "details": {"name": "missing", "group": "", "kind": "configmaps"},
    }
