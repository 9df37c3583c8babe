"""The Service, the ServiceAccount, the PodDisruptionBudget and the HorizontalPodAutoscaler."""

from __future__ import annotations

from typing import Any

import pytest

from agent_operator.builders import AgentMeta, ChildKey, build_children
from agent_operator.settings import OperatorSettings
from tests.operator_unit.conftest import BuildChildren, spec_of


def test_the_service_maps_port_80_to_the_runtime(children: BuildChildren) -> None:
    service = children()["Service"]["spec"]
    assert service["ports"] == [
        {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}
    ]
    assert service["selector"] == {
        "app.kubernetes.io/name": "agent",
        "app.kubernetes.io/instance": "weather",
    }


def test_the_service_account_mounts_no_token(children: BuildChildren) -> None:
    assert children()["ServiceAccount"]["automountServiceAccountToken"] is False


@pytest.mark.parametrize(
    ("fields", "wanted"),
    [
        ({}, False),
        ({"replicas": 2}, True),
        ({"replicas": 0}, False),
        ({"autoscaling": {"maxReplicas": 5}}, False),
        ({"autoscaling": {"minReplicas": 2, "maxReplicas": 5}}, True),
        ({"replicas": 4, "autoscaling": {"minReplicas": 1, "maxReplicas": 5}}, False),
    ],
)
def test_a_disruption_budget_exists_only_when_several_pods_always_run(
    children: BuildChildren, fields: dict[str, Any], wanted: bool
) -> None:
    assert ("PodDisruptionBudget" in children(**fields)) is wanted


def test_the_disruption_budget_lets_one_pod_go_at_a_time(children: BuildChildren) -> None:
    budget = children(replicas=3)["PodDisruptionBudget"]["spec"]
    assert budget["maxUnavailable"] == 1
    assert budget["selector"]["matchLabels"]["app.kubernetes.io/instance"] == "weather"


def test_the_autoscaler_scales_the_deployment_on_cpu(children: BuildChildren) -> None:
    autoscaler = children(
        autoscaling={"minReplicas": 2, "maxReplicas": 7, "targetCPUUtilizationPercentage": 65}
    )["HorizontalPodAutoscaler"]
    assert autoscaler["apiVersion"] == "autoscaling/v2"
    spec = autoscaler["spec"]
    assert spec["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "weather",
    }
    assert (spec["minReplicas"], spec["maxReplicas"]) == (2, 7)
    assert spec["metrics"][0]["resource"]["target"]["averageUtilization"] == 65


def test_no_autoscaler_without_autoscaling(children: BuildChildren) -> None:
    assert "HorizontalPodAutoscaler" not in children(replicas=3)


def test_unwanted_optional_children_are_listed_as_absent(
    meta: AgentMeta, settings: OperatorSettings
) -> None:
    desired = build_children(meta, spec_of(), settings)
    assert desired.absent == [
        ChildKey("policy/v1", "PodDisruptionBudget", "demo", "weather"),
        ChildKey("autoscaling/v2", "HorizontalPodAutoscaler", "demo", "weather"),
    ]


def test_a_wanted_child_is_never_also_absent(meta: AgentMeta, settings: OperatorSettings) -> None:
    desired = build_children(
        meta, spec_of(autoscaling={"minReplicas": 2, "maxReplicas": 3}), settings
    )
    applied = {(child["kind"], child["metadata"]["name"]) for child in desired.apply}
    assert not {(key.kind, key.name) for key in desired.absent} & applied
    assert desired.absent == []
