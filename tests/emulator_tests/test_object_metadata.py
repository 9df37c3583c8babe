"""The server owns uid, resourceVersion, generation and creationTimestamp, as a real one does."""

from __future__ import annotations

from typing import Any

import httpx

from tests.emulator import EmulatorServer

from .widgets import widget

CM = "/api/v1/namespaces/default/configmaps"
WIDGETS = "/apis/example.com/v1/namespaces/default/widgets"


def test_created_object_gets_uid_version_generation_and_timestamp(core: Any) -> None:
    created = core.create_namespaced_config_map("default", {"metadata": {"name": "a"}})
    assert len(created.metadata.uid) == 36
    assert created.metadata.resource_version.isdigit()
    assert created.metadata.generation == 1
    assert created.metadata.creation_timestamp is not None


def test_resource_versions_increase_across_all_objects(http: httpx.Client) -> None:
    versions = [
        int(
            http.post(CM, json={"metadata": {"name": f"cm{i}"}}).json()["metadata"][
                "resourceVersion"
            ]
        )
        for i in range(3)
    ]
    assert versions == sorted(versions)
    assert len(set(versions)) == 3


def test_client_supplied_server_fields_are_ignored(http: httpx.Client) -> None:
    body = {"metadata": {"name": "a", "uid": "mine", "resourceVersion": "999", "generation": 7}}
    created = http.post(CM, json=body).json()
    assert created["metadata"]["uid"] != "mine"
    assert created["metadata"]["generation"] == 1


def test_generate_name_makes_a_unique_name_from_the_prefix(http: httpx.Client) -> None:
    names = {
        http.post(CM, json={"metadata": {"generateName": "gen-"}}).json()["metadata"]["name"]
        for _ in range(5)
    }
    assert len(names) == 5
    assert all(name.startswith("gen-") and len(name) == len("gen-") + 5 for name in names)


def test_spec_change_bumps_generation(widgets: EmulatorServer, http: httpx.Client) -> None:
    http.post(WIDGETS, json=widget("w"))
    patched = http.patch(
        f"{WIDGETS}/w",
        json={"spec": {"size": 2}},
        headers={"Content-Type": "application/merge-patch+json"},
    ).json()
    assert patched["metadata"]["generation"] == 2


def test_metadata_only_change_keeps_generation(widgets: EmulatorServer, http: httpx.Client) -> None:
    http.post(WIDGETS, json=widget("w"))
    patched = http.patch(
        f"{WIDGETS}/w",
        json={"metadata": {"labels": {"a": "b"}}},
        headers={"Content-Type": "application/merge-patch+json"},
    ).json()
    assert patched["metadata"]["labels"] == {"a": "b"}
    assert patched["metadata"]["generation"] == 1


def test_status_change_keeps_generation(widgets: EmulatorServer, http: httpx.Client) -> None:
    http.post(WIDGETS, json=widget("w"))
    patched = http.patch(
        f"{WIDGETS}/w/status",
        json={"status": {"phase": "Ready"}},
        headers={"Content-Type": "application/merge-patch+json"},
    ).json()
    assert patched["status"] == {"phase": "Ready"}
    assert patched["metadata"]["generation"] == 1


def test_identical_update_keeps_resource_version(http: httpx.Client) -> None:
    created = http.post(CM, json={"metadata": {"name": "a"}, "data": {"k": "v"}}).json()
    again = http.put(f"{CM}/a", json=created).json()
    assert again["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
