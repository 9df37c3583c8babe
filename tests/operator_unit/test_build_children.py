"""All children at once: apply order, shared metadata, and no owner references yet."""

from __future__ import annotations

import pytest

from agent_operator.builders import AgentMeta, build_children, referenced_secrets
from agent_operator.settings import OperatorSettings
from agent_operator.spec import SecretKeyRef
from tests.operator_unit.conftest import spec_of

FULL = {
    "replicas": 2,
    "autoscaling": {"minReplicas": 2, "maxReplicas": 4},
}


def test_children_are_applied_in_dependency_order(
    meta: AgentMeta, settings: OperatorSettings
) -> None:
    kinds = [child["kind"] for child in build_children(meta, spec_of(**FULL), settings).apply]
    assert kinds == [
        "ServiceAccount",
        "ConfigMap",
        "Service",
        "NetworkPolicy",
        "Deployment",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
    ]


def test_every_child_lives_in_the_agents_namespace_with_its_labels(
    meta: AgentMeta, settings: OperatorSettings
) -> None:
    for child in build_children(meta, spec_of(**FULL), settings).apply:
        assert child["metadata"]["namespace"] == "demo"
        assert child["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "agent-operator"


def test_children_carry_no_owner_reference_for_the_handler_to_set(
    meta: AgentMeta, settings: OperatorSettings
) -> None:
    for child in build_children(meta, spec_of(**FULL), settings).apply:
        assert "ownerReferences" not in child["metadata"]


def test_building_twice_gives_equal_children(meta: AgentMeta, settings: OperatorSettings) -> None:
    assert build_children(meta, spec_of(**FULL), settings) == build_children(
        meta, spec_of(**FULL), settings
    )


@pytest.mark.parametrize(
    "image", ["registry.local/runtime:dev", "example.com/rt@sha256:" + "0" * 64]
)
def test_the_operators_runtime_image_is_used(meta: AgentMeta, image: str) -> None:
    settings = OperatorSettings(runtime_image=image)
    deployment = build_children(meta, spec_of(), settings).apply[4]
    assert deployment["spec"]["template"]["spec"]["containers"][0]["image"] == image


def test_referenced_secrets_are_listed_once_and_sorted() -> None:
    header = {"name": "A", "valueFrom": {"secretKeyRef": {"name": "b", "key": "k"}}}
    spec = spec_of(
        model={"name": "m", "apiKeySecretRef": {"name": "z", "key": "apiKey"}},
        auth={"bearerTokenSecretRef": {"name": "b", "key": "k"}},
        tools=[
            {"name": "one", "http": {"url": "https://a.example", "headers": [header]}},
            {"name": "two", "mcp": {"url": "https://b.example", "headers": [header]}},
        ],
    )
    assert referenced_secrets(spec) == [
        SecretKeyRef(name="b", key="k"),
        SecretKeyRef(name="z", key="apiKey"),
    ]


def test_an_agent_tools_token_is_referenced_so_a_missing_one_is_reported() -> None:
    auth = {"bearerTokenSecretRef": {"name": "billing-caller", "key": "token"}}
    spec = spec_of(tools=[{"name": "b", "agent": {"name": "billing", "auth": auth}}])
    assert referenced_secrets(spec) == [SecretKeyRef(name="billing-caller", key="token")]


def test_an_agent_without_secrets_references_none() -> None:
    assert referenced_secrets(spec_of()) == []
