"""Object names follow the release, stay within Kubernetes' 63-character limit, and can be set."""

from __future__ import annotations

from tests.chart.rendering import one, render

# Helm allows release names up to 53 characters; with "-agent-operator" that makes 68.
LONG_RELEASE = "r" * 20 + "-" + "e" * 32
# An override whose 63rd character is a dash: the cut must not leave it at the end.
LONG_OVERRIDE = "o" * 62 + "-tail"


def test_fullname_is_release_and_chart_name() -> None:
    assert one(render(release="prod"), "Deployment")["metadata"]["name"] == "prod-agent-operator"


def test_release_named_after_the_chart_is_not_repeated() -> None:
    deployment = one(render(release="agent-operator"), "Deployment")
    assert deployment["metadata"]["name"] == "agent-operator"


def test_long_release_names_are_cut_to_63_characters_without_a_trailing_dash() -> None:
    for obj in render(release=LONG_RELEASE):
        name = obj["metadata"]["name"]
        assert len(name) <= 63, name
        assert not name.endswith("-"), name
    deployment = one(render(release=LONG_RELEASE), "Deployment")
    assert deployment["metadata"]["name"].startswith(LONG_RELEASE)


def test_metrics_service_name_keeps_its_suffix_when_the_fullname_is_cut() -> None:
    service = one(render(release=LONG_RELEASE), "Service")
    assert service["metadata"]["name"].endswith("-metrics")
    assert len(service["metadata"]["name"]) <= 63


def test_fullname_override_names_every_namespaced_object() -> None:
    objects = render({"fullnameOverride": "ops"})
    assert one(objects, "Deployment")["metadata"]["name"] == "ops"
    assert one(objects, "ServiceAccount")["metadata"]["name"] == "ops"
    assert one(objects, "ClusterRole")["metadata"]["name"] == "ops"


def test_a_cut_that_ends_on_a_dash_drops_the_dash() -> None:
    deployment = one(render({"fullnameOverride": LONG_OVERRIDE}), "Deployment")
    assert deployment["metadata"]["name"] == "o" * 62
