"""Every example renders into objects that Kubernetes 1.31 accepts, field by field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from agent_operator.builders import render_agent

EXAMPLES = Path(__file__).parents[2] / "examples"
#: The oldest Kubernetes version the operator supports (kubernetes-validate knows it).
KUBERNETES_VERSION = "1.31"
#: API groups of built-in kinds, whose schemas kubernetes-validate knows.
BUILT_IN_GROUPS = frozenset({"", "apps", "policy", "autoscaling", "networking.k8s.io"})


def _documents() -> list[Any]:
    """Every Kubernetes object of the examples (kustomize files and the like left out)."""
    return [
        pytest.param(
            doc, id=f"{path.relative_to(EXAMPLES)}:{doc['kind']}:{doc['metadata']['name']}"
        )
        for path in sorted(EXAMPLES.glob("**/*.yaml"))
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and "metadata" in doc
    ]


def _group(document: dict[str, Any]) -> str:
    api_version: str = document["apiVersion"]
    return api_version.rpartition("/")[0]


DOCUMENTS = _documents()
AGENTS = [param for param in DOCUMENTS if param.values[0]["kind"] == "Agent"]
BUILT_IN = [param for param in DOCUMENTS if _group(param.values[0]) in BUILT_IN_GROUPS]


def test_the_examples_cover_tools_of_every_kind() -> None:
    tools = [tool for param in AGENTS for tool in param.values[0]["spec"].get("tools", [])]
    assert {kind for tool in tools for kind in ("http", "mcp", "agent") if kind in tool} == {
        "http",
        "mcp",
        "agent",
    }


@pytest.mark.parametrize("document", BUILT_IN)
def test_every_built_in_example_object_is_valid(document: dict[str, Any]) -> None:
    kubernetes_validate.validate(document, desired_version=KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("agent", AGENTS)
def test_every_rendered_child_of_an_example_is_valid(agent: dict[str, Any]) -> None:
    children = render_agent(agent)
    assert len(children) >= 5
    for child in children:
        kubernetes_validate.validate(child, desired_version=KUBERNETES_VERSION, strict=True)
