"""The CRDs ship in the chart as a template: upgraded with the release, kept on uninstall, and
identical to the repository's crds/ (`make chart-crd` copies them)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from tests.chart.rendering import CHART_DIR, REPO_ROOT, Manifest, of_kind, render

KEEP = "helm.sh/resource-policy"
REPOSITORY_CRD = REPO_ROOT / "crds" / "agent.yaml"
#: Every CRD file of the repository; the chart ships a copy of each.
CRD_FILES = ("agent.yaml", "agentevaluation.yaml")


def crd_named(objects: list[Manifest], name: str) -> Manifest:
    """The one rendered CRD of this name."""
    found = [
        o for o in of_kind(objects, "CustomResourceDefinition") if o["metadata"]["name"] == name
    ]
    assert len(found) == 1, f"expected one CRD {name}, found {len(found)}"
    return found[0]


def agent_crd(objects: list[Manifest]) -> Manifest:
    return crd_named(objects, "agents.agent-operator.io")


def without_chart_metadata(crd: dict[str, Any]) -> dict[str, Any]:
    """The CRD minus what the chart adds: its labels and the keep annotation."""
    stripped = copy.deepcopy(crd)
    metadata = stripped["metadata"]
    metadata.pop("labels", None)
    annotations = metadata.pop("annotations", {}) or {}
    annotations.pop(KEEP, None)
    if annotations:
        metadata["annotations"] = annotations
    return stripped


@pytest.mark.parametrize("file", CRD_FILES)
def test_chart_copy_of_the_crd_is_the_repository_crd(file: str) -> None:
    repository = yaml.safe_load((REPO_ROOT / "crds" / file).read_text())
    chart = yaml.safe_load((CHART_DIR / "files" / file).read_text())
    assert chart == repository, f"run `make chart-crd` to copy crds/{file} into the chart"


@pytest.mark.parametrize("file", CRD_FILES)
def test_rendered_crd_is_the_repository_crd_plus_chart_metadata(file: str) -> None:
    repository = yaml.safe_load((REPO_ROOT / "crds" / file).read_text())
    rendered = crd_named(render(), repository["metadata"]["name"])
    assert without_chart_metadata(rendered) == without_chart_metadata(repository)


def test_the_chart_ships_every_crd_of_the_repository() -> None:
    shipped = {p.name for p in (REPO_ROOT / "crds").glob("*.yaml")}
    assert shipped == set(CRD_FILES)
    names = {o["metadata"]["name"] for o in of_kind(render(), "CustomResourceDefinition")}
    assert names == {"agents.agent-operator.io", "agentevaluations.agent-operator.io"}


def test_rendered_crd_keeps_the_repository_labels_and_adds_the_release_labels() -> None:
    rendered = agent_crd(render())["metadata"]["labels"]
    repository = yaml.safe_load(REPOSITORY_CRD.read_text())["metadata"].get("labels", {})
    assert set(repository) <= set(rendered)
    assert rendered["app.kubernetes.io/instance"] == "demo"


def test_crd_is_for_agents_in_the_agent_operator_group() -> None:
    crd = agent_crd(render())
    assert crd["spec"]["names"]["kind"] == "Agent"
    assert [v["name"] for v in crd["spec"]["versions"]] == ["v1alpha1"]


def test_crds_are_kept_on_uninstall_by_default() -> None:
    for crd in of_kind(render(), "CustomResourceDefinition"):
        assert crd["metadata"]["annotations"][KEEP] == "keep"


def test_crd_keep_can_be_turned_off() -> None:
    for crd in of_kind(render({"crds": {"keep": False}}), "CustomResourceDefinition"):
        assert KEEP not in (crd["metadata"].get("annotations") or {})


def test_crds_disabled_renders_no_crd() -> None:
    assert of_kind(render({"crds": {"enabled": False}}), "CustomResourceDefinition") == []


def test_crd_is_a_template_so_helm_upgrade_applies_its_changes() -> None:
    # Files under a chart's crds/ directory are installed once and never upgraded by Helm: only
    # Kopf's peering CRDs, shared with other Kopf operators, belong there.
    installed_once = [path.name for path in (CHART_DIR / "crds").glob("*")]
    assert installed_once == ["kopf-peering.yaml"]
    assert (CHART_DIR / "templates" / "crds" / "agent.yaml").is_file()


def test_kopf_peering_crds_are_installed_once_and_shared() -> None:
    documents = list(yaml.safe_load_all((CHART_DIR / "crds" / "kopf-peering.yaml").read_text()))
    kinds = {doc["spec"]["names"]["kind"]: doc["spec"]["scope"] for doc in documents}
    assert kinds == {"ClusterKopfPeering": "Cluster", "KopfPeering": "Namespaced"}
    for doc in documents:
        assert doc["spec"]["group"] == "kopf.dev"  # where Kopf looks first
        assert "labels" not in doc["metadata"]  # not this release's: shared by every Kopf operator
