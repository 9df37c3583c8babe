"""Armed faults answer the chosen status for matching requests, a set number of times."""

from __future__ import annotations

import httpx

from tests.emulator import EmulatorServer

CM = "/api/v1/namespaces/default/configmaps"


def test_fault_fires_the_given_number_of_times(k8s: EmulatorServer, http: httpx.Client) -> None:
    k8s.faults.add(verb="create", resource="configmaps", status=500, times=2)
    statuses = [http.post(CM, json={"metadata": {"name": f"c{i}"}}).status_code for i in range(3)]
    assert statuses == [500, 500, 201]


def test_throttling_fault_says_when_to_retry(k8s: EmulatorServer, http: httpx.Client) -> None:
    k8s.faults.add(verb="list", status=429, retry_after=2)
    answer = http.get(CM)
    assert answer.status_code == 429
    assert answer.headers["Retry-After"] == "2"
    assert answer.json()["reason"] == "TooManyRequests"


def test_conflict_fault_with_a_predicate(k8s: EmulatorServer, http: httpx.Client) -> None:
    http.post(CM, json={"metadata": {"name": "a"}})
    k8s.faults.add(lambda r: r.verb == "patch" and r.name == "a", status=409)
    answer = http.patch(
        f"{CM}/a", json={}, headers={"Content-Type": "application/merge-patch+json"}
    )
    assert answer.status_code == 409
    assert http.get(f"{CM}/a").status_code == 200


def test_non_matching_requests_pass(k8s: EmulatorServer, http: httpx.Client) -> None:
    k8s.faults.add(resource="secrets", status=500)
    assert http.get(CM).status_code == 200
