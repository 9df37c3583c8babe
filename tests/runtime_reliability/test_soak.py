"""A soak in the suite: 1,500 requests with 5% model faults and 5% tool faults.

The same soak as `benchmarks/runtime_soak.py` (10,000 requests, figures in
docs/reliability.md), smaller: `agent-runtime serve` as a process on 127.0.0.1 against a fake
model and a tool server failing at random (seeded, so every run injects the same faults).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.runtime_soak import SoakReport, SoakSettings, run_soak

#: A sanity bound, not a measurement: after the warm-up the RSS must not grow past this.
RSS_GROWTH_BOUND_BYTES = 64 * 1024 * 1024
SETTINGS = SoakSettings(requests=1_500, concurrency=16, warmup=300)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> SoakReport:
    return run_soak(SETTINGS, Path(tmp_path_factory.mktemp("soak")))


def test_faults_were_injected_on_both_sides(report: SoakReport) -> None:
    assert report.model_faults > 0
    assert report.tool_faults > 0


def test_every_request_is_answered_or_refused_with_a_code(report: SoakReport) -> None:
    assert report.sent == SETTINGS.requests
    assert report.unanswered == []
    assert sum(report.by_status.values()) == SETTINGS.requests
    assert set(report.by_status) <= {200, 502, 504}


def test_requests_counted_by_status_add_up_to_the_requests_sent(report: SoakReport) -> None:
    assert sum(report.metric_requests.values()) == SETTINGS.requests
    assert report.metric_requests == {str(s): float(n) for s, n in report.by_status.items()}


def test_tool_outcomes_add_up_to_the_tool_results_the_model_was_given(
    report: SoakReport,
) -> None:
    assert report.tool_results > 0
    assert sum(report.metric_tool_outcomes.values()) == report.tool_results
    failed = sum(n for outcome, n in report.metric_tool_outcomes.items() if outcome != "ok")
    assert failed == report.tool_errors
    assert failed >= report.tool_faults > 0


def test_memory_stays_flat_after_the_warm_up(report: SoakReport) -> None:
    assert len(report.rss_samples) > 2
    assert report.rss_growth < RSS_GROWTH_BOUND_BYTES
