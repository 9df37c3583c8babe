"""One evaluation run: the Agent rendered, its runtime started, each case sent, the status built.

`run_evaluation` never raises for bad input or an environment that cannot serve: what stops the
run (an Agent that is missing or invalid, a case naming a tool the Agent lacks, a runtime that
does not start, a key that is not set) becomes the `Passed=False` condition of the status, with
its reason, exactly as the operator will report it on the resource.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from agent_operator.builders import agent_meta, runtime_config
from agent_operator.evaluate.checks import Observation, failure
from agent_operator.evaluate.fakes import (
    LOOPBACK,
    FakeTools,
    create_app,
    hermetic_config,
)
from agent_operator.evaluate.judge import Judge, JudgeUnavailableError, secret_env_name
from agent_operator.evaluate.processes import ProcessStartError, runtime_command, started
from agent_operator.evaluation import (
    PASSED,
    REASON_AGENT_NOT_FOUND,
    REASON_ALL_PASSED,
    REASON_CASES_FAILED,
    REASON_INVALID,
    REASON_JUDGE_UNAVAILABLE,
    REASON_RUNTIME_UNAVAILABLE,
    Case,
    CaseResult,
    EvaluationObject,
    EvaluationSpec,
    EvaluationStatus,
)
from agent_operator.spec import KIND, AgentSpec, Condition, SpecError, parse_spec
from agent_runtime import config as runtime
from agent_runtime.config import CONFIG_FILE_NAME
from agent_runtime.testing import free_port, running_app

#: The runtime's counter of model calls; its growth during a case is the case's turns.
MODEL_CALLS_SAMPLE = "agent_model_calls_total"
#: Extra seconds beyond the Agent's own request timeout before this run stops waiting.
_REQUEST_GRACE_SECONDS = 30.0
#: The longest failure reason kept per case, as the status schema allows.
_REASON_CHARS = 4096


@dataclass(frozen=True)
class RunOptions:
    """How this machine serves the Agent's model."""

    mock: bool = False
    mock_script: str | None = None
    endpoint: str | None = None
    api_key_env: str | None = None


class EvaluationError(Exception):
    """The evaluation cannot run; `reason` is the condition's reason, the message says why."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def run_evaluation(
    evaluation: EvaluationObject, agents: Sequence[Mapping[str, Any]], options: RunOptions
) -> EvaluationStatus:
    """Run every case of `evaluation` against its Agent (found among `agents`)."""
    try:
        agent = find_agent(evaluation, agents)
        results, judge_down = _run(evaluation, agent, options)
    except EvaluationError as exc:
        return _status(evaluation, (), exc.reason, str(exc))
    failed = [result.name for result in results if not result.passed]
    if not failed:
        return _status(evaluation, results, REASON_ALL_PASSED, f"{len(results)} cases passed")
    reason = REASON_JUDGE_UNAVAILABLE if judge_down else REASON_CASES_FAILED
    message = f"{len(failed)} of {len(results)} cases failed: {', '.join(failed)}"
    return _status(evaluation, results, reason, message)


def find_agent(
    evaluation: EvaluationObject, agents: Sequence[Mapping[str, Any]]
) -> Mapping[str, Any]:
    """The Agent the evaluation names, in its namespace, or `EvaluationError(AgentNotFound)`."""
    wanted = evaluation.spec.agent_ref.name
    found: list[str] = []
    for obj in agents:
        metadata = obj.get("metadata") or {}
        namespace = metadata.get("namespace") or "default"
        if metadata.get("name") == wanted and namespace == evaluation.namespace:
            return obj
        found.append(f"{namespace}/{metadata.get('name')}")
    seen = f"; found {', '.join(found)}" if found else "; no Agent was given"
    raise EvaluationError(
        REASON_AGENT_NOT_FOUND, f"{KIND} {evaluation.namespace}/{wanted} not found{seen}"
    )


def check_against_agent(spec: EvaluationSpec, agent: AgentSpec, name: str) -> None:
    """Refuse cases that name a tool the Agent lacks, or one this run cannot fake (MCP)."""
    declared = {tool.name: tool for tool in agent.tools}
    for i, case in enumerate(spec.cases):
        named = [(f"toolResponses[{j}].tool", r.tool) for j, r in enumerate(case.tool_responses)]
        for j, check in enumerate(case.checks):
            if check.tool_called is not None:
                named.append((f"checks[{j}].toolCalled.name", check.tool_called.name))
            if check.tool_not_called is not None:
                named.append((f"checks[{j}].toolNotCalled", check.tool_not_called))
        for where, tool in named:
            path = f"spec.cases[{i}].{where}"
            if tool not in declared:
                raise EvaluationError(REASON_INVALID, f"{path}: {KIND} {name} has no tool {tool}")
            if declared[tool].mcp is not None:
                raise EvaluationError(
                    REASON_INVALID,
                    f"{path}: {tool} is an MCP tool; evaluations script and observe http and"
                    " agent tools only",
                )


def _run(
    evaluation: EvaluationObject, agent: Mapping[str, Any], options: RunOptions
) -> tuple[list[CaseResult], bool]:
    try:
        meta = agent_meta(agent)
        body = agent.get("spec")
        spec = parse_spec(body if isinstance(body, Mapping) else {})
    except SpecError as exc:
        raise EvaluationError(REASON_INVALID, f"invalid {KIND}: {exc}") from None
    check_against_agent(evaluation.spec, spec, meta.name)
    config = runtime_config(meta, spec)
    try:
        with _served(config, spec, options) as (base_url, tools, model_url):
            model = evaluation.spec.judge
            judge = Judge(model, endpoint=model_url) if model is not None else None
            timeout = config.limits.request_timeout_seconds + _REQUEST_GRACE_SECONDS
            with httpx.Client(base_url=base_url, timeout=timeout) as client:
                runs = [run_case(case, client, tools, judge) for case in evaluation.spec.cases]
    except ProcessStartError as exc:
        raise EvaluationError(REASON_RUNTIME_UNAVAILABLE, str(exc)) from None
    return [result for result, _ in runs], any(down for _, down in runs)


@contextlib.contextmanager
def _served(
    config: runtime.RuntimeConfig, spec: AgentSpec, options: RunOptions
) -> Iterator[tuple[str, FakeTools, str | None]]:
    """The mock model (with `--mock`), the fake tools and the runtime, until the block ends.

    Yields the runtime's base URL, the fake tools, and the mock model's URL (None without it).
    """
    tools = FakeTools()
    with contextlib.ExitStack() as stack:
        model_url = stack.enter_context(_mock_model(options)) if options.mock else None
        model = _model(config.model, spec, options, model_url)
        fake_url = stack.enter_context(running_app(create_app(tools), host=LOOPBACK))
        served = hermetic_config(config, fake_url=fake_url, model=model)
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        path = directory / CONFIG_FILE_NAME
        path.write_text(served.to_json(), encoding="utf-8")
        port = free_port(LOOPBACK)
        base_url = f"http://{LOOPBACK}:{port}"
        serve = ["serve", "--config", str(path), "--host", LOOPBACK, "--port", str(port)]
        command = runtime_command(*serve, "--log-level", "WARNING")
        name = f"the runtime of {KIND} {config.agent.namespace}/{config.agent.name}"
        stack.enter_context(started(name, command, f"{base_url}/readyz"))
        yield base_url, tools, model_url


@contextlib.contextmanager
def _mock_model(options: RunOptions) -> Iterator[str]:
    port = free_port(LOOPBACK)
    url = f"http://{LOOPBACK}:{port}"
    script = ["--script", options.mock_script] if options.mock_script else []
    command = runtime_command("mock-llm", "--host", LOOPBACK, "--port", str(port), *script)
    with started("the mock model", command, f"{url}/v1/models"):
        yield url


def _model(
    model: runtime.ModelConfig, spec: AgentSpec, options: RunOptions, mock_url: str | None
) -> runtime.ModelConfig:
    """The Agent's model as this machine reaches it: the mock, or an endpoint and an env key."""
    if mock_url is not None:
        return model.model_copy(update={"endpoint": mock_url, "api_key": None})
    ref = spec.model.api_key_secret_ref
    env = options.api_key_env or (secret_env_name(ref) if ref is not None else None)
    if env is not None and env not in os.environ:
        raise EvaluationError(
            REASON_RUNTIME_UNAVAILABLE,
            f"the model's API key is read from ${env}, which is not set (or use --mock)",
        )
    api_key = runtime.SecretSource(env=env) if env is not None else None
    endpoint = options.endpoint or model.endpoint
    return model.model_copy(update={"endpoint": endpoint, "api_key": api_key})


def run_case(
    case: Case, client: httpx.Client, tools: FakeTools, judge: Judge | None
) -> tuple[CaseResult, bool]:
    """Send one case and check its outcome; the flag says the judge could not be asked."""
    tools.start_case(case.tool_responses)
    before = _model_calls(client)
    messages = [message.model_dump() for message in case.messages]
    try:
        response = client.post("/v1/chat/completions", json={"messages": messages})
    except httpx.HTTPError as exc:
        return _failed(case, f"the agent did not answer: {exc}"), False
    after = _model_calls(client)
    turns = after - before if after is not None and before is not None else None
    if response.status_code != 200:
        error = f"the agent answered HTTP {response.status_code}: {_error_message(response)}"
        return _failed(case, error, turns=turns), False
    try:
        body = response.json()
        answer = str(body["choices"][0]["message"].get("content") or "")
        tokens = (body.get("usage") or {}).get("total_tokens")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return _failed(case, "the agent's answer is not a chat completion", turns=turns), False
    seen = Observation(answer=answer, turns=turns, tokens=tokens, tool_calls=tools.calls)
    failures = [reason for check in case.checks if (reason := failure(check, seen))]
    judge_down = False
    for check in case.checks:
        if check.judge is None or judge is None:
            continue
        verdict: str | None
        try:
            verdict = judge.grade(check.judge, case.messages, seen.answer)
        except JudgeUnavailableError as exc:
            verdict, judge_down = str(exc), True
        if verdict is not None:
            failures.append(verdict)
    result = CaseResult(
        name=case.name,
        passed=not failures,
        reason="; ".join(failures)[:_REASON_CHARS],
        turns=seen.turns,
        tokens=seen.tokens,
    )
    return result, judge_down


def _failed(case: Case, reason: str, turns: int | None = None) -> CaseResult:
    return CaseResult(name=case.name, passed=False, reason=reason[:_REASON_CHARS], turns=turns)


def _error_message(response: httpx.Response) -> str:
    try:
        return str(response.json().get("message") or response.text)
    except (ValueError, AttributeError):
        return response.text[:200]


def _model_calls(client: httpx.Client) -> int | None:
    """The runtime's model calls so far, summed over outcomes; None when /metrics fails."""
    try:
        families = list(text_string_to_metric_families(client.get("/metrics").text))
    except (httpx.HTTPError, ValueError):
        return None
    samples = [s.value for f in families for s in f.samples if s.name == MODEL_CALLS_SAMPLE]
    return int(sum(samples))


def _status(
    evaluation: EvaluationObject, results: Sequence[CaseResult], reason: str, message: str
) -> EvaluationStatus:
    passed = sum(result.passed for result in results)
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    condition = Condition(
        type=PASSED,
        status="True" if reason == REASON_ALL_PASSED else "False",
        reason=reason,
        message=message,
        last_transition_time=now,
        observed_generation=evaluation.generation,
    )
    return EvaluationStatus(
        observed_generation=evaluation.generation,
        passed=passed,
        total=len(results),
        summary=f"{passed}/{len(results)}",
        results=tuple(results),
        conditions=(condition,),
    )
