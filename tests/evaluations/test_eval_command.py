"""`agent-operator eval` run as CI runs it: a subprocess, its output, and its exit status."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent_runtime.testing import free_port

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples" / "evaluations"
AGENT = EXAMPLES / "agent.yaml"
EVALUATION = EXAMPLES / "evaluation.yaml"
#: Bound of one run: two processes started on a busy machine, then a few cases.
RUN_TIMEOUT = 240


def eval_command(
    evaluation: Path, *extra: str, agent: Path = AGENT
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "MISTRAL_SECRETS_APIKEY"}
    script = Path(sys.executable).with_name("agent-operator")  # the installed console script
    program = [str(script)] if script.exists() else [sys.executable, "-m", "agent_operator.cli"]
    command = [*program, "eval", str(evaluation)]
    return subprocess.run(
        [*command, "--agent", str(agent), *extra],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        env=env,
        cwd=ROOT,
        check=False,
    )


def example() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(EVALUATION.read_text())
    return copy.deepcopy(loaded)


def written(tmp_path: Path, obj: dict[str, Any]) -> Path:
    path = tmp_path / "evaluation.yaml"
    path.write_text(yaml.safe_dump(obj))
    return path


@pytest.mark.slow
def test_the_example_passes_against_the_mock_model_with_exit_status_0() -> None:
    run = eval_command(EVALUATION, "--mock")
    assert run.returncode == 0, run.stderr
    rows = {line.split()[0]: line.split()[1] for line in run.stdout.splitlines()[1:3]}
    assert rows == {
        "reports-the-weather-of-the-city-asked": "passed",
        "says-when-the-weather-service-fails": "passed",
    }
    assert "AgentEvaluation demo/weather-smoke: 2/2 passed (AllCasesPassed" in run.stdout


@pytest.mark.slow
def test_a_failing_case_exits_1_and_the_json_status_names_it_and_why(tmp_path: Path) -> None:
    obj = example()
    obj["spec"]["cases"][0]["checks"] = [{"contains": "rain"}, {"maxTurns": 1}]
    run = eval_command(written(tmp_path, obj), "--mock", "--output", "json")
    assert run.returncode == 1, run.stderr
    status = json.loads(run.stdout)
    assert (status["passed"], status["total"], status["summary"]) == (1, 2, "1/2")
    failed = status["results"][0]
    assert failed["name"] == "reports-the-weather-of-the-city-asked"
    assert failed["passed"] is False
    assert failed["reason"] == (
        "the answer does not contain 'rain'; took 2 turns, at most 1 allowed"
    )
    condition = status["conditions"][0]
    assert (condition["type"], condition["status"], condition["reason"]) == (
        "Passed",
        "False",
        "CasesFailed",
    )
    assert condition["message"] == "1 of 2 cases failed: reports-the-weather-of-the-city-asked"


@pytest.mark.slow
def test_an_unreachable_judge_fails_the_case_with_a_clear_reason(tmp_path: Path) -> None:
    obj = example()
    judge_url = f"http://127.0.0.1:{free_port()}"
    obj["spec"]["judge"] = {"name": "judge-large", "endpoint": judge_url, "timeoutSeconds": 5}
    obj["spec"]["cases"] = obj["spec"]["cases"][:1]
    obj["spec"]["cases"][0]["checks"].append({"judge": {"rubric": "Does it name the city?"}})
    run = eval_command(written(tmp_path, obj), "--mock", "--output", "json")
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    status = json.loads(run.stdout)
    assert status["conditions"][0]["reason"] == "JudgeUnavailable"
    assert status["results"][0]["reason"].startswith(
        f"the judge judge-large at {judge_url} did not answer: "
    )


def test_an_unknown_agent_is_a_clear_error_with_exit_status_2(tmp_path: Path) -> None:
    obj = example()
    obj["spec"]["agentRef"]["name"] = "forecast"
    run = eval_command(written(tmp_path, obj), "--mock")
    assert run.returncode == 2
    assert run.stderr == (
        "error: AgentNotFound: Agent demo/forecast not found; found demo/weather\n"
    )


def test_a_malformed_case_is_a_clear_error_naming_the_field(tmp_path: Path) -> None:
    obj = example()
    obj["spec"]["cases"][1]["checks"][0] = {"maxTurns": 0}
    path = written(tmp_path, obj)
    run = eval_command(path, "--mock")
    assert run.returncode == 2
    assert run.stderr.startswith(f"error: {path}: invalid AgentEvaluation: spec.cases[1].checks[0]")
    assert "Traceback" not in run.stderr


def test_a_case_naming_a_tool_the_agent_lacks_is_refused_before_anything_starts(
    tmp_path: Path,
) -> None:
    obj = example()
    obj["spec"]["cases"][0]["checks"].append({"toolNotCalled": "delete_city"})
    run = eval_command(written(tmp_path, obj), "--mock")
    assert run.returncode == 2
    assert run.stderr == (
        "error: InvalidEvaluation: spec.cases[0].checks[6].toolNotCalled:"
        " Agent weather has no tool delete_city\n"
    )


def test_a_real_model_without_its_key_says_which_variable_to_set() -> None:
    run = eval_command(EVALUATION)
    assert run.returncode == 2
    assert "$MISTRAL_SECRETS_APIKEY, which is not set (or use --mock)" in run.stderr


def test_a_file_that_is_not_there_is_a_clear_error(tmp_path: Path) -> None:
    run = eval_command(tmp_path / "missing.yaml", "--mock")
    assert run.returncode == 2
    assert run.stderr.startswith("error: [Errno 2] No such file or directory")


@pytest.mark.slow
def test_judge_checks_pass_and_fail_on_the_scripted_mock_judges_score(tmp_path: Path) -> None:
    obj = example()
    obj["spec"]["judge"] = {"name": "judge-large"}  # no endpoint: with --mock, the mock
    rubric = {"judge": {"rubric": "Does it name the city?", "threshold": 0.7}}
    obj["spec"]["cases"][0]["checks"] = [{"contains": "sunny"}, rubric]
    obj["spec"]["cases"][1]["checks"] = [rubric]
    agent_turns = [
        {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]},
        {"content": "It is sunny in Paris."},
    ]
    script = [
        *agent_turns,
        {"json": {"score": 0.9, "reason": "names Paris"}},
        *agent_turns,
        {"json": {"score": 0.2, "reason": "names the wrong city"}},
    ]
    script_path = tmp_path / "script.json"
    script_path.write_text(json.dumps(script))
    run = eval_command(
        written(tmp_path, obj), "--mock", "--mock-script", str(script_path), "--output", "json"
    )
    assert run.returncode == 1, run.stderr
    results = json.loads(run.stdout)["results"]
    assert [(r["passed"], r["reason"]) for r in results] == [
        (True, ""),
        (False, "the judge scored 0.2, below 0.7: names the wrong city"),
    ]


def test_a_mock_script_without_the_mock_is_refused(tmp_path: Path) -> None:
    run = eval_command(EVALUATION, "--mock-script", str(tmp_path / "script.json"))
    assert run.returncode == 2
    assert run.stderr == "error: --mock-script scripts the mock model: it needs --mock\n"
