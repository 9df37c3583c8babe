"""Every object carries the app.kubernetes.io labels, and selectors match the pods they select."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chart.rendering import RELEASE, SCENARIOS, one, render, scenario_values

RECOMMENDED = ("name", "instance", "version", "managed-by", "part-of", "component")


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.name)
def test_every_object_carries_the_recommended_labels(scenario: Path) -> None:
    for obj in render(scenario_values(scenario)):
        labels = obj["metadata"].get("labels", {})
        missing = [key for key in RECOMMENDED if f"app.kubernetes.io/{key}" not in labels]
        assert missing == [], f"{obj['kind']} {obj['metadata']['name']} lacks {missing}"
        assert labels["app.kubernetes.io/instance"] == RELEASE
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["helm.sh/chart"] == "agent-operator-0.1.0"


def test_deployment_selector_matches_its_pod_template() -> None:
    deployment = one(render(), "Deployment")
    selector = deployment["spec"]["selector"]["matchLabels"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= pod_labels.items()


def test_selector_leaves_out_the_version_so_upgrades_keep_the_same_pods_selected() -> None:
    selector = one(render(), "Deployment")["spec"]["selector"]["matchLabels"]
    assert "app.kubernetes.io/version" not in selector
    assert "helm.sh/chart" not in selector


def test_metrics_service_selects_the_operator_pod() -> None:
    objects = render()
    service = one(objects, "Service")
    pod_labels = one(objects, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()


def test_extra_pod_labels_land_on_the_pod_and_not_in_the_selector() -> None:
    deployment = one(render({"podLabels": {"team": "platform"}}), "Deployment")
    assert deployment["spec"]["template"]["metadata"]["labels"]["team"] == "platform"
    assert "team" not in deployment["spec"]["selector"]["matchLabels"]
