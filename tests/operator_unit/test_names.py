"""Child names, label values and volume names: valid for Kubernetes whatever the Agent's name."""

from __future__ import annotations

import re

import pytest

from agent_operator.builders import (
    ChildKind,
    agent_service_url,
    child_labels,
    child_name,
    label_value,
)
from agent_operator.builders.names import secret_volume_name, selector_labels

DNS_1035_LABEL = re.compile(r"[a-z]([-a-z0-9]{0,61}[a-z0-9])?")
DNS_1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?")

AWKWARD_NAMES = [
    "weather",
    "a",
    "1password",
    "9",
    "web.v2",
    "a" * 63,
    "a" * 64,
    "x" * 253,
    ".".join(["a" * 62, "b" * 62, "c" * 62, "d" * 63]),
    "0-0.0-0",
]


@pytest.mark.parametrize("name", ["weather", "a", "billing-v2", "x" * 63])
def test_an_agent_name_that_is_a_dns_label_is_kept(name: str) -> None:
    assert child_name(name, "Service") == name
    assert child_name(name, "Deployment") == name


@pytest.mark.parametrize("name", AWKWARD_NAMES)
def test_every_child_name_is_a_dns_1035_label(name: str) -> None:
    assert DNS_1035_LABEL.fullmatch(child_name(name, "Service"))


def test_all_children_of_an_agent_share_one_name() -> None:
    kinds: tuple[ChildKind, ...] = (
        "ConfigMap",
        "Deployment",
        "Service",
        "ServiceAccount",
        "NetworkPolicy",
    )
    assert len({child_name("web.v2", kind) for kind in kinds}) == 1


def test_long_agent_names_yield_valid_distinct_child_names() -> None:
    names = ["a" * 200 + suffix for suffix in ("x", "y", ".z", "-z")] + ["a" * 64, "a" * 65]
    children = [child_name(name, "Service") for name in names]
    assert len(set(children)) == len(names)
    assert all(len(child) <= 63 for child in children)


def test_names_that_differ_only_by_dots_and_dashes_do_not_collide() -> None:
    assert child_name("web.v2", "Service") != child_name("web-v2", "Service")


def test_a_shortened_name_keeps_a_readable_prefix() -> None:
    assert child_name("billing.finance", "Service").startswith("billing-finance-")


@pytest.mark.parametrize("name", AWKWARD_NAMES)
def test_the_instance_label_is_a_valid_label_value(name: str) -> None:
    assert LABEL_VALUE.fullmatch(label_value(name))
    assert len(label_value(name)) <= 63


def test_a_dotted_agent_name_is_its_own_instance_label() -> None:
    assert selector_labels("web.v2")["app.kubernetes.io/instance"] == "web.v2"


def test_children_carry_the_recommended_labels() -> None:
    assert child_labels("weather") == {
        "app.kubernetes.io/name": "agent",
        "app.kubernetes.io/instance": "weather",
        "app.kubernetes.io/component": "agent-runtime",
        "app.kubernetes.io/managed-by": "agent-operator",
        "app.kubernetes.io/part-of": "agent-operator",
    }


@pytest.mark.parametrize("secret", ["api", "mistral.secrets", "s" * 253, "x" * 57])
def test_secret_volume_names_are_dns_labels(secret: str) -> None:
    assert DNS_1123_LABEL.fullmatch(secret_volume_name(secret))


def test_secret_volume_names_of_distinct_secrets_differ() -> None:
    secrets = ["a.b", "a-b", "s" * 100, "s" * 101]
    assert len({secret_volume_name(secret) for secret in secrets}) == len(secrets)


def test_an_agent_is_reached_through_its_service_on_port_80() -> None:
    assert agent_service_url("billing", "finance") == "http://billing.finance.svc:80"


def test_the_url_of_a_dotted_agent_uses_its_service_name() -> None:
    url = agent_service_url("billing.v2", "finance")
    assert url == f"http://{child_name('billing.v2', 'Service')}.finance.svc:80"
