"""Each check kind, passing and failing, on an observed outcome of a case."""

from __future__ import annotations

from typing import Any

import pytest

from agent_operator.evaluate.checks import Observation, ToolCall, failure
from agent_operator.evaluation import Check

SEEN = Observation(
    answer='{"city": "Paris", "condition": "sunny"}',
    turns=2,
    tokens=40,
    tool_calls=(ToolCall("get_weather", {"city": "Paris"}),),
)


def check(**kind: Any) -> Check:
    return Check.model_validate(kind)


@pytest.mark.parametrize(
    "kind",
    [
        {"contains": "sunny"},
        {"notContains": "rain"},
        {"matches": r'"city": "P\w+"'},
        {"jsonSchema": {"type": "object", "required": ["city"]}},
        {"toolCalled": {"name": "get_weather"}},
        {
            "toolCalled": {
                "name": "get_weather",
                "arguments": {"properties": {"city": {"const": "Paris"}}},
            }
        },
        {"toolNotCalled": "delete_city"},
        {"maxTurns": 2},
        {"maxTokens": 40},
    ],
    ids=lambda kind: next(iter(kind)),
)
def test_a_check_that_holds_passes(kind: dict[str, Any]) -> None:
    assert failure(check(**kind), SEEN) is None


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ({"contains": "rain"}, "the answer does not contain 'rain'"),
        ({"notContains": "sunny"}, "the answer contains 'sunny'"),
        ({"matches": r"\d+ ?C"}, r"the answer does not match /\d+ ?C/"),
        (
            {"jsonSchema": {"type": "object", "required": ["temperature"]}},
            "the answer does not match its schema: at /: 'temperature' is a required property",
        ),
        ({"toolCalled": {"name": "get_forecast"}}, "tool get_forecast was not called"),
        (
            {
                "toolCalled": {
                    "name": "get_weather",
                    "arguments": {"properties": {"city": {"const": "Oslo"}}},
                }
            },
            "no call of get_weather had matching arguments: at /city: 'Oslo' was expected",
        ),
        ({"toolNotCalled": "get_weather"}, "tool get_weather was called once"),
        ({"maxTurns": 1}, "took 2 turns, at most 1 allowed"),
        ({"maxTokens": 39}, "used 40 tokens, at most 39 allowed"),
    ],
    ids=lambda value: next(iter(value)) if isinstance(value, dict) else "",
)
def test_a_check_that_does_not_hold_fails_with_its_reason(
    kind: dict[str, Any], reason: str
) -> None:
    assert failure(check(**kind), SEEN) == reason


def test_an_answer_that_is_not_json_fails_a_schema_check_quoting_it() -> None:
    seen = Observation(answer="It is sunny.")
    assert failure(check(jsonSchema={"type": "object"}), seen) == (
        "the answer is not JSON: 'It is sunny.'"
    )


def test_a_turn_bound_fails_when_turns_could_not_be_counted() -> None:
    seen = Observation(answer="x", turns=None)
    assert failure(check(maxTurns=5), seen) == "the number of turns was not observed"
