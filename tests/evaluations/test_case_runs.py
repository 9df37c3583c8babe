"""One case against the runtime's HTTP API, served here by a transport answering as it would."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from agent_operator.evaluate.fakes import FakeTools
from agent_operator.evaluate.runner import run_case
from agent_operator.evaluation import Case, CaseResult

CASE = Case.model_validate(
    {
        "name": "asks",
        "messages": [{"role": "user", "content": "Weather in Paris?"}],
        "checks": [{"contains": "sunny"}, {"maxTurns": 2}],
    }
)
METRICS = '# TYPE agent_model_calls counter\nagent_model_calls_total{{model="m",outcome="ok"}} {}\n'


def runtime(answer: Callable[[], httpx.Response], metrics: list[str]) -> httpx.Client:
    """A client of a runtime that answers chats with `answer` and /metrics with `metrics`."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/metrics":
            return httpx.Response(200, text=metrics.pop(0))
        return answer()

    return httpx.Client(base_url="http://runtime", transport=httpx.MockTransport(handle))


def chat(content: str, tokens: int = 12) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 4, "completion_tokens": 8, "total_tokens": tokens},
        },
    )


def run(answer: Callable[[], httpx.Response], metrics: list[str]) -> CaseResult:
    result, judge_down = run_case(CASE, runtime(answer, metrics), FakeTools(), None)
    assert judge_down is False
    return result


def test_turns_are_the_growth_of_the_model_call_counter_during_the_case() -> None:
    result = run(lambda: chat("It is sunny."), [METRICS.format(3), METRICS.format(5)])
    assert (result.passed, result.turns, result.tokens) == (True, 2, 12)


def test_every_failed_check_is_in_the_reason() -> None:
    result = run(lambda: chat("It rains."), [METRICS.format(0), METRICS.format(3)])
    assert not result.passed
    assert result.reason == "the answer does not contain 'sunny'; took 3 turns, at most 2 allowed"


def test_an_http_error_of_the_agent_fails_the_case_with_its_message() -> None:
    def timeout() -> httpx.Response:
        return httpx.Response(504, json={"object": "error", "message": "the model timed out"})

    result = run(timeout, [METRICS.format(0), METRICS.format(1)])
    assert (result.passed, result.turns) == (False, 1)
    assert result.reason == "the agent answered HTTP 504: the model timed out"


def test_an_answer_that_is_not_a_chat_completion_fails_the_case() -> None:
    result = run(lambda: httpx.Response(200, text="<html>"), [METRICS.format(0)] * 2)
    assert result.reason == "the agent's answer is not a chat completion"


def test_unreadable_metrics_leave_turns_unknown_and_a_turn_bound_says_so() -> None:
    result = run(lambda: chat("It is sunny."), ["not metrics {", "not metrics {"])
    assert result.turns is None
    assert result.reason == "the number of turns was not observed"
