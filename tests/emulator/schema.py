"""Structural-schema handling of custom objects, as the apiserver does for CRDs.

On every write of a custom object: unknown fields are pruned (unless
`x-kubernetes-preserve-unknown-fields`), `default`s are applied, and the object is validated
against `openAPIV3Schema` (types, required, enum, bounds, lengths, patterns, item counts, a few
formats) and its `x-kubernetes-validations` CEL rules (transition rules that use `oldSelf` run
only on updates where the old value exists). Failures come back as field-level causes worded
like the apiserver's, so a 422 reads the same as on a real cluster. With
`fieldValidation=Strict` (kubectl's default) unknown fields are refused (400), not pruned.
"""

from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from typing import Any

import cel

from .errors import Cause

Schema = dict[str, Any]

_ROOT_KEYS = frozenset({"apiVersion", "kind", "metadata"})
_FORMATS = {
    "date-time": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"),
    "uri": re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://\S+$"),
}


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _show(value: Any) -> str:
    """How the apiserver prints an invalid value: JSON scalars, type names for containers."""
    if isinstance(value, dict | list):
        return json.dumps(_type_name(value))
    return json.dumps(value)


def _type_ok(schema: Schema, value: Any) -> bool:
    expected = schema.get("type")
    if schema.get("x-kubernetes-int-or-string"):
        return isinstance(value, int | str) and not isinstance(value, bool)
    if expected is None:
        return True
    actual = _type_name(value)
    return actual == expected or (expected == "number" and actual == "integer")


def prune_and_default(schema: Schema, value: Any, *, root: bool = False) -> Any:
    """Drop unknown fields and fill in defaults, recursively, returning the new value."""
    if isinstance(value, dict) and schema.get("type", "object") == "object":
        properties: dict[str, Schema] = schema.get("properties") or {}
        additional = schema.get("additionalProperties")
        preserve = schema.get("x-kubernetes-preserve-unknown-fields", False)
        result: dict[str, Any] = {}
        for key, item in value.items():
            if root and key in _ROOT_KEYS:
                result[key] = item  # apiVersion, kind and metadata belong to the server
            elif key in properties:
                if item is None and not properties[key].get("nullable"):
                    continue  # the apiserver drops nulls of non-nullable fields, then defaults
                result[key] = prune_and_default(properties[key], item)
            elif isinstance(additional, dict):
                result[key] = prune_and_default(additional, item)
            elif preserve or additional is True:
                result[key] = item
        for key, prop in properties.items():
            if key not in result and "default" in prop:
                result[key] = prune_and_default(prop, copy.deepcopy(prop["default"]))
        return result
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [prune_and_default(schema["items"], item) for item in value]
    return value


def unknown_fields(schema: Schema, value: Any, path: str = "", *, root: bool = False) -> list[str]:
    """The paths of fields the schema does not declare (what `fieldValidation=Strict` refuses)."""
    found: list[str] = []
    if isinstance(value, dict) and schema.get("type", "object") == "object":
        properties: dict[str, Schema] = schema.get("properties") or {}
        additional = schema.get("additionalProperties")
        preserve = schema.get("x-kubernetes-preserve-unknown-fields", False)
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if root and key in _ROOT_KEYS:
                continue
            if key in properties:
                found += unknown_fields(properties[key], item, where)
            elif isinstance(additional, dict):
                found += unknown_fields(additional, item, where)
            elif not (preserve or additional is True):
                found.append(where)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            found += unknown_fields(schema["items"], item, f"{path}[{index}]")
    return found


class Validator:
    """Collects causes while walking an object and its schema side by side."""

    def __init__(self) -> None:
        self.causes: list[Cause] = []

    def fail(self, field: str, reason: str, message: str) -> None:
        self.causes.append(Cause(field, reason, message))

    def validate(self, schema: Schema, value: Any, old: Any, field: str) -> None:
        if value is None:
            if not schema.get("nullable"):
                self.fail(field, "FieldValueRequired", "Required value")  # null is "unset"
            return
        if not _type_ok(schema, value):
            expected = schema.get("type")
            self.fail(
                field,
                "FieldValueTypeInvalid",
                f"Invalid value: {_show(value)}: {field} in body must be of type "
                f'{expected}: "{_type_name(value)}"',
            )
            return
        before = len(self.causes)
        self._check_scalar(schema, value, field)
        if isinstance(value, dict):
            self._check_object(schema, value, old if isinstance(old, dict) else None, field)
        elif isinstance(value, list):
            self._check_array(schema, value, old if isinstance(old, list) else None, field)
        if len(self.causes) == before:  # CEL only sees values that passed the schema
            self._check_rules(schema, value, old, field)

    def _check_scalar(self, schema: Schema, value: Any, field: str) -> None:
        shown = _show(value)
        if "enum" in schema and value not in schema["enum"]:
            supported = ", ".join(json.dumps(v) for v in schema["enum"])
            self.fail(
                field,
                "FieldValueNotSupported",
                f"Unsupported value: {shown}: supported values: {supported}",
            )
        if isinstance(value, int | float) and not isinstance(value, bool):
            self._check_number(schema, value, field)
        if isinstance(value, str):
            self._check_string(schema, value, field)

    def _check_number(self, schema: Schema, value: float, field: str) -> None:
        shown = _show(value)
        minimum, maximum = schema.get("minimum"), schema.get("maximum")
        if minimum is not None:
            exclusive = schema.get("exclusiveMinimum") is True
            if value < minimum or (exclusive and value == minimum):
                relation = "greater than" if exclusive else "greater than or equal to"
                self.fail(
                    field,
                    "FieldValueInvalid",
                    f"Invalid value: {shown}: {field} in body should be {relation} {minimum}",
                )
        if maximum is not None:
            exclusive = schema.get("exclusiveMaximum") is True
            if value > maximum or (exclusive and value == maximum):
                relation = "less than" if exclusive else "less than or equal to"
                self.fail(
                    field,
                    "FieldValueInvalid",
                    f"Invalid value: {shown}: {field} in body should be {relation} {maximum}",
                )

    def _check_string(self, schema: Schema, value: str, field: str) -> None:
        shown = _show(value)
        if "minLength" in schema and len(value) < schema["minLength"]:
            self.fail(
                field,
                "FieldValueInvalid",
                f"Invalid value: {shown}: {field} in body should be at least "
                f"{schema['minLength']} chars long",
            )
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            self.fail(
                field,
                "FieldValueTooLong",
                f"Too long: may not be more than {schema['maxLength']} bytes",
            )
        if "pattern" in schema and not _compiled(schema["pattern"]).search(value):
            self.fail(
                field,
                "FieldValueInvalid",
                f"Invalid value: {shown}: {field} in body should match '{schema['pattern']}'",
            )
        fmt = _FORMATS.get(schema.get("format", ""))
        if fmt is not None and not fmt.match(value):
            self.fail(
                field,
                "FieldValueInvalid",
                f"Invalid value: {shown}: {field} in body must be of type {schema['format']}: "
                f"{shown}",
            )

    def _check_object(
        self, schema: Schema, value: dict[str, Any], old: dict[str, Any] | None, field: str
    ) -> None:
        for key in schema.get("required") or []:
            if key not in value:
                self.fail(_join(field, key), "FieldValueRequired", "Required value")
        properties: dict[str, Schema] = schema.get("properties") or {}
        additional = schema.get("additionalProperties")
        for key, item in value.items():
            sub = properties.get(key)
            if sub is None and isinstance(additional, dict):
                sub = additional
            if sub is not None:
                self.validate(sub, item, (old or {}).get(key), _join(field, key))
        if "maxProperties" in schema and len(value) > schema["maxProperties"]:
            self.fail(
                field,
                "FieldValueTooMany",
                f"Too many: {len(value)}: must have at most {schema['maxProperties']} items",
            )

    def _check_array(
        self, schema: Schema, value: list[Any], old: list[Any] | None, field: str
    ) -> None:
        if "minItems" in schema and len(value) < schema["minItems"]:
            self.fail(
                field,
                "FieldValueInvalid",
                f"Invalid value: {len(value)}: {field} in body should have at least "
                f"{schema['minItems']} items",
            )
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            self.fail(
                field,
                "FieldValueTooMany",
                f"Too many: {len(value)}: must have at most {schema['maxItems']} items",
            )
        items = schema.get("items")
        if isinstance(items, dict):
            for index, item in enumerate(value):
                # Transition rules inside lists compare by position (simplified from map keys).
                previous = old[index] if old is not None and index < len(old) else None
                self.validate(items, item, previous, f"{field}[{index}]")

    def _check_rules(self, schema: Schema, value: Any, old: Any, field: str) -> None:
        for rule in schema.get("x-kubernetes-validations") or []:
            expression: str = rule.get("rule", "")
            program = _compiled_cel(expression)
            uses_old = "oldSelf" in program.variables()
            if uses_old and old is None:
                continue  # transition rules only run on updates of an existing value
            variables: dict[str, Any] = {"self": value}
            if uses_old:
                variables["oldSelf"] = old
            try:
                passed = program.execute(variables)
                error = None
            except Exception as exc:  # CEL runtime errors fail the rule, like the apiserver
                passed, error = False, str(exc)
            if passed is True:
                continue
            message = rule.get("message") or (error or f"failed rule: {expression}")
            target = field
            if rule.get("fieldPath"):
                target = field + rule["fieldPath"]
            reason = rule.get("reason", "FieldValueInvalid")
            if reason == "FieldValueRequired":
                self.fail(target, reason, f"Required value: {message}")
            elif reason == "FieldValueForbidden":
                self.fail(target, reason, f"Forbidden: {message}")
            else:
                self.fail(target, "FieldValueInvalid", f"Invalid value: {_show(value)}: {message}")


def _join(field: str, key: str) -> str:
    return f"{field}.{key}" if field else key


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@lru_cache(maxsize=512)
def _compiled_cel(expression: str) -> Any:
    return cel.compile(expression)


def validate_object(schema: Schema, obj: dict[str, Any], old: dict[str, Any] | None) -> list[Cause]:
    """Validate everything but `apiVersion`, `kind` and `metadata`; return the causes."""
    body_schema = dict(schema)
    body_schema["properties"] = {
        k: v for k, v in (schema.get("properties") or {}).items() if k not in _ROOT_KEYS
    }
    body = {k: v for k, v in obj.items() if k not in _ROOT_KEYS}
    old_body = {k: v for k, v in old.items() if k not in _ROOT_KEYS} if old is not None else None
    validator = Validator()
    validator.validate(body_schema, body, old_body, "")
    return validator.causes
