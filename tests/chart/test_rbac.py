"""The chart's RBAC: least privilege, exactly the declared permissions, scoped as the values say."""

from __future__ import annotations

from typing import Any

from tests.chart.rbac_rules import CHILD_RESOURCES, Permission, chart_rbac_rules, rules_of
from tests.chart.rendering import NAMESPACE, of_kind, one, render

NAMESPACED = {"watch": {"namespaces": ["team-a", "team-b"]}}
CHILD_VERBS = ("get", "create", "patch")

# What the operator may do in every namespace it serves.
SERVED_NAMESPACE_PERMISSIONS: set[Permission] = {
    # Framework: Kopf watches Agents, patches them for finalizers/annotations, posts events.
    ("agent-operator.io", "agents", "list"),
    ("agent-operator.io", "agents", "watch"),
    ("agent-operator.io", "agents", "patch"),
    ("", "events", "create"),
    # Application: status, children, Secret existence.
    ("agent-operator.io", "agents/status", "patch"),
    *{(group, resource, verb) for group, resource in CHILD_RESOURCES for verb in CHILD_VERBS},
    # Only the optional children are deleted by the operator; the rest go with their Agent.
    ("policy", "poddisruptionbudgets", "delete"),
    ("autoscaling", "horizontalpodautoscalers", "delete"),
    # blockOwnerDeletion on the children's owner references (OwnerReferencesPermissionEnforcement).
    ("agent-operator.io", "agents/finalizers", "update"),
    # Every kind of child is listed and watched, through the managed label.
    *{(group, resource, verb) for group, resource in CHILD_RESOURCES for verb in ("list", "watch")},
    ("", "secrets", "get"),
}
# What only a cluster-wide operator gets: noticing CRD changes at run time.
CLUSTER_ONLY_PERMISSIONS: set[Permission] = {
    ("apiextensions.k8s.io", "customresourcedefinitions", "list"),
    ("apiextensions.k8s.io", "customresourcedefinitions", "watch"),
}
SECRET_WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection"}


def all_rules(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        rule for obj in objects if obj["kind"] in {"Role", "ClusterRole"} for rule in obj["rules"]
    ]


def test_cluster_wide_operator_gets_exactly_the_declared_permissions() -> None:
    assert chart_rbac_rules({}) == SERVED_NAMESPACE_PERMISSIONS | CLUSTER_ONLY_PERMISSIONS


def test_namespaced_operator_gets_exactly_the_declared_permissions() -> None:
    assert chart_rbac_rules(NAMESPACED) == SERVED_NAMESPACE_PERMISSIONS


def test_no_rule_uses_a_wildcard() -> None:
    for values in ({}, NAMESPACED):
        for rule in all_rules(render(values)):
            for field in ("apiGroups", "resources", "verbs"):
                assert "*" not in rule[field], rule
            assert "resourceNames" not in rule or "*" not in rule["resourceNames"]
            assert "nonResourceURLs" not in rule


def test_secrets_are_never_written() -> None:
    for values in ({}, NAMESPACED):
        secret_verbs = {
            verb for _, resource, verb in chart_rbac_rules(values) if resource == "secrets"
        }
        assert secret_verbs == {"get"}
        assert not secret_verbs & SECRET_WRITE_VERBS


def test_no_permission_to_escalate_or_to_read_every_secret() -> None:
    granted = chart_rbac_rules({})
    verbs = {verb for _, _, verb in granted}
    assert not verbs & {"escalate", "bind", "impersonate"}
    assert ("", "secrets", "list") not in granted
    assert ("", "secrets", "watch") not in granted
    assert not {resource for _, resource, _ in granted} & {"roles", "clusterroles", "pods/exec"}


def test_every_rule_carries_a_comment_saying_why() -> None:
    from tests.chart.rendering import CHART_DIR

    source = (CHART_DIR / "templates" / "_rbac.tpl").read_text().splitlines()
    rule_lines = [i for i, line in enumerate(source) if line.lstrip().startswith("- apiGroups:")]
    assert rule_lines
    for index in rule_lines:
        preceding = source[index - 1].strip()
        # Either a comment of its own or continuing a commented group of rules.
        assert preceding.startswith(("#", "verbs:")), source[index]
    comments = [line.strip() for line in source if line.strip().startswith("# ")]
    assert any(c.startswith("# Framework:") for c in comments)
    assert any(c.startswith("# Application:") for c in comments)


def test_cluster_wide_mode_uses_a_cluster_role_bound_to_the_service_account() -> None:
    objects = render()
    assert of_kind(objects, "Role") == []
    role = one(objects, "ClusterRole")
    binding = one(objects, "ClusterRoleBinding")
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": role["metadata"]["name"],
    }
    account = one(objects, "ServiceAccount")["metadata"]
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": account["name"], "namespace": NAMESPACE}
    ]


def test_namespaced_mode_has_a_role_per_namespace_and_no_cluster_role() -> None:
    objects = render(NAMESPACED)
    assert of_kind(objects, "ClusterRole") == []
    assert of_kind(objects, "ClusterRoleBinding") == []
    roles = of_kind(objects, "Role")
    bindings = of_kind(objects, "RoleBinding")
    assert sorted(role["metadata"]["namespace"] for role in roles) == ["team-a", "team-b"]
    assert sorted(b["metadata"]["namespace"] for b in bindings) == ["team-a", "team-b"]
    for binding in bindings:
        assert binding["roleRef"]["kind"] == "Role"
        assert binding["subjects"][0]["namespace"] == NAMESPACE


def test_each_namespace_gets_the_same_rules() -> None:
    roles = of_kind(render(NAMESPACED), "Role")
    assert rules_of(roles[0]) == rules_of(roles[1]) == SERVED_NAMESPACE_PERMISSIONS


def test_rbac_can_be_left_to_the_cluster_administrator() -> None:
    objects = render({"rbac": {"create": False}})
    kinds = {obj["kind"] for obj in objects}
    assert not kinds & {"Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"}
    assert chart_rbac_rules({"rbac": {"create": False}}) == set()
