"""A spec the CRD lets through but the operator cannot use (an older or hand-edited CRD):
reported on the Agent as Ready=False InvalidSpec naming the field, with a Warning Event; the
operator keeps running and the other Agents are not held back."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.emulator import EmulatorServer
from tests.operator_e2e.agents import NAMESPACE, Agents, agent
from tests.operator_e2e.operator import OperatorProcess, wait_for

from .checks import assert_no_traceback

CRD = Path(__file__).parents[2] / "crds" / "agent.yaml"


def permissive(crd: dict[str, Any]) -> dict[str, Any]:
    """The Agent CRD with `spec` left unchecked: any object is stored as sent."""
    loose = copy.deepcopy(crd)
    for version in loose["spec"]["versions"]:
        properties = version["schema"]["openAPIV3Schema"]["properties"]
        properties["spec"] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    return loose


@pytest.fixture
def loose_operator(
    cluster: EmulatorServer, k8s_kubeconfig: Path, tmp_path: Path
) -> Iterator[OperatorProcess]:
    """The operator, started after the permissive CRD replaced the real one."""
    cluster.install(permissive(yaml.safe_load(CRD.read_text())))
    process = OperatorProcess(k8s_kubeconfig, tmp_path / "operator.log").start()
    try:
        yield process
    finally:
        process.stop()
        print(process.log[-20000:])  # shown by pytest only when the test failed


def test_a_spec_the_operator_cannot_parse_is_reported_and_the_others_converge(
    loose_operator: OperatorProcess, agents: Agents, cluster: EmulatorServer
) -> None:
    agents.create(agent("negative", replicas=-3))
    agents.create(agent("typo", modle={"name": "x"}))
    for name in ("fine-1", "fine-2"):
        agents.create(agent(name))

    for name in ("fine-1", "fine-2"):
        agents.wait_ready(name)
    negative = agents.wait_condition("negative", "Ready", "False", "InvalidSpec")
    typo = agents.wait_condition("typo", "Ready", "False", "InvalidSpec")
    assert "spec.replicas" in negative["message"]
    assert "spec.modle" in typo["message"]

    def warnings() -> set[str]:
        return {
            e["involvedObject"]["name"]
            for e in cluster.list_objects("events", NAMESPACE)
            if e.get("type") == "Warning" and e.get("reason") == "InvalidSpec"
        }

    assert wait_for(lambda: warnings() >= {"negative", "typo"}, what="two Warning Events")
    assert agents.child("negative", "Deployment") is None
    assert loose_operator.process is not None
    assert loose_operator.process.poll() is None
    assert_no_traceback(loose_operator.log)


def test_fixing_an_invalid_spec_makes_the_agent_ready(
    loose_operator: OperatorProcess, agents: Agents
) -> None:
    agents.create(agent("negative", replicas=-3))
    agents.wait_condition("negative", "Ready", "False", "InvalidSpec")

    agents.patch("negative", {"spec": {"replicas": 1}})

    agents.wait_ready("negative")
