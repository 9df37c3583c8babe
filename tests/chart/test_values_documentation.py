"""values.yaml documents itself: every key the schema knows has a comment right above it."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.chart.rendering import CHART_DIR

KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z_][\w-]*):")


def schema_paths(node: dict[str, Any], prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    paths: set[tuple[str, ...]] = set()
    for key, child in (node.get("properties") or {}).items():
        paths.add((*prefix, key))
        paths |= schema_paths(child, (*prefix, key))
    return paths


def undocumented_keys() -> list[str]:
    schema = json.loads((CHART_DIR / "values.schema.json").read_text())
    known = schema_paths(schema)
    lines = (CHART_DIR / "values.yaml").read_text().splitlines()
    stack: list[tuple[int, str]] = []
    missing = []
    for number, line in enumerate(lines):
        match = KEY_LINE.match(line)
        if match is None:
            continue
        indent = len(match["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, match["key"]))
        path = tuple(key for _, key in stack)
        if path in known and not lines[number - 1].strip().startswith("#"):
            missing.append(".".join(path))
    return missing


def test_every_schema_key_in_values_yaml_has_a_comment_above_it() -> None:
    assert undocumented_keys() == []


def test_every_schema_key_appears_in_values_yaml() -> None:
    schema = json.loads((CHART_DIR / "values.schema.json").read_text())
    text = (CHART_DIR / "values.yaml").read_text()
    top_level = set(schema["properties"]) - {"global"}
    assert {key for key in top_level if not re.search(rf"^{key}:", text, re.MULTILINE)} == set()
