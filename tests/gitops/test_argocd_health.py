"""The Argo CD health check turns each Agent state into the health a user expects to see."""

from __future__ import annotations

import pytest

from tests.gitops.argocd_health import HEALTH_CHECK, health
from tests.gitops.samples import SAMPLES, Sample, agent, ready


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.name)
def test_health_of_each_agent_state(sample: Sample) -> None:
    status, message = health(sample.agent)
    assert status == sample.argocd
    assert message


def test_degraded_message_names_the_reason_and_the_operator_message() -> None:
    status, message = health(agent(status=ready("False", "InvalidSpec")))
    assert status == "Degraded"
    assert message == "InvalidSpec: InvalidSpec message"


def test_healthy_message_is_the_ready_message() -> None:
    assert health(agent(status=ready("True", "Available"))) == ("Healthy", "Available message")


def test_waiting_message_names_the_generation() -> None:
    status, message = health(agent(generation=7, status=ready("True", "Available")))
    assert status == "Progressing"
    assert "generation 7" in message


def test_an_unknown_failure_reason_is_degraded_rather_than_waited_on_forever() -> None:
    assert health(agent(status=ready("False", "SomethingNew")))[0] == "Degraded"


def test_a_missing_generation_is_judged_on_the_ready_condition_alone() -> None:
    body = agent(status=ready("True", "Available"))
    del body["metadata"]["generation"]
    assert health(body)[0] == "Healthy"


def test_the_check_only_returns_argo_cd_health_values() -> None:
    allowed = {"Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"}
    assert {health(sample.agent)[0] for sample in SAMPLES} <= allowed


def test_the_check_is_a_single_plain_lua_file() -> None:
    source = HEALTH_CHECK.read_text()
    assert "require" not in source  # Argo CD's sandbox loads no modules
    assert source.rstrip().endswith("return hs")
