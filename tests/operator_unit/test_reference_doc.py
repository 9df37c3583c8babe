"""The Agent reference page is generated from the CRD and kept current."""

from __future__ import annotations

from pathlib import Path

import yaml

from agent_operator.reference import render

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "agent-reference.md"


def test_committed_reference_matches_the_crd() -> None:
    assert PAGE.read_text() == render(), "docs/agent-reference.md is stale: run `make docs`"


def test_every_spec_field_of_the_crd_has_a_row() -> None:
    crd = yaml.safe_load((ROOT / "crds" / "agent.yaml").read_text())
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    page = PAGE.read_text()
    for name in spec["properties"]:
        assert f"| `spec.{name}` |" in page


def test_required_fields_are_marked() -> None:
    page = PAGE.read_text()
    row = next(line for line in page.splitlines() if line.startswith("| `spec.model.name` |"))
    assert "**Required.**" in row
