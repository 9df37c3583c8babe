"""The operator's log says what it did, not every event it watched."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.emulator import EmulatorServer

from .agents import ALWAYS, NAMESPACE, Agents, agent
from .operator import OperatorProcess, wait_for

WATCHING = ("Handler 'remember_agent' succeeded.",)


@pytest.fixture
def quiet_operator(
    cluster: EmulatorServer, k8s_kubeconfig: Path, tmp_path: Path
) -> Iterator[OperatorProcess]:
    """`agent-operator run` at its default level, as the chart runs it."""
    process = OperatorProcess(k8s_kubeconfig, tmp_path / "operator.log", verbose=False).start()
    try:
        yield process
    finally:
        process.stop()
        print(process.log[-20000:])  # shown by pytest only when the test failed


def create_one(operator: OperatorProcess, agents: Agents) -> str:
    agents.create(agent("weather"))
    agents.wait_ready("weather")
    wait_for(lambda: "Creation is processed" in operator.log, what="the creation to be logged")
    return operator.log


def test_by_default_each_child_written_is_one_line_and_watched_events_are_not_logged(
    quiet_operator: OperatorProcess, agents: Agents
) -> None:
    log = create_one(quiet_operator, agents)
    for kind in ALWAYS:
        assert log.count(f"Applied {kind} {NAMESPACE}/weather") == 1
    for line in WATCHING:
        assert line not in log


def test_verbose_logs_every_watched_event_too(operator: OperatorProcess, agents: Agents) -> None:
    log = create_one(operator, agents)
    for line in WATCHING:
        assert line in log


def test_log_format_json_writes_one_object_per_line_with_the_runtimes_fields(
    cluster: EmulatorServer, k8s_kubeconfig: Path, tmp_path: Path, agents: Agents
) -> None:
    process = OperatorProcess(
        k8s_kubeconfig, tmp_path / "operator.log", verbose=False, args=("--log-format", "json")
    ).start()
    try:
        create_one(process, agents)
    finally:
        process.stop()
    lines = [json.loads(line) for line in process.log.splitlines() if line.strip()]
    assert lines
    for line in lines:
        assert {"time", "level", "logger", "message"} <= line.keys()
    applied = [line for line in lines if line["message"] == f"Applied Service {NAMESPACE}/weather"]
    assert len(applied) == 1
    assert applied[0]["level"] == "info"
    processed = [line for line in lines if line["message"].startswith("Creation is processed")]
    assert processed[0]["object"] == {"kind": "Agent", "namespace": NAMESPACE, "name": "weather"}


def test_log_format_text_writes_plain_lines_for_a_terminal(
    cluster: EmulatorServer, k8s_kubeconfig: Path, tmp_path: Path, agents: Agents
) -> None:
    process = OperatorProcess(
        k8s_kubeconfig, tmp_path / "operator.log", verbose=False, args=("--log-format", "text")
    ).start()
    try:
        log = create_one(process, agents)
    finally:
        process.stop()
    assert f"Applied Service {NAMESPACE}/weather" in log
    assert not any(line.startswith("{") for line in log.splitlines())
