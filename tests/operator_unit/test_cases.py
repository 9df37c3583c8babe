"""Valid and invalid Agents, run through both the pydantic models and the CRD (schema + CEL).

Each file of `cases/invalid/` opens with `# expect: <fragment>`: a piece of the error message or
the field path that both sides must report. The valid cases and every example must pass both.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent_operator.builders import agent_meta
from agent_operator.spec import KIND, SpecError, parse_spec
from tests.operator_unit.crd_validation import agent_schema, problems, with_defaults

CASES = Path(__file__).parent / "cases"
EXAMPLES = Path(__file__).parents[2] / "examples"


def _agents(path: Path) -> list[dict[str, Any]]:
    documents = yaml.safe_load_all(path.read_text(encoding="utf-8"))
    return [doc for doc in documents if isinstance(doc, dict) and doc.get("kind") == KIND]


def _expected_fragment(path: Path) -> str:
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    assert first_line.startswith("# expect: "), f"{path.name} does not say what it expects"
    return first_line.removeprefix("# expect: ").strip()


VALID = sorted(CASES.glob("valid/*.yaml")) + sorted(EXAMPLES.glob("**/*.yaml"))
INVALID = sorted(CASES.glob("invalid/*.yaml"))
VALID_AGENTS = [
    pytest.param(agent, id=f"{path.relative_to(path.parents[1])}:{agent['metadata']['name']}")
    for path in VALID
    for agent in _agents(path)
]


def test_there_are_cases_of_both_kinds() -> None:
    assert len(VALID_AGENTS) >= 8
    assert len(INVALID) >= 20


@pytest.mark.parametrize("agent", VALID_AGENTS)
def test_the_models_accept_a_valid_agent(agent: dict[str, Any]) -> None:
    agent_meta(agent)
    parse_spec(agent["spec"])


@pytest.mark.parametrize("agent", VALID_AGENTS)
def test_the_crd_accepts_a_valid_agent(agent: dict[str, Any]) -> None:
    assert problems(agent) == []


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_the_models_refuse_an_invalid_agent_naming_the_problem(path: Path) -> None:
    (agent,) = _agents(path)
    with pytest.raises(SpecError, match=r"^spec") as caught:
        parse_spec(agent["spec"])
    assert _expected_fragment(path) in str(caught.value)


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_the_crd_refuses_an_invalid_agent_naming_the_problem(path: Path) -> None:
    (agent,) = _agents(path)
    found = problems(agent)
    assert any(_expected_fragment(path) in problem for problem in found), found


@pytest.mark.parametrize("agent", VALID_AGENTS)
def test_the_crds_defaults_are_the_models_defaults(agent: dict[str, Any]) -> None:
    defaulted = with_defaults(agent_schema(), copy.deepcopy(agent))
    assert parse_spec(defaulted["spec"]) == parse_spec(agent["spec"])
