"""kmock's reaction DSL still works on the emulator, for ad-hoc answers in a test."""

from __future__ import annotations

import httpx

from tests.emulator import EmulatorServer


def test_a_reaction_overrides_one_endpoint(k8s: EmulatorServer, http: httpx.Client) -> None:
    k8s.emulator["get /version"] << {"major": "9"}
    assert http.get("/version").json() == {"major": "9"}


def test_other_requests_are_still_emulated(k8s: EmulatorServer, http: httpx.Client) -> None:
    k8s.emulator["get /version"] << {"major": "9"}
    assert http.get("/api/v1/namespaces").json()["kind"] == "NamespaceList"
    assert http.get("/api/v1/namespaces/default/configmaps").status_code == 200


def test_a_reaction_can_answer_an_error(k8s: EmulatorServer, http: httpx.Client) -> None:
    k8s.emulator["get /api/v1/namespaces/default/configmaps"] << 503
    assert http.get("/api/v1/namespaces/default/configmaps").status_code == 503
