"""JSON Schema validation of tool arguments, tool outputs and structured answers.

One place decides which JSON Schema draft applies (the schema's own `$schema`, else the
latest) and how a validation failure is worded, so the model and the client see the same
short, actionable message: where in the document it failed and why.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

import jsonschema
from jsonschema.exceptions import SchemaError
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for


class SchemaViolationError(Exception):
    """A document does not satisfy a schema; the message says where and why."""

    def __init__(self, what: str, detail: str) -> None:
        super().__init__(what, detail)
        self.what = what
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.what} is invalid: {self.detail}"


class MalformedSchemaError(ValueError):
    """A JSON Schema that its own meta-schema refuses; the message says where and why."""


def check_schema(schema: Mapping[str, Any]) -> None:
    """Raise `MalformedSchemaError` unless `schema` is valid against its draft's meta-schema.

    The draft is the one `validate` will use: the schema's own `$schema`, else the latest. An
    unknown `$schema` is refused rather than silently read as the latest draft.
    """
    cls = _validator_class(schema)
    error = jsonschema.exceptions.best_match(cls(cls.META_SCHEMA).iter_errors(dict(schema)))
    if error is not None:
        where = "".join(f"/{part}" for part in error.absolute_path) or "/"
        meta = cls.META_SCHEMA
        draft = meta.get("$id", meta.get("id", cls.__name__))
        raise MalformedSchemaError(
            f"not a valid JSON Schema (under {draft}): at {where}: {error.message}"
        )


def _validator_class(schema: Mapping[str, Any]) -> type[Validator]:
    """The validator of the schema's declared draft (`$schema`), else of the latest draft."""
    if "$schema" not in schema:
        return validator_for(schema)
    declared = schema["$schema"]
    # With a default of None, `validator_for` answers None for a `$schema` it does not know.
    unknown = cast("type[Validator]", None)
    cls = validator_for(schema, default=unknown) if isinstance(declared, str) else unknown
    if cls is unknown:
        raise MalformedSchemaError(
            f"not a valid JSON Schema: $schema {declared!r} names no draft this runtime knows"
        )
    return cls


def validate(instance: Any, schema: Mapping[str, Any], *, what: str) -> None:
    """Raise `SchemaViolationError` naming the first (most relevant) failure, if any."""
    try:
        validator = _validator_class(schema)(dict(schema))
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    except SchemaError as exc:
        raise SchemaViolationError(what, f"schema is malformed: {exc.message}") from None
    except MalformedSchemaError as exc:
        raise SchemaViolationError(what, f"schema is malformed: {exc}") from None
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        raise SchemaViolationError(what, f"at {where}: {error.message}")


def parse_json(text: str, *, what: str) -> Any:
    """Decode JSON text, raising `SchemaViolationError` if it is not JSON."""
    try:
        return json.loads(text)
    except (json.JSONDecodeError, TypeError) as exc:
        raise SchemaViolationError(what, f"not valid JSON: {exc}") from None
