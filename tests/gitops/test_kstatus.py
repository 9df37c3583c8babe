"""kstatus's verdict on each Agent state: what Flux and `kubectl wait --for=condition=Ready` see."""

from __future__ import annotations

import pytest

from tests.gitops.kstatus import CURRENT, FAILED, IN_PROGRESS, compute
from tests.gitops.samples import SAMPLES, Sample, agent, ready


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.name)
def test_kstatus_of_each_agent_state(sample: Sample) -> None:
    assert compute(sample.agent) == sample.kstatus


def test_current_needs_the_generation_observed() -> None:
    assert (
        compute(agent(generation=4, status=ready("True", "Available", observed=3))) == IN_PROGRESS
    )
    assert compute(agent(generation=4, status=ready("True", "Available", 4, 4))) == CURRENT


def test_terminal_failure_is_failed_even_before_the_status_catches_up() -> None:
    assert compute(agent(generation=4, status=ready("False", "InvalidSpec", observed=4))) == FAILED


def test_stalled_and_reconciling_conditions_follow_upstream_kstatus() -> None:
    stalled = agent(status=ready("True", "Available"))
    stalled["status"]["conditions"].append({"type": "Stalled", "status": "True"})
    assert compute(stalled) == FAILED
    reconciling = agent(status=ready("True", "Available"))
    reconciling["status"]["conditions"].append({"type": "Reconciling", "status": "True"})
    assert compute(reconciling) == IN_PROGRESS


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda s: s.name)
def test_argo_cd_and_kstatus_agree_on_what_is_done(sample: Sample) -> None:
    assert (sample.argocd == "Healthy") == (sample.kstatus == CURRENT)
