"""The permissions the chart grants, flattened to (apiGroup, resource, verb) triples.

`chart_rbac_rules(values)` is the one reading of the chart's RBAC: the tests of the chart use it,
and a test that records the API calls the operator really makes can compare against it.
"""

from __future__ import annotations

from typing import Any

from tests.chart.rendering import render

Permission = tuple[str, str, str]
ROLE_KINDS = frozenset({"Role", "ClusterRole"})
#: Every kind of child an Agent can have, as (API group, resource).
CHILD_RESOURCES: tuple[tuple[str, str], ...] = (
    ("", "configmaps"),
    ("", "services"),
    ("", "serviceaccounts"),
    ("apps", "deployments"),
    ("networking.k8s.io", "networkpolicies"),
    ("policy", "poddisruptionbudgets"),
    ("autoscaling", "horizontalpodautoscalers"),
)


def rules_of(role: dict[str, Any]) -> set[Permission]:
    """The (apiGroup, resource, verb) triples of one Role or ClusterRole."""
    return {
        (group, resource, verb)
        for rule in role.get("rules") or []
        for group in rule.get("apiGroups") or []
        for resource in rule.get("resources") or []
        for verb in rule.get("verbs") or []
    }


def chart_rbac_rules(values: dict[str, Any] | None = None) -> set[Permission]:
    """Every (apiGroup, resource, verb) the chart grants with these values, over all its roles."""
    granted: set[Permission] = set()
    for obj in render(values):
        if obj["kind"] in ROLE_KINDS:
            granted |= rules_of(obj)
    return granted
