"""The AgentEvaluation resource: what it accepts, what it refuses and why, and its CRD."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from agent_operator.crd import build_evaluation_crd, evaluation_crd_yaml
from agent_operator.evaluation import parse_evaluation
from agent_operator.spec import SpecError
from tests.operator_unit.crd_validation import cel_problems, schema_problems, with_defaults

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "evaluations" / "evaluation.yaml"


def example() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    return copy.deepcopy(loaded)


def refusal(obj: dict[str, Any]) -> str:
    with pytest.raises(SpecError) as caught:
        parse_evaluation(obj)
    return str(caught.value)


def crd_schema() -> dict[str, Any]:
    schema: dict[str, Any] = build_evaluation_crd()["spec"]["versions"][0]["schema"][
        "openAPIV3Schema"
    ]
    return schema


def test_the_example_evaluation_parses() -> None:
    parsed = parse_evaluation(example())
    assert parsed.spec.agent_ref.name == "weather"
    assert [c.name for c in parsed.spec.cases] == [
        "reports-the-weather-of-the-city-asked",
        "says-when-the-weather-service-fails",
    ]


def test_a_check_with_two_kinds_is_refused_naming_the_check() -> None:
    obj = example()
    obj["spec"]["cases"][0]["checks"][1] = {"contains": "sunny", "notContains": "rain"}
    message = refusal(obj)
    assert "spec.cases[0].checks[1]" in message
    assert "exactly one of contains" in message


def test_a_regex_that_does_not_compile_is_refused() -> None:
    obj = example()
    obj["spec"]["cases"][0]["checks"][3] = {"matches": "temperature_c: (21"}
    assert "spec.cases[0].checks[3].matches: not a valid regular expression" in refusal(obj)


def test_a_json_schema_its_meta_schema_refuses_is_refused() -> None:
    obj = example()
    obj["spec"]["cases"][0]["checks"].append({"jsonSchema": {"type": "objekt"}})
    message = refusal(obj)
    assert "spec.cases[0].checks[6].jsonSchema: not a valid JSON Schema (under" in message


def test_tool_arguments_schema_is_checked_with_its_meta_schema_too() -> None:
    obj = example()
    obj["spec"]["cases"][0]["checks"][0]["toolCalled"]["arguments"] = {"required": "city"}
    assert "toolCalled.arguments: not a valid JSON Schema" in refusal(obj)


def test_a_case_must_end_with_the_users_message() -> None:
    obj = example()
    obj["spec"]["cases"][0]["messages"].append({"role": "assistant", "content": "Sunny."})
    assert "a case's last message is the user's" in refusal(obj)


def test_case_names_must_be_unique() -> None:
    obj = example()
    obj["spec"]["cases"][1]["name"] = obj["spec"]["cases"][0]["name"]
    assert "case names must be unique" in refusal(obj)


def test_a_judge_check_needs_a_judge_model() -> None:
    obj = example()
    obj["spec"]["cases"][0]["checks"].append({"judge": {"rubric": "Is it polite?"}})
    assert "a judge check needs spec.judge" in refusal(obj)


def test_the_wrong_kind_is_refused() -> None:
    obj = example()
    obj["kind"] = "Agent"
    assert "expected agent-operator.io/v1alpha1 AgentEvaluation" in refusal(obj)


def test_the_committed_crd_is_what_the_generator_writes() -> None:
    committed = (ROOT / "crds" / "agentevaluation.yaml").read_text(encoding="utf-8")
    assert committed == evaluation_crd_yaml(), "crds/agentevaluation.yaml is stale: make crd"


def test_kubernetes_accepts_the_crd_object() -> None:
    kubernetes_validate.validate(build_evaluation_crd(), desired_version="1.31", strict=True)


def test_kubectl_get_shows_passed_over_total_and_the_result() -> None:
    columns = build_evaluation_crd()["spec"]["versions"][0]["additionalPrinterColumns"]
    by_name = {c["name"]: c["jsonPath"] for c in columns}
    assert by_name["Passed"] == ".status.summary"
    assert by_name["Result"] == '.status.conditions[?(@.type=="Passed")].reason'


def test_the_crd_schema_accepts_the_example_and_refuses_an_unknown_check_field() -> None:
    # A CRD schema is OpenAPI 3.0: draft-04 keywords.
    validator = jsonschema.Draft4Validator(crd_schema())
    validator.validate(example())
    obj = example()
    obj["spec"]["cases"][0]["checks"][0]["toolCalled"] = {"name": "get weather"}
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(obj)


def _nodes(schema: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    yield path or "<root>", schema
    for name, sub in schema.get("properties", {}).items():
        yield from _nodes(sub, f"{path}.{name}")
    if isinstance(schema.get("items"), dict):
        yield from _nodes(schema["items"], f"{path}[items]")


@pytest.mark.parametrize(
    ("path", "node"), list(_nodes(crd_schema()["properties"]["spec"], ".spec"))
)
def test_every_spec_field_is_described_and_bounded_for_cel_cost(
    path: str, node: dict[str, Any]
) -> None:
    if not path.endswith("[items]"):
        assert node.get("description"), path
    if node.get("type") == "array":
        assert "maxItems" in node, path
    if node.get("type") == "string":
        assert "maxLength" in node or "enum" in node, path


def crd_problems(obj: dict[str, Any]) -> list[str]:
    """What the API server would refuse in `obj`: its schema first, then its CEL rules."""
    schema = crd_schema()
    defaulted = with_defaults(schema, copy.deepcopy(obj))
    return schema_problems(schema, defaulted) or list(cel_problems(schema, defaulted, ""))


def _mutated(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    obj = example()
    change(obj["spec"])
    return obj


def _judged(spec: dict[str, Any], **check: Any) -> None:
    spec["judge"] = {"name": "judge-large"}
    spec["cases"][0]["checks"].append({"judge": {"rubric": "Polite?", **check}})


#: Evaluations both the API server and the models refuse, each with what makes it wrong.
REFUSED_BY_BOTH: dict[str, Callable[[dict[str, Any]], None]] = {
    "two-kinds-in-a-check": lambda s: s["cases"][0]["checks"][0].update(contains="x"),
    "no-kind-in-a-check": lambda s: s["cases"][0]["checks"].append({}),
    "ends-with-assistant": lambda s: s["cases"][0]["messages"].append(
        {"role": "assistant", "content": "Sunny."}
    ),
    "judge-check-without-judge": lambda s: s["cases"][0]["checks"].append(
        {"judge": {"rubric": "Polite?"}}
    ),
    "duplicate-case-names": lambda s: s["cases"].append(copy.deepcopy(s["cases"][0])),
    "zero-max-turns": lambda s: s["cases"][1]["checks"].append({"maxTurns": 0}),
    "no-checks": lambda s: s["cases"][0].update(checks=[]),
    "unknown-field": lambda s: s["cases"][0].update(expected="sunny"),
    "threshold-above-one": lambda s: _judged(s, threshold=1.5),
}


def test_the_api_server_accepts_the_example() -> None:
    assert crd_problems(example()) == []


@pytest.mark.parametrize("change", REFUSED_BY_BOTH.values(), ids=REFUSED_BY_BOTH.keys())
def test_the_api_server_and_the_models_refuse_the_same_evaluations(
    change: Callable[[dict[str, Any]], None],
) -> None:
    obj = _mutated(change)
    assert crd_problems(obj)
    refusal(obj)
