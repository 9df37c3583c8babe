"""Watches resume from a resourceVersion, expire with 410, time out, filter, and lose nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.emulator import EmulatorServer

from .watching import BackgroundWatch, read_events

CM = "/api/v1/namespaces/default/configmaps"
ALL_CM = "/api/v1/configmaps"


def test_watch_without_version_starts_with_existing_objects(http: httpx.Client) -> None:
    http.post(CM, json={"metadata": {"name": "a"}})
    events = read_events(http, CM, 1)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "a")]


def test_watch_from_a_list_version_sees_every_later_change(http: httpx.Client) -> None:
    http.post(CM, json={"metadata": {"name": "a"}})
    listed = http.get(CM).json()
    http.post(CM, json={"metadata": {"name": "b"}})
    http.delete(f"{CM}/a")
    events = read_events(http, CM, 2, resourceVersion=listed["metadata"]["resourceVersion"])
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("ADDED", "b"),
        ("DELETED", "a"),
    ]


def test_watch_streams_live_changes(k8s: EmulatorServer, http: httpx.Client) -> None:
    listed = http.get(CM).json()
    rv = listed["metadata"]["resourceVersion"]
    with BackgroundWatch(k8s.url, CM, stop_after=2, resourceVersion=rv) as w:
        http.post(CM, json={"metadata": {"name": "a"}})
        http.patch(
            f"{CM}/a",
            json={"data": {"k": "v"}},
            headers={"Content-Type": "application/merge-patch+json"},
        )
        events = w.wait_for(2)
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED"]
    assert events[1]["object"]["data"] == {"k": "v"}


def test_watch_from_a_compacted_version_answers_gone() -> None:
    from tests.emulator import Emulator, EmulatorServer
    from tests.emulator.cluster import Cluster
    from tests.emulator.store import Store

    emulator = Emulator(cluster=Cluster(store=Store(history_size=2)))
    with EmulatorServer(emulator) as server, httpx.Client(base_url=server.url) as http:
        for i in range(4):
            http.post(CM, json={"metadata": {"name": f"cm{i}"}})
        (event,) = read_events(http, CM, 1, resourceVersion="2")
    assert event["type"] == "ERROR"
    assert event["object"]["code"] == 410
    assert event["object"]["reason"] == "Expired"


def test_timeout_seconds_closes_the_stream(http: httpx.Client) -> None:
    events = read_events(http, CM, 10, timeoutSeconds="1", allowWatchBookmarks="true")
    assert [e["type"] for e in events] == ["BOOKMARK"]


def test_label_selector_filters_watch_events(http: httpx.Client) -> None:
    http.post(CM, json={"metadata": {"name": "a", "labels": {"app": "x"}}})
    http.post(CM, json={"metadata": {"name": "b", "labels": {"app": "y"}}})
    events = read_events(http, CM, 1, labelSelector="app=y")
    assert [e["object"]["metadata"]["name"] for e in events] == ["b"]


def test_field_selector_filters_watch_events(http: httpx.Client) -> None:
    http.post(CM, json={"metadata": {"name": "a"}})
    http.post(CM, json={"metadata": {"name": "b"}})
    events = read_events(http, CM, 1, fieldSelector="metadata.name=b")
    assert [e["object"]["metadata"]["name"] for e in events] == ["b"]


def test_cluster_wide_watch_sees_all_namespaces(http: httpx.Client) -> None:
    http.post("/api/v1/namespaces", json={"metadata": {"name": "other"}})
    http.post("/api/v1/namespaces/other/configmaps", json={"metadata": {"name": "b"}})
    http.post(CM, json={"metadata": {"name": "a"}})
    events = read_events(http, ALL_CM, 2)
    assert {e["object"]["metadata"]["namespace"] for e in events} == {"default", "other"}


def test_initial_events_end_with_a_bookmark(http: httpx.Client) -> None:
    http.post(CM, json={"metadata": {"name": "a"}})
    events = read_events(http, CM, 2, sendInitialEvents="true", allowWatchBookmarks="true")
    assert [e["type"] for e in events] == ["ADDED", "BOOKMARK"]
    annotations = events[1]["object"]["metadata"]["annotations"]
    assert annotations == {"k8s.io/initial-events-end": "true"}


def test_dropping_watches_ends_open_streams(k8s: EmulatorServer) -> None:
    with BackgroundWatch(k8s.url, CM) as watch:
        for _ in range(100):
            if k8s.drop_watches():
                break
            watch.ended.wait(0.02)
        assert watch.ended.wait(10)


def test_abruptly_dropped_watches_are_cut(k8s: EmulatorServer) -> None:
    with BackgroundWatch(k8s.url, CM) as watch:
        for _ in range(100):
            if k8s.drop_watches(abrupt=True):
                break
            watch.ended.wait(0.02)
        assert watch.ended.wait(10)


def test_objects_entering_and_leaving_a_selector_are_added_and_deleted(
    k8s: EmulatorServer, http: httpx.Client
) -> None:
    merge = {"Content-Type": "application/merge-patch+json"}
    http.post(CM, json={"metadata": {"name": "a"}})
    rv = http.get(CM).json()["metadata"]["resourceVersion"]
    http.patch(f"{CM}/a", json={"metadata": {"labels": {"app": "x"}}}, headers=merge)
    http.patch(f"{CM}/a", json={"data": {"k": "v"}}, headers=merge)
    http.patch(f"{CM}/a", json={"metadata": {"labels": {"app": "y"}}}, headers=merge)
    events = read_events(http, CM, 3, resourceVersion=rv, labelSelector="app=x")
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"]


CHILD_COLLECTIONS = [
    "/api/v1/namespaces/default/configmaps",
    "/api/v1/namespaces/default/services",
    "/api/v1/namespaces/default/serviceaccounts",
    "/apis/apps/v1/namespaces/default/deployments",
    "/apis/networking.k8s.io/v1/namespaces/default/networkpolicies",
    "/apis/policy/v1/namespaces/default/poddisruptionbudgets",
    "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers",
]


#: A small valid spec of each kind, as the operator's children have.
SPECS: dict[str, dict[str, Any]] = {
    "configmaps": {"data": {"k": "v"}},
    "services": {"spec": {"ports": [{"port": 80, "targetPort": 8080}]}},
    "serviceaccounts": {},
    "deployments": {
        "spec": {
            "selector": {"matchLabels": {"pod": "p"}},
            "template": {
                "metadata": {"labels": {"pod": "p"}},
                "spec": {"containers": [{"name": "c", "image": "i:1"}]},
            },
        }
    },
    "networkpolicies": {"spec": {"podSelector": {}, "policyTypes": ["Egress"]}},
    "poddisruptionbudgets": {"spec": {"maxUnavailable": 1, "selector": {}}},
    "horizontalpodautoscalers": {
        "spec": {
            "maxReplicas": 3,
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "d"},
        }
    },
}


def minimal(kind: str, name: str, app: str) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": {"app": app}}, **SPECS[kind]}


@pytest.mark.parametrize("collection", CHILD_COLLECTIONS)
def test_every_kind_of_child_is_watched_through_a_label_selector(
    http: httpx.Client, collection: str
) -> None:
    merge = {"Content-Type": "application/merge-patch+json"}
    kind = collection.rsplit("/", 1)[-1]
    for name, app in (("a", "x"), ("b", "y")):
        http.post(collection, json=minimal(kind, name, app)).raise_for_status()
    rv = http.get(collection).json()["metadata"]["resourceVersion"]
    http.patch(f"{collection}/b", json={"metadata": {"labels": {"app": None}}}, headers=merge)
    http.post(collection, json=minimal(kind, "c", "y")).raise_for_status()

    events = read_events(http, collection, 2, resourceVersion=rv, labelSelector="app=y")
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
        ("DELETED", "b"),
        ("ADDED", "c"),
    ]
