"""The generated CustomResourceDefinition: committed, structural, and accepted by Kubernetes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import cel
import kubernetes_validate
import pytest

from agent_operator.crd import build_crd, crd_yaml
from tests.operator_unit.crd_validation import CRD_PATH

#: Keywords a structural schema must not contain (or that pydantic leaks and the server refuses).
FORBIDDEN_KEYWORDS = ("$ref", "$defs", "definitions", "anyOf", "oneOf", "allOf", "title", "const")


def _nodes(schema: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema node under `schema` with its path, the root included."""
    yield path or "<root>", schema
    for name, sub in schema.get("properties", {}).items():
        yield from _nodes(sub, f"{path}.{name}")
    for keyword in ("items", "additionalProperties"):
        if isinstance(schema.get(keyword), dict):
            yield from _nodes(schema[keyword], f"{path}[{keyword}]")


def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = build_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def _spec_nodes() -> list[tuple[str, dict[str, Any]]]:
    return list(_nodes(_schema()["properties"]["spec"], ".spec"))


def test_the_committed_crd_is_what_the_generator_writes() -> None:
    committed = CRD_PATH.read_text(encoding="utf-8")
    assert committed == crd_yaml(), "crds/agent.yaml is stale: run `make crd`"


def test_the_committed_crd_repeats_shared_rules_instead_of_aliasing_them() -> None:
    assert "&id" not in CRD_PATH.read_text(encoding="utf-8")


def test_kubernetes_accepts_the_crd_object() -> None:
    kubernetes_validate.validate(build_crd(), desired_version="1.31", strict=True)


@pytest.mark.parametrize(("path", "node"), list(_nodes(_schema())))
def test_every_schema_node_is_typed(path: str, node: dict[str, Any]) -> None:
    untyped_allowed = ("x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string")
    assert "type" in node or any(node.get(k) for k in untyped_allowed), path


@pytest.mark.parametrize(("path", "node"), list(_nodes(_schema())))
def test_no_schema_node_uses_a_keyword_a_structural_schema_forbids(
    path: str, node: dict[str, Any]
) -> None:
    assert not set(FORBIDDEN_KEYWORDS) & set(node), path
    assert node.get("additionalProperties", {}) is not False, path
    assert "default" not in node or node["default"] is not None, path


@pytest.mark.parametrize(("path", "node"), _spec_nodes())
def test_every_spec_field_is_described(path: str, node: dict[str, Any]) -> None:
    if not path.endswith(("[items]", "[additionalProperties]")):
        assert node.get("description"), path


@pytest.mark.parametrize(("path", "node"), _spec_nodes())
def test_every_spec_list_and_string_is_bounded_for_cel_cost(
    path: str, node: dict[str, Any]
) -> None:
    if node.get("type") == "array":
        assert "maxItems" in node, path
    if node.get("type") == "string":
        assert "maxLength" in node or "enum" in node, path


def test_every_cel_rule_compiles_and_explains_itself() -> None:
    rules = [
        rule for _, node in _nodes(_schema()) for rule in node.get("x-kubernetes-validations", [])
    ]
    assert len(rules) >= 6
    for rule in rules:
        cel.compile(rule["rule"])
        assert rule["message"]


def test_tools_are_a_map_keyed_by_name_so_apply_merges_them() -> None:
    tools = _schema()["properties"]["spec"]["properties"]["tools"]
    assert tools["x-kubernetes-list-type"] == "map"
    assert tools["x-kubernetes-list-map-keys"] == ["name"]


def test_conditions_are_a_map_keyed_by_type() -> None:
    conditions = _schema()["properties"]["status"]["properties"]["conditions"]
    assert conditions["x-kubernetes-list-map-keys"] == ["type"]


def test_the_status_keeps_kopf_progress_records() -> None:
    assert _schema()["properties"]["status"]["x-kubernetes-preserve-unknown-fields"] is True


def test_the_scale_subresource_follows_replicas_and_the_selector() -> None:
    version = build_crd()["spec"]["versions"][0]
    assert version["subresources"]["status"] == {}
    assert version["subresources"]["scale"] == {
        "specReplicasPath": ".spec.replicas",
        "statusReplicasPath": ".status.replicas",
        "labelSelectorPath": ".status.selector",
    }


def test_kubectl_get_shows_model_replicas_readiness_and_age() -> None:
    columns = build_crd()["spec"]["versions"][0]["additionalPrinterColumns"]
    by_name = {column["name"]: column["jsonPath"] for column in columns}
    assert by_name["Model"] == ".spec.model.name"
    assert by_name["Replicas"] == ".spec.replicas"
    assert by_name["Ready"] == '.status.conditions[?(@.type=="Ready")].status'
    assert by_name["Age"] == ".metadata.creationTimestamp"


def test_the_resource_is_named_for_kubectl() -> None:
    crd = build_crd()
    names = crd["spec"]["names"]
    assert crd["metadata"]["name"] == "agents.agent-operator.io"
    assert (names["kind"], names["plural"], names["shortNames"]) == ("Agent", "agents", ["ag"])
    assert names["categories"] == ["agent-operator"]  # `kubectl get agent-operator`
    assert "all" not in names["categories"]  # `kubectl delete all --all` leaves Agents alone
    assert crd["spec"]["scope"] == "Namespaced"
