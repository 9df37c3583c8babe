"""Checks an Agent against the generated CRD as the API server would: schema, then CEL rules.

The API server applies the schema's defaults, prunes or (with strict field validation, kubectl's
default) refuses unknown fields, checks types and bounds, then evaluates every
`x-kubernetes-validations` rule with `self` bound to the node that carries it. This module does
the same with `jsonschema` and the `cel` package, so the tests can prove that the CRD and the
pydantic models refuse the same Agents.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import cel
import jsonschema
import yaml

CRD_PATH = Path(__file__).parents[2] / "crds" / "agent.yaml"

Schema = dict[str, Any]


@cache
def agent_schema() -> Schema:
    """The openAPIV3Schema of the committed CRD."""
    crd = yaml.safe_load(CRD_PATH.read_text(encoding="utf-8"))
    schema: Schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def problems(obj: dict[str, Any]) -> list[str]:
    """Every schema violation and failed CEL rule of an Agent object, as `path: message`."""
    schema = agent_schema()
    defaulted = with_defaults(schema, copy.deepcopy(obj))
    found = schema_problems(schema, defaulted)
    return found or list(cel_problems(schema, defaulted, ""))


def schema_problems(schema: Schema, obj: Any) -> list[str]:
    """Schema violations, each named by the field path as the API server does."""
    validator = jsonschema.Draft4Validator(_strict(schema))
    return [_describe(error) for error in validator.iter_errors(obj)]


def _describe(error: jsonschema.ValidationError) -> str:
    path = _path(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        required: list[str] = (
            list(error.schema.get("required", [])) if isinstance(error.schema, dict) else []
        )
        missing = [name for name in required if name not in error.instance]
        return "; ".join(f"{path}.{name}: Required value" for name in missing)
    return f"{path}: {error.message}"


def with_defaults(schema: Schema, obj: Any) -> Any:
    """`obj` with the schema's defaults filled in, top-down, as the API server does."""
    if isinstance(obj, dict):
        for name, sub in schema.get("properties", {}).items():
            if name not in obj and "default" in sub:
                obj[name] = copy.deepcopy(sub["default"])
            if name in obj:
                obj[name] = with_defaults(sub, obj[name])
    elif isinstance(obj, list) and "items" in schema:
        return [with_defaults(schema["items"], item) for item in obj]
    if schema.get("type") == "number" and isinstance(obj, int) and not isinstance(obj, bool):
        return float(obj)  # CEL sees every `number` as a double
    return obj


def cel_problems(schema: Schema, obj: Any, path: str) -> Iterator[str]:
    """Failed `x-kubernetes-validations` rules anywhere in `obj`."""
    for rule in schema.get("x-kubernetes-validations", []):
        if cel.evaluate(rule["rule"], {"self": obj}) is not True:
            yield f"{path}: {rule['message']}"
    if isinstance(obj, dict):
        for name, sub in schema.get("properties", {}).items():
            if name in obj:
                yield from cel_problems(sub, obj[name], f"{path}.{name}" if path else name)
    elif isinstance(obj, list) and "items" in schema:
        for index, item in enumerate(obj):
            yield from cel_problems(schema["items"], item, f"{path}[{index}]")


def _strict(schema: Schema) -> Schema:
    """The schema refusing unknown fields (as `kubectl apply` does) and typing int-or-string."""
    result = {k: v for k, v in schema.items() if not k.startswith("x-kubernetes-validations")}
    if schema.get("x-kubernetes-int-or-string"):
        result["type"] = ["integer", "string"]
    if "properties" in schema:
        result["properties"] = {k: _strict(v) for k, v in schema["properties"].items()}
        if not schema.get("x-kubernetes-preserve-unknown-fields"):
            result["additionalProperties"] = False
    for keyword in ("items", "additionalProperties"):
        if isinstance(schema.get(keyword), dict):
            result[keyword] = _strict(schema[keyword])
    return result


def _path(parts: Any) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else part)
    return path
