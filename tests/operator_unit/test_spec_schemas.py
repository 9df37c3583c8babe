"""The JSON Schemas an Agent declares are checked against their meta-schema by the operator's
parser and `agent-operator render`, with the same check the runtime applies at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from agent_operator import cli
from agent_operator.spec import SpecError, parse_spec

#: A schema that jsonschema's meta-schema refuses: `objekt` is no JSON type.
MALFORMED = {"type": "objekt"}


def spec(tool: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    declared = {"name": "lookup", "http": {"url": "http://tools.test/lookup"}, **(tool or {})}
    return {"model": {"name": "m"}, "tools": [declared], **extra}


DECLARED = [
    pytest.param(spec({"parameters": MALFORMED}), "spec.tools[0].parameters", id="parameters"),
    pytest.param(
        spec({"outputSchema": {"type": "object", "required": "city"}}),
        "spec.tools[0].outputSchema",
        id="output-schema",
    ),
    pytest.param(
        spec(responseFormat={"jsonSchema": {"name": "Answer", "schema": {"items": MALFORMED}}}),
        "spec.responseFormat.jsonSchema.schema",
        id="response-format",
    ),
]


@pytest.mark.parametrize(("agent_spec", "field"), DECLARED)
def test_a_malformed_schema_is_a_spec_error_naming_the_field(
    agent_spec: dict[str, Any], field: str
) -> None:
    with pytest.raises(SpecError) as refused:
        parse_spec(agent_spec)
    assert str(refused.value).startswith(f"{field}: not a valid JSON Schema")


def test_a_well_formed_schema_is_accepted_as_written() -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    parsed = parse_spec(spec({"parameters": schema, "outputSchema": schema}))
    assert parsed.tools[0].parameters == schema


@pytest.mark.parametrize(("agent_spec", "field"), DECLARED)
def test_render_refuses_a_malformed_schema_and_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, agent_spec: dict[str, Any], field: str
) -> None:
    agent = {"apiVersion": "agent-operator.io/v1alpha1", "kind": "Agent"}
    path = tmp_path / "agent.yaml"
    path.write_text(yaml.safe_dump({**agent, "metadata": {"name": "bad"}, "spec": agent_spec}))

    assert cli.main(["render", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert f"invalid Agent: {field}: not a valid JSON Schema" in err
