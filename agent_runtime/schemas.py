"""JSON Schema validation of tool arguments, tool outputs and structured answers.

One place decides which JSON Schema draft applies (the schema's own `$schema`, else the
latest) and how a validation failure is worded, so the model and the client see the same
short, actionable message: where in the document it failed and why.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import jsonschema
from jsonschema.exceptions import SchemaError
from jsonschema.validators import validator_for


class SchemaViolationError(Exception):
    """A document does not satisfy a schema; the message says where and why."""

    def __init__(self, what: str, detail: str) -> None:
        super().__init__(what, detail)
        self.what = what
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.what} is invalid: {self.detail}"


def check_schema(schema: Mapping[str, Any]) -> None:
    """Raise `jsonschema.SchemaError` if the schema itself is malformed."""
    validator_for(schema).check_schema(dict(schema))


def validate(instance: Any, schema: Mapping[str, Any], *, what: str) -> None:
    """Raise `SchemaViolationError` naming the first (most relevant) failure, if any."""
    cls = validator_for(schema)
    try:
        validator = cls(dict(schema))
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    except SchemaError as exc:
        raise SchemaViolationError(what, f"schema is malformed: {exc.message}") from None
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        raise SchemaViolationError(what, f"at {where}: {error.message}")


def parse_json(text: str, *, what: str) -> Any:
    """Decode JSON text, raising `SchemaViolationError` if it is not JSON."""
    try:
        return json.loads(text)
    except (json.JSONDecodeError, TypeError) as exc:
        raise SchemaViolationError(what, f"not valid JSON: {exc}") from None
