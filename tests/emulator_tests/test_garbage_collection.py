"""Deleting an owner deletes its dependents, recursively, unless orphaned."""

from __future__ import annotations

import time
from typing import Any

import httpx

CM = "/api/v1/namespaces/default/configmaps"
WAIT = 5.0  # seconds for the background collector


def owned_by(name: str, owner: dict[str, Any]) -> dict[str, Any]:
    ref = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
    }
    return {"metadata": {"name": name, "ownerReferences": [ref]}}


def gone(http: httpx.Client, name: str) -> bool:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if http.get(f"{CM}/{name}").status_code == 404:
            return True
        time.sleep(0.02)
    return False


def test_dependents_are_deleted_recursively(http: httpx.Client) -> None:
    root = http.post(CM, json={"metadata": {"name": "root"}}).json()
    child = http.post(CM, json=owned_by("child", root)).json()
    http.post(CM, json=owned_by("grandchild", child))
    http.delete(f"{CM}/root")
    assert gone(http, "child")
    assert gone(http, "grandchild")


def test_orphan_propagation_keeps_dependents(http: httpx.Client) -> None:
    root = http.post(CM, json={"metadata": {"name": "root"}}).json()
    http.post(CM, json=owned_by("child", root))
    http.request("DELETE", f"{CM}/root", json={"propagationPolicy": "Orphan"})
    time.sleep(0.1)  # give a (wrong) collection the chance to happen
    assert http.get(f"{CM}/child").status_code == 200


def test_dependent_with_a_living_second_owner_is_kept(http: httpx.Client) -> None:
    first = http.post(CM, json={"metadata": {"name": "first"}}).json()
    second = http.post(CM, json={"metadata": {"name": "second"}}).json()
    body = owned_by("child", first)
    body["metadata"]["ownerReferences"] += owned_by("child", second)["metadata"]["ownerReferences"]
    http.post(CM, json=body)
    http.delete(f"{CM}/first")
    time.sleep(0.1)
    assert http.get(f"{CM}/child").status_code == 200
