"""The checks of a case, as pure functions of what one run of the case was observed to do.

An `Observation` holds what the evaluation could see from outside the runtime: the answer (or
the HTTP error that replaced it), the tool calls the fake tool endpoint received, the turns
counted from the runtime's `/metrics`, the tokens of the answer's `usage`. Each check returns
the reason it failed, or None; the judge is asked elsewhere (`judge`), being I/O.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from agent_operator.evaluation import Check, ToolCallCheck


@dataclass(frozen=True)
class ToolCall:
    """One call a tool received, with the arguments the agent sent."""

    tool: str
    arguments: Mapping[str, Any]


@dataclass(frozen=True)
class Observation:
    """What one run of a case did, as seen from outside the runtime."""

    answer: str
    turns: int | None = None
    tokens: int | None = None
    tool_calls: Sequence[ToolCall] = field(default_factory=tuple)

    def calls_of(self, tool: str) -> list[ToolCall]:
        """The calls of one tool, in order."""
        return [call for call in self.tool_calls if call.tool == tool]


def failure(check: Check, seen: Observation) -> str | None:
    """Why `check` fails on `seen`, or None when it passes (judge checks are not made here)."""
    for kind, verify in _VERIFIERS.items():
        expected = getattr(check, kind)
        if expected is not None:
            return verify(expected, seen)
    return None


def _contains(text: str, seen: Observation) -> str | None:
    return None if text in seen.answer else f"the answer does not contain {text!r}"


def _not_contains(text: str, seen: Observation) -> str | None:
    return f"the answer contains {text!r}" if text in seen.answer else None


def _matches(pattern: str, seen: Observation) -> str | None:
    return None if re.search(pattern, seen.answer) else f"the answer does not match /{pattern}/"


def _json_schema(schema: dict[str, Any], seen: Observation) -> str | None:
    try:
        value = json.loads(seen.answer)
    except ValueError:
        return f"the answer is not JSON: {_excerpt(seen.answer)}"
    problem = schema_problem(schema, value)
    return None if problem is None else f"the answer does not match its schema: {problem}"


def _tool_called(expected: ToolCallCheck, seen: Observation) -> str | None:
    calls = seen.calls_of(expected.name)
    if not calls:
        return f"tool {expected.name} was not called"
    if expected.arguments is None:
        return None
    problems = [schema_problem(expected.arguments, dict(call.arguments)) for call in calls]
    if any(problem is None for problem in problems):
        return None
    return f"no call of {expected.name} had matching arguments: {problems[0]}"


def _tool_not_called(tool: str, seen: Observation) -> str | None:
    count = len(seen.calls_of(tool))
    return f"tool {tool} was called {_times(count)}" if count else None


def _max_turns(bound: int, seen: Observation) -> str | None:
    if seen.turns is None:
        return "the number of turns was not observed"
    return f"took {seen.turns} turns, at most {bound} allowed" if seen.turns > bound else None


def _max_tokens(bound: int, seen: Observation) -> str | None:
    if seen.tokens is None:
        return "the tokens used were not reported"
    return f"used {seen.tokens} tokens, at most {bound} allowed" if seen.tokens > bound else None


#: One verifier per check kind (the judge's is asynchronous I/O, in `judge`).
_VERIFIERS: dict[str, Callable[[Any, Observation], str | None]] = {
    "contains": _contains,
    "not_contains": _not_contains,
    "matches": _matches,
    "json_schema": _json_schema,
    "tool_called": _tool_called,
    "tool_not_called": _tool_not_called,
    "max_turns": _max_turns,
    "max_tokens": _max_tokens,
}


def schema_problem(schema: Mapping[str, Any], value: Any) -> str | None:
    """The first way `value` breaks `schema` (`at /path: message`), or None when it is valid."""
    validator = jsonschema.validators.validator_for(schema)(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is None:
        return None
    where = "/" + "/".join(str(part) for part in error.absolute_path)
    return f"at {where}: {error.message}"


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def _excerpt(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")
