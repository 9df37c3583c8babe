"""Armed faults answer the chosen status for matching requests, a set number of times."""

from __future__ import annotations

import concurrent.futures
import time

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


def test_a_late_answer_comes_after_its_write_is_visible(
    k8s: EmulatorServer, http: httpx.Client
) -> None:
    k8s.faults.slow(1.0, verb="create", resource="configmaps", name=None)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(http.post, CM, json={"metadata": {"name": "late"}})
        seen_before_answer = None
        for _ in range(40):  # at most 2 s
            if http.get(f"{CM}/late").status_code == 200:
                seen_before_answer = not pending.done()
                break
            time.sleep(0.05)
        answer = pending.result(timeout=10)
    assert seen_before_answer is True
    assert answer.status_code == 201
    assert http.post(CM, json={"metadata": {"name": "prompt"}}).status_code == 201
