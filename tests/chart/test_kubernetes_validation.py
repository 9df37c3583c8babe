"""Every object the chart renders is valid for Kubernetes, strictly (no unknown fields).

kubernetes-validate knows the built-in kinds and the CRD kind; the Prometheus Operator's kinds
(ServiceMonitor, PodMonitor, PrometheusRule) come from CRDs it has no schema for, so they are
skipped explicitly, and checked by shape in test_monitoring.py instead; so is Kopf's peering
object (kopf.dev), checked in test_high_availability.py.
"""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest

from tests.chart.rendering import SCENARIOS, render, scenario_values

# The oldest Kubernetes the chart declares (Chart.yaml kubeVersion) and the newest schemas shipped.
KUBERNETES_VERSIONS = ("1.27.0", kubernetes_validate.latest_version())
SCHEMALESS_GROUPS = frozenset({"monitoring.coreos.com", "kopf.dev"})


def is_schemaless(obj: dict[str, object]) -> bool:
    return str(obj["apiVersion"]).split("/")[0] in SCHEMALESS_GROUPS


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.name)
def test_rendered_objects_validate_strictly(scenario: Path, version: str) -> None:
    objects = [obj for obj in render(scenario_values(scenario)) if not is_schemaless(obj)]
    assert objects
    for obj in objects:
        kubernetes_validate.validate(obj, version, strict=True)


def test_only_prometheus_operator_kinds_are_skipped() -> None:
    all_on = {
        "monitoring": {
            name: {"enabled": True}
            for name in ("serviceMonitor", "podMonitor", "prometheusRule", "grafanaDashboard")
        }
    }
    skipped = {obj["kind"] for obj in render(all_on) if is_schemaless(obj)}
    assert skipped == {"ServiceMonitor", "PodMonitor", "PrometheusRule"}


def test_an_invalid_object_would_be_caught() -> None:
    deployment = next(obj for obj in render() if obj["kind"] == "Deployment")
    deployment["spec"]["strategy"]["surprise"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[0], strict=True)
