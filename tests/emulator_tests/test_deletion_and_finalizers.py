"""DELETE with finalizers marks the object; removing the last finalizer deletes it."""

from __future__ import annotations

import httpx

CM = "/api/v1/namespaces/default/configmaps"
MERGE = {"Content-Type": "application/merge-patch+json"}


def test_delete_without_finalizers_removes_the_object(http: httpx.Client) -> None:
    http.post(CM, json={"metadata": {"name": "a"}})
    assert http.delete(f"{CM}/a").status_code == 200
    assert http.get(f"{CM}/a").status_code == 404


def test_delete_with_finalizers_sets_deletion_timestamp_and_keeps_it(http: httpx.Client) -> None:
    http.post(CM, json={"metadata": {"name": "a", "finalizers": ["x/y"]}})
    deleted = http.delete(f"{CM}/a").json()
    assert deleted["metadata"]["deletionTimestamp"]
    kept = http.get(f"{CM}/a").json()
    assert kept["metadata"]["deletionTimestamp"] == deleted["metadata"]["deletionTimestamp"]


def test_removing_the_last_finalizer_deletes_the_object(http: httpx.Client) -> None:
    http.post(CM, json={"metadata": {"name": "a", "finalizers": ["x/y"]}})
    http.delete(f"{CM}/a")
    http.patch(f"{CM}/a", json={"metadata": {"finalizers": None}}, headers=MERGE)
    assert http.get(f"{CM}/a").status_code == 404


def test_no_new_finalizers_while_deleting(http: httpx.Client) -> None:
    http.post(CM, json={"metadata": {"name": "a", "finalizers": ["x/y"]}})
    http.delete(f"{CM}/a")
    answer = http.patch(f"{CM}/a", json={"metadata": {"finalizers": ["x/y", "x/z"]}}, headers=MERGE)
    assert answer.status_code == 422
    assert answer.json()["reason"] == "Invalid"


def test_deleting_a_missing_object_answers_not_found(http: httpx.Client) -> None:
    answer = http.delete(f"{CM}/nope")
    assert answer.status_code == 404
    assert answer.json()["reason"] == "NotFound"


def test_delete_collection_by_label(http: httpx.Client) -> None:
    http.post(CM, json={"metadata": {"name": "a", "labels": {"x": "1"}}})
    http.post(CM, json={"metadata": {"name": "b"}})
    http.delete(CM, params={"labelSelector": "x=1"})
    names = [item["metadata"]["name"] for item in http.get(CM).json()["items"]]
    assert names == ["b"]
