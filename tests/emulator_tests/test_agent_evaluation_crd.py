"""The AgentEvaluation CRD (crds/agentevaluation.yaml) registers, serves and validates."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import yaml

from tests.emulator import EmulatorServer
from tests.emulator.fixtures import CRDS_DIR

NAMESPACE = "demo"  # the example's own
EVALUATIONS = f"/apis/agent-operator.io/v1alpha1/namespaces/{NAMESPACE}/agentevaluations"
EXAMPLE = CRDS_DIR.parent / "examples" / "evaluations" / "evaluation.yaml"


@pytest.fixture(autouse=True)
def namespace(k8s: EmulatorServer, http: httpx.Client) -> None:
    """The example's namespace exists, as it must on an API server before anything goes in it."""
    answer = http.post("/api/v1/namespaces", json={"metadata": {"name": NAMESPACE}})
    assert answer.status_code in (201, 409), answer.text


def evaluation() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    return loaded


def test_the_crd_serves_agentevaluations_and_their_status(
    k8s: EmulatorServer, http: httpx.Client
) -> None:
    doc = http.get("/apis/agent-operator.io/v1alpha1").json()
    served = {r["name"] for r in doc["resources"]}
    assert {"agentevaluations", "agentevaluations/status"} <= served


def test_the_example_evaluation_is_created(k8s: EmulatorServer, http: httpx.Client) -> None:
    answer = http.post(EVALUATIONS, json=evaluation())
    assert answer.status_code == 201, answer.text
    assert answer.json()["spec"]["agentRef"] == {"name": "weather"}


def test_a_check_of_two_kinds_is_refused_with_the_rules_message(
    k8s: EmulatorServer, http: httpx.Client
) -> None:
    body = evaluation()
    body["spec"]["cases"][0]["checks"][0] = {"contains": "a", "maxTurns": 2}
    answer = http.post(EVALUATIONS, json=body)
    assert answer.status_code == 422
    assert "a check needs exactly one of contains" in answer.json()["message"]


def test_a_judge_check_without_a_judge_is_refused(k8s: EmulatorServer, http: httpx.Client) -> None:
    body = evaluation()
    body["spec"]["cases"][0]["checks"].append({"judge": {"rubric": "Is it polite?"}})
    answer = http.post(EVALUATIONS, json=body)
    assert answer.status_code == 422
    assert "a judge check needs spec.judge" in answer.json()["message"]
