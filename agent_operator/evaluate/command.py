"""`agent-operator eval EVAL.yaml --agent AGENT.yaml`: an evaluation's cases, run here, for CI.

Prints one row per case (passed or failed, with the reason), or with `--output json` the
evaluation's status object, the one the operator writes to the resource. Exit status: 0 when
every case passed, 1 when any failed, 2 when the evaluation could not run (unreadable or
invalid files, an unknown Agent, a runtime that did not start). Never a traceback for input.

Only this module's `run` imports the runner (the runtime's dependencies); defining the
arguments costs nothing, so `agent-operator` starts as fast as before.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

import yaml

from agent_operator.evaluation import (
    EVALUATION_KIND,
    PASSED,
    REASON_ALL_PASSED,
    REASON_CASES_FAILED,
    REASON_JUDGE_UNAVAILABLE,
    EvaluationObject,
    EvaluationStatus,
    parse_evaluation,
)
from agent_operator.spec import KIND, SpecError

#: Exit status when every case passed, when some failed, and when the run could not happen.
EXIT_PASSED, EXIT_FAILED, EXIT_ERROR = 0, 1, 2
#: Condition reasons that mean the cases ran (exit 1 when not all passed), not a broken input.
_RAN = frozenset({REASON_ALL_PASSED, REASON_CASES_FAILED, REASON_JUDGE_UNAVAILABLE})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `agent-operator eval`."""
    parser.add_argument("evaluation", metavar="EVAL.yaml", help="a file with one AgentEvaluation")
    parser.add_argument(
        "--agent",
        dest="agents",
        action="append",
        required=True,
        metavar="AGENT.yaml",
        help="a file of Agents, one of them the evaluated one (repeatable)",
    )
    parser.add_argument(
        "--mock",
        action="store_true",
        help="serve the model (and an endpoint-less judge) with `agent-runtime mock-llm`",
    )
    parser.add_argument("--mock-script", metavar="FILE", help="scripted answers for the mock")
    parser.add_argument("--endpoint", metavar="URL", help="the model's URL instead of the Agent's")
    parser.add_argument(
        "--api-key-env",
        metavar="NAME",
        help="read the model's API key from $NAME (default: the Agent's Secret as"
        " $SECRETNAME_KEY, e.g. MISTRAL_SECRETS_APIKEY)",
    )
    parser.add_argument(
        "-o", "--output", choices=("table", "json"), default="table", help="how to print results"
    )


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Run the evaluation the arguments name; print the results; return the exit status."""
    if args.mock_script and not args.mock:
        err.write("error: --mock-script scripts the mock model: it needs --mock\n")
        return EXIT_ERROR
    try:
        evaluation = _one_evaluation(args.evaluation)
        agents = [obj for path in args.agents for obj in _documents(path, KIND)]
    except (OSError, yaml.YAMLError, SpecError) as exc:
        err.write(f"error: {exc}\n")
        return EXIT_ERROR
    try:
        from agent_operator.evaluate.runner import RunOptions, run_evaluation
    except ImportError as exc:
        err.write(f"error: {exc}; `agent-operator eval` needs 'agent-operator[runtime]'\n")
        return EXIT_ERROR
    options = RunOptions(
        mock=bool(args.mock),
        mock_script=args.mock_script,
        endpoint=args.endpoint,
        api_key_env=args.api_key_env,
    )
    status = run_evaluation(evaluation, agents, options)
    condition = next(c for c in status.conditions if c.type == PASSED)
    if args.output == "json":
        out.write(json.dumps(status.model_dump(mode="json", by_alias=True), indent=2) + "\n")
    else:
        out.write(table(evaluation, status))
    if condition.reason not in _RAN:
        err.write(f"error: {condition.reason}: {condition.message}\n")
        return EXIT_ERROR
    return EXIT_PASSED if condition.status == "True" else EXIT_FAILED


def table(evaluation: EvaluationObject, status: EvaluationStatus) -> str:
    """One row per case, then the outcome of the whole evaluation."""
    rows = [("CASE", "RESULT", "TURNS", "TOKENS", "REASON")]
    for result in status.results:
        rows.append(
            (
                result.name,
                "passed" if result.passed else "FAILED",
                "-" if result.turns is None else str(result.turns),
                "-" if result.tokens is None else str(result.tokens),
                result.reason,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(
            [*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[4]]
        ).rstrip()
        for row in rows
    ]
    condition = next(c for c in status.conditions if c.type == PASSED)
    name = f"{EVALUATION_KIND} {evaluation.namespace}/{evaluation.name}"
    lines.append(f"{name}: {status.summary} passed ({condition.reason}: {condition.message})")
    return "\n".join(lines) + "\n"


def _one_evaluation(path: str) -> EvaluationObject:
    found = _documents(path, EVALUATION_KIND)
    if len(found) != 1:
        raise SpecError(f"{path}: expected one {EVALUATION_KIND}, found {len(found)}")
    try:
        return parse_evaluation(found[0])
    except SpecError as exc:
        raise SpecError(f"{path}: invalid {EVALUATION_KIND}: {exc}") from None


def _documents(path: str, kind: str) -> list[Mapping[str, Any]]:
    with open(path, encoding="utf-8") as file:
        documents = list(yaml.safe_load_all(file))
    return [d for d in documents if isinstance(d, Mapping) and d.get("kind") == kind]


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m agent_operator.evaluate.command`: the same as `agent-operator eval`."""
    parser = argparse.ArgumentParser(prog="agent-operator eval")
    add_arguments(parser)
    return run(parser.parse_args(argv), sys.stdout, sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
