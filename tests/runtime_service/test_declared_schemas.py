"""Every JSON Schema a config declares is checked against its meta-schema before it is used:
`check-config` and `serve` refuse a malformed one naming the field, so none reaches a request."""

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from agent_runtime.cli import check_config, main
from agent_runtime.config import RuntimeConfig

#: A schema that jsonschema's meta-schema refuses: `objekt` is no JSON type.
MALFORMED = {"type": "objekt"}


def config(**overrides: Any) -> dict[str, Any]:
    tool: dict[str, Any] = {"name": "lookup", "http": {"url": "http://tools.test/lookup"}}
    tool.update(overrides.pop("tool", {}))
    return {
        "agent": {"name": "weather", "namespace": "demo"},
        "model": {"name": "mistral-small-latest", "endpoint": "http://127.0.0.1:9/"},
        "tools": [tool],
        **overrides,
    }


#: Each place a config declares a schema, with the field path an error must name.
DECLARED = [
    pytest.param(config(tool={"parameters": MALFORMED}), "tools.0.parameters", id="parameters"),
    pytest.param(
        config(tool={"outputSchema": {"type": "object", "required": "city"}}),
        "tools.0.outputSchema",
        id="output-schema",
    ),
    pytest.param(
        config(responseFormat={"name": "Answer", "schema": {"properties": {"a": MALFORMED}}}),
        "responseFormat.schema",
        id="response-format",
    ),
]


def write(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "agent.json"
    path.write_text(json.dumps(content))
    return path


@pytest.mark.parametrize(("content", "field"), DECLARED)
def test_the_config_model_refuses_a_malformed_schema_naming_the_field(
    content: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        RuntimeConfig.model_validate(content)
    (error,) = refused.value.errors()
    assert ".".join(str(part) for part in error["loc"]) == field
    assert "not a valid JSON Schema" in error["msg"]


@pytest.mark.parametrize(("content", "field"), DECLARED)
def test_check_config_refuses_a_malformed_schema_naming_the_field(
    tmp_path: Path, content: dict[str, Any], field: str
) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert check_config(str(write(tmp_path, content)), out, err) == 1
    assert f"{field}: " in err.getvalue()
    assert "not a valid JSON Schema" in err.getvalue()
    assert out.getvalue() == ""


@pytest.mark.parametrize(("content", "field"), DECLARED)
def test_serve_refuses_to_start_with_a_malformed_schema_and_says_why(
    tmp_path: Path, content: dict[str, Any], field: str
) -> None:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["serve", "--config", str(write(tmp_path, content)), "--port", "0"]) == 1
    assert f"{field}: " in err.getvalue()
    assert "Traceback" not in err.getvalue()


def test_the_message_says_where_in_the_schema_and_what_is_wrong() -> None:
    nested = {"type": "object", "properties": {"city": {"type": "strin"}}}
    with pytest.raises(ValidationError) as refused:
        RuntimeConfig.model_validate(config(tool={"parameters": nested}))
    message = refused.value.errors()[0]["msg"]
    assert "/properties/city/type" in message
    assert "'strin'" in message


def test_an_unknown_meta_schema_is_refused_rather_than_guessed() -> None:
    unknown = {"$schema": "https://json-schema.example/draft-99", "type": "object"}
    with pytest.raises(ValidationError) as refused:
        RuntimeConfig.model_validate(config(tool={"parameters": unknown}))
    assert "draft-99" in refused.value.errors()[0]["msg"]


def test_a_schema_of_an_older_draft_is_checked_against_that_draft() -> None:
    draft4 = "http://json-schema.org/draft-04/schema#"
    # `exclusiveMinimum` is a boolean in draft 4 and a number from draft 6 on.
    old = {"$schema": draft4, "type": "number", "minimum": 0, "exclusiveMinimum": True}
    accepted = RuntimeConfig.model_validate(config(tool={"parameters": old}))
    assert accepted.tools[0].parameters == old
    with pytest.raises(ValidationError):
        RuntimeConfig.model_validate(
            config(
                tool={
                    "parameters": {**old, "$schema": "https://json-schema.org/draft/2020-12/schema"}
                }
            )
        )


def test_a_valid_config_with_schemas_everywhere_still_starts_checking(tmp_path: Path) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    content = config(
        tool={"parameters": schema, "outputSchema": {"type": "object"}},
        responseFormat={"name": "Answer", "schema": schema},
    )
    out, err = io.StringIO(), io.StringIO()
    assert check_config(str(write(tmp_path, content)), out, err) == 0
    assert err.getvalue() == ""
