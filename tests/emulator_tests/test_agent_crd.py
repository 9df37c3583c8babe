"""The project's Agent CRD (crds/agent.yaml) registers, serves and validates Agents."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.emulator import EmulatorServer
from tests.emulator.fixtures import CRDS_DIR

pytestmark = pytest.mark.skipif(
    not (CRDS_DIR / "agent.yaml").exists(), reason="crds/agent.yaml is not there yet"
)
AGENTS = "/apis/agent-operator.io/v1alpha1/namespaces/default/agents"


def agent(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "agent-operator.io/v1alpha1",
        "kind": "Agent",
        "metadata": {"name": name},
        "spec": {"model": {"name": "mistral-small-latest"}, "instructions": "Be brief.", **spec},
    }


def test_fixture_installs_the_agent_crd(k8s: EmulatorServer, http: httpx.Client) -> None:
    doc = http.get("/apis/agent-operator.io/v1alpha1").json()
    assert {"agents", "agents/status", "agents/scale"} <= {r["name"] for r in doc["resources"]}


def test_agent_is_created_with_metadata(k8s: EmulatorServer, http: httpx.Client) -> None:
    answer = http.post(AGENTS, json=agent("a"))
    assert answer.status_code == 201, answer.text
    assert answer.json()["metadata"]["generation"] == 1


def test_invalid_agent_is_refused(k8s: EmulatorServer, http: httpx.Client) -> None:
    body = agent("a")
    del body["spec"]["model"]
    answer = http.post(AGENTS, json=body)
    assert answer.status_code == 422
    assert answer.json()["message"].startswith('Agent.agent-operator.io "a" is invalid: ')
