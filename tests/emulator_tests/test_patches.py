"""JSON patch (with `test`), merge patch and strategic merge patch, as Kopf and clients send."""

from __future__ import annotations

import httpx

CM = "/api/v1/namespaces/default/configmaps"
JSON_PATCH = {"Content-Type": "application/json-patch+json"}


def test_json_patch_applies_operations(http: httpx.Client) -> None:
    created = http.post(CM, json={"metadata": {"name": "a"}, "data": {"k": "v"}}).json()
    ops = [
        {
            "op": "test",
            "path": "/metadata/resourceVersion",
            "value": created["metadata"]["resourceVersion"],
        },
        {"op": "add", "path": "/metadata/finalizers", "value": ["x/y"]},
        {"op": "replace", "path": "/data/k", "value": "w"},
    ]
    patched = http.patch(f"{CM}/a", json=ops, headers=JSON_PATCH).json()
    assert patched["metadata"]["finalizers"] == ["x/y"]
    assert patched["data"] == {"k": "w"}


def test_json_patch_with_a_failing_test_answers_invalid(http: httpx.Client) -> None:
    http.post(CM, json={"metadata": {"name": "a"}})
    ops = [
        {"op": "test", "path": "/metadata/resourceVersion", "value": "0"},
        {"op": "add", "path": "/data", "value": {"k": "v"}},
    ]
    answer = http.patch(f"{CM}/a", json=ops, headers=JSON_PATCH)
    assert answer.status_code == 422
    assert answer.json()["reason"] == "Invalid"
    assert "data" not in http.get(f"{CM}/a").json()


def test_merge_patch_deletes_keys_set_to_null(http: httpx.Client) -> None:
    http.post(CM, json={"metadata": {"name": "a"}, "data": {"k": "v", "j": "w"}})
    patched = http.patch(
        f"{CM}/a",
        json={"data": {"k": None}},
        headers={"Content-Type": "application/merge-patch+json"},
    ).json()
    assert patched["data"] == {"j": "w"}


def test_strategic_merge_patch_is_accepted_as_a_merge_patch(http: httpx.Client) -> None:
    http.post(CM, json={"metadata": {"name": "a"}, "data": {"k": "v"}})
    patched = http.patch(
        f"{CM}/a",
        json={"data": {"j": "w"}},
        headers={"Content-Type": "application/strategic-merge-patch+json"},
    ).json()
    assert patched["data"] == {"k": "v", "j": "w"}


def test_patching_a_missing_object_answers_not_found(http: httpx.Client) -> None:
    answer = http.patch(
        f"{CM}/missing", json={}, headers={"Content-Type": "application/merge-patch+json"}
    )
    assert answer.status_code == 404
