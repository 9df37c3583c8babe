"""The Agent reference in Markdown, generated from the CRD's own descriptions.

`python -m agent_operator.reference > docs/agent-reference.md` (or `make docs`). A test fails
when the committed page differs from what this prints, so the reference cannot fall behind
the CRD, which is itself generated from the pydantic models.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from typing import Any

from agent_operator.crd import build_crd

HEADER = """# Agent reference

`Agent` (`agent-operator.io/v1alpha1`, short name `ag`): one tool-calling agent on Mistral,
served by the agent runtime. Generated from the CRD (`make docs`); `kubectl explain agent.spec`
shows the same descriptions.

| Field | Type | Default | Description |
|---|---|---|---|
"""


def rows(schema: Mapping[str, Any], path: str, required: bool = False) -> Iterator[str]:
    """One table row per field, depth first, in the CRD's order."""
    kind = _type(schema)
    constraints = _constraints(schema)
    description = " ".join(str(schema.get("description", "")).split())
    if constraints:
        description = f"{description} ({constraints})" if description else constraints
    if required:
        description = f"**Required.** {description}"
    default = f"`{json.dumps(schema['default'])}`" if "default" in schema else ""
    yield f"| `{path}` | {kind} | {default} | {_escape(description)} |"
    item = schema.get("items") if schema.get("type") == "array" else None
    children = (item or schema).get("properties") or {}
    needed = set((item or schema).get("required") or [])
    prefix = f"{path}[]" if item is not None else path
    for name, child in children.items():
        yield from rows(child, f"{prefix}.{name}", name in needed)


def _type(schema: Mapping[str, Any]) -> str:
    kind = str(schema.get("type", "any"))
    if kind == "array":
        return f"array of {schema.get('items', {}).get('type', 'any')}"
    if schema.get("x-kubernetes-int-or-string"):
        return "int or string"
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return "object (free-form)"
    return kind


def _constraints(schema: Mapping[str, Any]) -> str:
    parts = []
    if "enum" in schema:
        parts.append("one of " + ", ".join(f"`{v}`" for v in schema["enum"]))
    for key, word in (
        ("minimum", ">="),
        ("maximum", "<="),
        ("minItems", "items >="),
        ("maxItems", "items <="),
        ("minLength", "length >="),
        ("maxLength", "length <="),
    ):
        if key in schema:
            parts.append(f"{word} {schema[key]}")
    for rule in schema.get("x-kubernetes-validations") or []:
        if rule.get("message"):
            parts.append(str(rule["message"]).rstrip("."))
    return "; ".join(parts)


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def render() -> str:
    crd = build_crd()
    version = crd["spec"]["versions"][0]
    root = version["schema"]["openAPIV3Schema"]["properties"]
    lines = [*rows(root["spec"], "spec"), *rows(root["status"], "status")]
    return HEADER + "\n".join(lines) + "\n"


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
