"""Lists are typed, selectable by labels and fields, cluster-wide, and paginated."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

CM = "/api/v1/namespaces/default/configmaps"


@pytest.fixture
def labelled(http: httpx.Client) -> httpx.Client:
    for name, labels in [
        ("a", {"app": "x", "tier": "web"}),
        ("b", {"app": "y"}),
        ("c", {"app": "z", "tier": "db"}),
        ("d", {}),
    ]:
        http.post(CM, json={"metadata": {"name": name, "labels": labels}})
    return http


def names(answer: dict[str, Any]) -> list[str]:
    return [item["metadata"]["name"] for item in answer["items"]]


def test_list_is_typed_and_versioned(http: httpx.Client) -> None:
    answer = http.get("/apis/apps/v1/namespaces/default/deployments").json()
    assert answer["kind"] == "DeploymentList"
    assert answer["apiVersion"] == "apps/v1"
    assert answer["metadata"]["resourceVersion"].isdigit()


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=x", ["a"]),
        ("app==y", ["b"]),
        ("app!=x", ["b", "c", "d"]),
        ("app in (x, z)", ["a", "c"]),
        ("app notin (x,z)", ["b", "d"]),
        ("tier", ["a", "c"]),
        ("!tier", ["b", "d"]),
        ("app,tier=db", ["c"]),
    ],
)
def test_label_selectors(labelled: httpx.Client, selector: str, expected: list[str]) -> None:
    assert names(labelled.get(CM, params={"labelSelector": selector}).json()) == expected


def test_field_selector_on_name(labelled: httpx.Client) -> None:
    answer = labelled.get(CM, params={"fieldSelector": "metadata.name!=a"}).json()
    assert names(answer) == ["b", "c", "d"]


def test_field_selector_on_namespace(labelled: httpx.Client) -> None:
    labelled.post("/api/v1/namespaces", json={"metadata": {"name": "other"}})
    labelled.post("/api/v1/namespaces/other/configmaps", json={"metadata": {"name": "e"}})
    answer = labelled.get(
        "/api/v1/configmaps", params={"fieldSelector": "metadata.namespace=other"}
    ).json()
    assert names(answer) == ["e"]


def test_cluster_wide_list_spans_namespaces(http: httpx.Client, core: Any) -> None:
    core.create_namespace({"metadata": {"name": "other"}})
    core.create_namespaced_config_map("other", {"metadata": {"name": "x"}})
    core.create_namespaced_config_map("default", {"metadata": {"name": "y"}})
    found = core.list_config_map_for_all_namespaces()
    assert {(i.metadata.namespace, i.metadata.name) for i in found.items} == {
        ("other", "x"),
        ("default", "y"),
    }


def test_namespaces_are_listed(core: Any) -> None:
    core.create_namespace({"metadata": {"name": "other"}})
    listed = core.list_namespace()
    assert [ns.metadata.name for ns in listed.items] == ["default", "other"]
    assert listed.items[0].status.phase == "Active"


def test_pagination_with_limit_and_continue(labelled: httpx.Client) -> None:
    first = labelled.get(CM, params={"limit": "3"}).json()
    assert names(first) == ["a", "b", "c"]
    assert first["metadata"]["remainingItemCount"] == 1
    rest = labelled.get(CM, params={"limit": "3", "continue": first["metadata"]["continue"]})
    assert names(rest.json()) == ["d"]
    assert "continue" not in rest.json()["metadata"]
