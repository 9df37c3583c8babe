"""Every request is recorded in RBAC terms, countable, bounded, and resettable."""

from __future__ import annotations

from pathlib import Path

import httpx
import yaml

from tests.emulator import EmulatorServer
from tests.emulator.recorder import RecordedRequest, Recorder

CM = "/api/v1/namespaces/default/configmaps"


def test_requests_are_recorded_with_verbs(k8s: EmulatorServer, http: httpx.Client) -> None:
    http.post(CM, json={"metadata": {"name": "a"}}, headers={"User-Agent": "tester/1"})
    http.get(f"{CM}/a")
    http.get(CM)
    http.patch(f"{CM}/a", json={}, headers={"Content-Type": "application/merge-patch+json"})
    http.delete(f"{CM}/a")
    verbs = [r.verb for r in k8s.requests if r.resource == "configmaps"]
    assert verbs == ["create", "get", "list", "patch", "delete"]
    (create,) = k8s.filter(verb="create")
    assert (create.group, create.namespace, create.user_agent, create.status) == (
        "",
        "default",
        "tester/1",
        201,
    )


def test_each_request_names_the_user_its_bearer_token_authenticates(
    k8s: EmulatorServer, http: httpx.Client
) -> None:
    http.get(CM, headers={"Authorization": "Bearer replica-a"})
    http.get(CM, headers={"Authorization": "Bearer replica-b"})
    http.get(CM, headers={"Authorization": ""})
    assert [r.user for r in k8s.filter(resource="configmaps")] == ["replica-a", "replica-b", ""]


def test_a_kubeconfig_written_with_a_token_authenticates_as_that_user(
    k8s: EmulatorServer, http: httpx.Client, tmp_path: Path
) -> None:
    path = k8s.write_kubeconfig(tmp_path / "kubeconfig", token="replica-a")
    (user,) = yaml.safe_load(path.read_text())["users"]
    http.get(CM, headers={"Authorization": f"Bearer {user['user']['token']}"})
    assert [r.user for r in k8s.filter(resource="configmaps")] == ["replica-a"]


def test_count_reads_and_writes(k8s: EmulatorServer, http: httpx.Client) -> None:
    http.post(CM, json={"metadata": {"name": "a"}})
    http.get(f"{CM}/missing")
    assert k8s.count(verb="get", resource="configmaps", status=404) == 1
    assert [r.verb for r in k8s.writes()] == ["create"]
    assert [r.verb for r in k8s.reads()] == ["get"]


def test_subresources_are_told_apart(k8s: EmulatorServer, http: httpx.Client) -> None:
    path = "/apis/apps/v1/namespaces/default/deployments/d"
    http.get(f"{path}/status")
    assert k8s.count(resource="deployments", subresource="status") == 1
    assert k8s.count(resource="deployments", subresource=None) == 0
    assert ("apps", "deployments/status", "get") in k8s.verbs_used()


def test_reset_counts_forgets_everything(k8s: EmulatorServer, http: httpx.Client) -> None:
    http.get(CM)
    k8s.reset_counts()
    assert k8s.requests == []


def test_the_log_is_bounded() -> None:
    recorder = Recorder(capacity=3)
    for i in range(5):
        recorder.record(
            RecordedRequest(
                "GET", "get", "", "v1", "configmaps", None, "default", f"cm{i}", "/", "", ""
            )
        )
    assert [r.name for r in recorder.requests] == ["cm2", "cm3", "cm4"]
