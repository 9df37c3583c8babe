"""Label and field selectors, parsed once per request and matched against objects.

Label selectors support the full set-based grammar (`=`, `==`, `!=`, `in`, `notin`, `key`,
`!key`); field selectors support equality on dotted paths (`metadata.name`, `metadata.namespace`,
and any other path such as `status.phase`), as the apiserver does for the fields it indexes.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from .errors import bad_request

Matcher = Callable[[dict[str, Any]], bool]

_SET_TERM = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s+(in|notin)\s+\((.*)\)\s*$")
_EQ_TERM = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|!=|=)\s*([A-Za-z0-9_./-]*)\s*$")
_EXISTS_TERM = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*$")


@dataclasses.dataclass(frozen=True)
class Requirement:
    """One term of a label selector."""

    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!exists"
    values: frozenset[str] = frozenset()

    def matches(self, labels: dict[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        match self.op:
            case "=" | "in":
                return present and value in self.values
            case "!=" | "notin":
                return not present or value not in self.values
            case "exists":
                return present
            case _:
                return not present


def _split_terms(text: str) -> list[str]:
    """Split on commas that are not inside `in (...)` parentheses."""
    terms: list[str] = []
    depth = 0
    current = ""
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    terms.append(current)
    return [term for term in terms if term.strip()]


def parse_label_selector(text: str) -> list[Requirement]:
    requirements: list[Requirement] = []
    for term in _split_terms(text):
        if match := _SET_TERM.match(term):
            values = frozenset(v.strip() for v in match.group(3).split(",") if v.strip())
            requirements.append(Requirement(match.group(1), match.group(2), values))
        elif match := _EQ_TERM.match(term):
            op = "!=" if match.group(2) == "!=" else "="
            requirements.append(Requirement(match.group(1), op, frozenset({match.group(3)})))
        elif match := _EXISTS_TERM.match(term):
            requirements.append(
                Requirement(match.group(2), "!exists" if match.group(1) else "exists")
            )
        else:
            raise bad_request(f"unable to parse requirement: {term!r}")
    return requirements


def label_matcher(text: str | None) -> Matcher | None:
    if not text:
        return None
    requirements = parse_label_selector(text)

    def matches(obj: dict[str, Any]) -> bool:
        labels = obj.get("metadata", {}).get("labels") or {}
        return all(req.matches(labels) for req in requirements)

    return matches


def _lookup(obj: dict[str, Any], path: str) -> str | None:
    node: Any = obj
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return None if node is None else str(node)


def field_matcher(text: str | None) -> Matcher | None:
    if not text:
        return None
    terms: list[tuple[str, bool, str]] = []
    for term in _split_terms(text):
        match = _EQ_TERM.match(term)
        if match is None:
            raise bad_request(f"invalid field selector: {term!r}")
        terms.append((match.group(1), match.group(2) != "!=", match.group(3)))

    def matches(obj: dict[str, Any]) -> bool:
        for path, equal, value in terms:
            actual = _lookup(obj, path) or ""
            if (actual == value) != equal:
                return False
        return True

    return matches


def selector_from_match_labels(selector: dict[str, Any] | None) -> str:
    """Render a LabelSelector (`matchLabels` + `matchExpressions`) as a selector string."""
    if not selector:
        return ""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        op = expr.get("operator", "")
        key = expr.get("key", "")
        values = ",".join(expr.get("values") or [])
        if op == "In":
            parts.append(f"{key} in ({values})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({values})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts)
