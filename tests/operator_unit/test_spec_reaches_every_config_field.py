"""Every field of the runtime config can be set from an Agent's spec.

The runtime's config models are walked recursively, field by field, as paths such as
`tools[].agent.bearerToken.file`. The Agent of `cases/valid/everything.yaml` sets every field of
the spec, away from its default; rendered through the operator's builders, it must set every
config path away from its default too, except the few that the operator computes on purpose
(listed below with the reason). A runtime field added without a way to set it from the spec
fails here, and so does a stale entry of the list.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from agent_operator.builders import agent_meta
from agent_operator.builders.configmap import runtime_config
from agent_operator.spec import parse_spec
from agent_runtime.config import RuntimeConfig

EVERYTHING = Path(__file__).parent / "cases" / "valid" / "everything.yaml"

#: `Model.field` (field by its wire name) that no spec field sets, and why; every path ending
#: in one of them is exempt.
OPERATOR_COMPUTED = {
    "RuntimeConfig.version": "the version of the contract itself, always the current one",
    "SecretSource.env": "the operator mounts every Secret as a file; env is for local runs",
    "RuntimeConfig.hostedAgentId": "read from the Agent's status.mistral, which the operator "
    "writes once it has published the Agent (spec.mistral.publish sets it in motion)",
    "Conversations.maxConversations": "the in-process store's cap, a guard of the pod's memory "
    "that only matters with one replica; kept at the runtime's default",
    "Conversations.storeTimeoutSeconds": "the deadline of one store call, an operational "
    "constant of the runtime, not a property of an Agent",
}


def _models_in(annotation: Any) -> Iterator[tuple[type[BaseModel], bool]]:
    """The models inside a field's type, each with whether it sits in a sequence."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation, False
        return
    origin = typing.get_origin(annotation)
    for arg in typing.get_args(annotation):
        for model, in_sequence in _models_in(arg):
            yield model, in_sequence or origin is tuple


def _wire_name(model: type[BaseModel], name: str) -> str:
    return model.model_fields[name].alias or name


def config_paths(model: type[BaseModel], prefix: str = "") -> dict[str, str]:
    """Every field path of `model` and its nested models, mapped to its `Model.field` name."""
    paths: dict[str, str] = {}
    for name, field in model.model_fields.items():
        path = f"{prefix}{_wire_name(model, name)}"
        paths[path] = f"{model.__name__}.{_wire_name(model, name)}"
        for nested, in_sequence in _models_in(field.annotation):
            paths.update(config_paths(nested, f"{path}{'[]' if in_sequence else ''}."))
    return paths


def set_paths(value: BaseModel, prefix: str = "") -> set[str]:
    """The field paths whose value in `value` differs from the field's default."""
    found: set[str] = set()
    for name, field in type(value).model_fields.items():
        path = f"{prefix}{_wire_name(type(value), name)}"
        current = getattr(value, name)
        if field.is_required() or current != field.get_default(call_default_factory=True):
            found.add(path)
        items = current if isinstance(current, tuple) else (current,)
        sequence = "[]" if isinstance(current, tuple) else ""
        for item in items:
            if isinstance(item, BaseModel):
                found |= set_paths(item, f"{path}{sequence}.")
    return found


def rendered_everything() -> RuntimeConfig:
    agent = yaml.safe_load(EVERYTHING.read_text(encoding="utf-8"))
    return runtime_config(agent_meta(agent), parse_spec(agent["spec"]))


def test_every_runtime_config_field_is_set_by_the_agent_that_sets_everything() -> None:
    paths = config_paths(RuntimeConfig)
    expected = {path for path, field in paths.items() if field not in OPERATOR_COMPUTED}
    assert sorted(expected - set_paths(rendered_everything())) == []


def test_the_operator_computed_fields_exist_and_are_never_set_from_the_spec() -> None:
    paths = config_paths(RuntimeConfig)
    assert set(OPERATOR_COMPUTED) <= set(paths.values()), "a listed field no longer exists"
    exempt = {path for path, field in paths.items() if field in OPERATOR_COMPUTED}
    assert sorted(exempt & set_paths(rendered_everything())) == []


def test_the_walk_reaches_nested_and_repeated_models() -> None:
    paths = config_paths(RuntimeConfig)
    assert paths["tools[].agent.bearerToken.file"] == "SecretSource.file"
    assert paths["tools[].mcp.headers[].valueFrom.env"] == "SecretSource.env"
    assert paths["responseFormat.schema"] == "ResponseFormat.schema"
