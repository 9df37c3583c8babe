"""The chart renders and lints cleanly with its defaults and with every scenario in ci/."""

from __future__ import annotations

from pathlib import Path

import helm_python
import pytest

from tests.chart.rendering import CHART_DIR, SCENARIOS, render, scenario_values

SEVERITY_WARNING = 2


def test_every_scenario_named_in_the_brief_exists() -> None:
    names = {path.name.removesuffix("-values.yaml") for path in SCENARIOS}
    assert {"default", "namespaced", "monitoring-enabled", "crds-disabled", "custom-image"} <= names


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.name)
def test_scenario_renders_a_deployment_and_its_service_account(scenario: Path) -> None:
    objects = render(scenario_values(scenario))
    kinds = [obj["kind"] for obj in objects]
    assert kinds.count("Deployment") == 1
    assert "Service" in kinds


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.name)
def test_lint_reports_no_error_or_warning(scenario: Path) -> None:
    report = helm_python.lint(CHART_DIR, scenario_values(scenario), strict=True)
    serious = [m for m in report["messages"] if m["severity"] >= SEVERITY_WARNING]
    assert report["errors"] == []
    assert serious == []


def test_lint_at_the_oldest_supported_kubernetes_version_passes() -> None:
    report = helm_python.lint(CHART_DIR, strict=True, kube_version="v1.27.0")
    assert report["errors"] == []


def test_every_object_is_placed_in_the_release_namespace_unless_cluster_scoped() -> None:
    cluster_scoped = {"CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"}
    for obj in render(namespace="agents-system"):
        if obj["kind"] in cluster_scoped:
            assert "namespace" not in obj["metadata"]
        else:
            assert obj["metadata"]["namespace"] == "agents-system", obj["kind"]
