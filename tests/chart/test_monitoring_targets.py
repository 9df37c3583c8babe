"""The chart's PodMonitor finds the pods the operator really builds (`agent-operator render`)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from agent_operator.cli import main as operator_cli
from tests.chart.rendering import REPO_ROOT, one, render

PODMONITOR_ON = {"monitoring": {"podMonitor": {"enabled": True}}}


def rendered_agent_deployment(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert operator_cli(["render", str(REPO_ROOT / "examples" / "hello.yaml")]) == 0
    children = [doc for doc in yaml.safe_load_all(capsys.readouterr().out) if doc]
    return one(children, "Deployment")


def test_pod_monitor_selects_the_agent_pods(capsys: pytest.CaptureFixture[str]) -> None:
    pod_labels = rendered_agent_deployment(capsys)["spec"]["template"]["metadata"]["labels"]
    selector = one(render(PODMONITOR_ON), "PodMonitor")["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod_labels.items()


def test_pod_monitor_scrapes_a_port_the_agent_pods_expose(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pod = rendered_agent_deployment(capsys)["spec"]["template"]
    ports = {p["name"] for c in pod["spec"]["containers"] for p in c.get("ports", [])}
    endpoint = one(render(PODMONITOR_ON), "PodMonitor")["spec"]["podMetricsEndpoints"][0]
    assert endpoint["port"] in ports


def test_the_agent_label_comes_from_a_label_the_pods_carry(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pod_labels = rendered_agent_deployment(capsys)["spec"]["template"]["metadata"]["labels"]
    endpoint = one(render(PODMONITOR_ON), "PodMonitor")["spec"]["podMetricsEndpoints"][0]
    source = endpoint["relabelings"][0]["sourceLabels"][0]
    prefix = "__meta_kubernetes_pod_label_"
    sanitized = {key.replace(".", "_").replace("/", "_").replace("-", "_") for key in pod_labels}
    assert source.removeprefix(prefix) in sanitized
    assert pod_labels["app.kubernetes.io/instance"] == "hello"
