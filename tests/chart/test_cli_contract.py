"""The arguments the chart gives the operator are ones `agent-operator run` accepts."""

from __future__ import annotations

import pytest

from agent_operator.cli import _parser as operator_cli_parser
from tests.chart.rendering import operator_container, render


@pytest.mark.parametrize(
    "values",
    [{}, {"watch": {"namespaces": ["team-a", "team-b"]}}, {"verbose": True}],
    ids=["all-namespaces", "namespaced", "verbose"],
)
def test_operator_cli_accepts_the_chart_arguments(values: dict[str, object]) -> None:
    args = operator_container(render(values))["args"]
    parsed = operator_cli_parser().parse_args(args)
    assert parsed.command == "run"
    assert parsed.liveness == "http://0.0.0.0:8080/healthz"
    assert parsed.metrics_port == 9090


def test_listed_namespaces_reach_the_operator_as_namespaces() -> None:
    args = operator_container(render({"watch": {"namespaces": ["team-a", "team-b"]}}))["args"]
    parsed = operator_cli_parser().parse_args(args)
    assert parsed.namespaces == ["team-a", "team-b"]
    assert not parsed.all_namespaces


def test_default_reaches_the_operator_as_all_namespaces() -> None:
    parsed = operator_cli_parser().parse_args(operator_container(render())["args"])
    assert parsed.all_namespaces
    assert parsed.namespaces == []
