"""Several operator replicas: Kopf peering in place of standalone, a disruption budget, RBAC."""

from __future__ import annotations

from typing import Any

import helm_python
import pytest

from tests.chart.rbac_rules import chart_rbac_rules
from tests.chart.rendering import NAMESPACE, of_kind, one, operator_container, render

HA: dict[str, Any] = {"replicaCount": 3}
HA_NAMESPACED: dict[str, Any] = {**HA, "watch": {"namespaces": ["team-a", "team-b"]}}
PEERING_VERBS = {"list", "watch", "patch"}


def env_of(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        e["name"]: e.get("value", e.get("valueFrom")) for e in operator_container(objects)["env"]
    }


def test_one_replica_runs_standalone_with_no_peering_and_no_budget() -> None:
    objects = render()
    assert one(objects, "Deployment")["spec"]["replicas"] == 1
    assert not [name for name in env_of(objects) if name.startswith("AGENT_OPERATOR_PEERING")]
    assert of_kind(objects, "ClusterKopfPeering") == of_kind(objects, "KopfPeering") == []
    assert of_kind(objects, "PodDisruptionBudget") == []
    assert not {p for p in chart_rbac_rules({}) if p[0] == "kopf.dev"}


def test_several_replicas_share_one_cluster_peering_object_named_after_the_release() -> None:
    objects = render(HA)
    deployment = one(objects, "Deployment")
    assert deployment["spec"]["replicas"] == 3
    peering = one(objects, "ClusterKopfPeering")
    assert peering["apiVersion"] == "kopf.dev/v1"
    env = env_of(objects)
    assert (
        env["AGENT_OPERATOR_PEERING_NAME"] == peering["metadata"]["name"] == "demo-agent-operator"
    )
    assert env["AGENT_OPERATOR_PEERING_LIFETIME_SECONDS"] == "20"
    assert env["POD_ID"] == {"fieldRef": {"fieldPath": "metadata.name"}}  # Kopf's peer identity
    # A standby exists, so an upgrade replaces the replicas one by one.
    assert deployment["spec"]["strategy"]["type"] == "RollingUpdate"


def test_a_namespaced_operator_has_a_peering_object_in_each_served_namespace() -> None:
    objects = render(HA_NAMESPACED)
    assert of_kind(objects, "ClusterKopfPeering") == []
    peerings = of_kind(objects, "KopfPeering")
    assert sorted(p["metadata"]["namespace"] for p in peerings) == ["team-a", "team-b"]


def test_peering_rbac_is_exactly_what_kopf_uses_at_the_scope_it_uses() -> None:
    cluster_wide = {p for p in chart_rbac_rules(HA) if p[0] == "kopf.dev"}
    assert cluster_wide == {("kopf.dev", "clusterkopfpeerings", v) for v in PEERING_VERBS}
    namespaced = {p for p in chart_rbac_rules(HA_NAMESPACED) if p[0] == "kopf.dev"}
    assert namespaced == {("kopf.dev", "kopfpeerings", v) for v in PEERING_VERBS}
    for role in of_kind(render(HA_NAMESPACED), "Role"):
        assert role["metadata"]["namespace"] in {"team-a", "team-b"}


def test_several_replicas_get_a_disruption_budget_selecting_the_operator_pods() -> None:
    objects = render(HA)
    budget = one(objects, "PodDisruptionBudget")
    assert budget["metadata"]["namespace"] == NAMESPACE
    assert budget["spec"]["maxUnavailable"] == 1
    pod_labels = one(objects, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert budget["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()


def test_peering_name_lifetime_and_budget_can_be_set() -> None:
    objects = render(
        {
            **HA,
            "peering": {"name": "ops", "lifetimeSeconds": 12},
            "podDisruptionBudget": {"maxUnavailable": "50%"},
        }
    )
    assert one(objects, "ClusterKopfPeering")["metadata"]["name"] == "ops"
    assert env_of(objects)["AGENT_OPERATOR_PEERING_LIFETIME_SECONDS"] == "12"
    assert one(objects, "PodDisruptionBudget")["spec"]["maxUnavailable"] == "50%"


@pytest.mark.parametrize(
    "values",
    [{"replicaCount": 0}, {"peering": {"lifetimeSeconds": 2}}, {"peering": {"leaseName": "x"}}],
)
def test_the_schema_refuses_a_bad_high_availability_value(values: dict[str, Any]) -> None:
    with pytest.raises(helm_python.HelmValuesError):
        render(values)
