"""The evaluation example: an Agent and an AgentEvaluation that the CRDs accept, wired together."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import yaml

from tests.gitops.argocd_health import REPO_ROOT

EXAMPLES = REPO_ROOT / "examples" / "evaluations"


def crd_schema(name: str) -> dict[str, Any]:
    crd = yaml.safe_load((REPO_ROOT / "crds" / name).read_text())
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1")
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


def only(path: Path) -> dict[str, Any]:
    (document,) = [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    loaded: dict[str, Any] = document
    return loaded


def test_the_example_agent_and_evaluation_are_valid_for_their_crds() -> None:
    # A CRD schema is OpenAPI 3.0: draft-04 keywords.
    jsonschema.Draft4Validator(crd_schema("agent.yaml")).validate(only(EXAMPLES / "agent.yaml"))
    evaluation = only(EXAMPLES / "evaluation.yaml")
    jsonschema.Draft4Validator(crd_schema("agentevaluation.yaml")).validate(evaluation)


def test_the_example_evaluation_names_the_example_agent_in_its_namespace() -> None:
    agent, evaluation = only(EXAMPLES / "agent.yaml"), only(EXAMPLES / "evaluation.yaml")
    assert evaluation["spec"]["agentRef"]["name"] == agent["metadata"]["name"]
    assert evaluation["metadata"]["namespace"] == agent["metadata"]["namespace"]
