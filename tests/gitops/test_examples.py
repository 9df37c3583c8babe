"""The GitOps examples: Agents valid for the CRD, Argo CD and Flux objects wired to each other."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import helm_python
import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.gitops.argocd_health import REPO_ROOT

GITOPS = REPO_ROOT / "examples" / "gitops"
AGENTS = GITOPS / "agents"
CHART_DIR = REPO_ROOT / "charts" / "agent-operator"
CHART_REPOSITORY = "ghcr.io/agent-operator/charts"
BASE_RESOURCES = sorted(p for p in AGENTS.glob("*.yaml") if p.name != "kustomization.yaml")


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def by_kind(kind: str) -> list[dict[str, Any]]:
    return [
        doc
        for path in sorted(GITOPS.rglob("*.yaml"))
        if path.parent != AGENTS
        for doc in documents(path)
        if doc.get("kind") == kind
    ]


def agent_schema() -> dict[str, Any]:
    crd = yaml.safe_load((REPO_ROOT / "crds" / "agent.yaml").read_text())
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1")
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


def kustomization() -> dict[str, Any]:
    return documents(AGENTS / "kustomization.yaml")[0]


def test_kustomization_lists_every_file_of_the_folder_and_nothing_else() -> None:
    listed = set(kustomization()["resources"])
    present = {p.name for p in BASE_RESOURCES}
    assert listed == present


@pytest.mark.parametrize("path", BASE_RESOURCES, ids=lambda p: p.name)
def test_each_resource_of_the_agents_base_is_valid(path: Path) -> None:
    for doc in documents(path):
        if doc["kind"] == "Agent":
            # A CRD schema is OpenAPI 3.0: draft-04 keywords (boolean exclusiveMinimum and such).
            jsonschema.Draft4Validator(agent_schema()).validate(doc)
            assert "namespace" not in doc["metadata"], "the kustomization sets the namespace"
        else:
            kubernetes_validate.validate(doc, "1.27.0", strict=True)


def test_agents_land_in_the_namespace_the_base_creates() -> None:
    namespace = documents(AGENTS / "namespace.yaml")[0]["metadata"]["name"]
    assert kustomization()["namespace"] == namespace


def test_agents_reference_a_secret_that_is_not_committed() -> None:
    kinds = {doc["kind"] for path in AGENTS.glob("*.yaml") for doc in documents(path)}
    assert "Secret" not in kinds


def test_argo_cd_installs_the_chart_from_the_oci_registry_at_the_chart_version() -> None:
    chart = yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())
    app = next(a for a in by_kind("Application") if a["spec"]["source"].get("chart"))
    source = app["spec"]["source"]
    assert (source["repoURL"], source["chart"]) == (CHART_REPOSITORY, "agent-operator")
    assert source["targetRevision"] == chart["version"]
    with helm_python.Chart.load(CHART_DIR) as loaded:
        loaded.validate_schema(source["helm"]["valuesObject"])


def test_argo_cd_syncs_the_agents_folder_after_the_operator() -> None:
    apps = {a["metadata"]["name"]: a for a in by_kind("Application")}
    agents, operator = apps["agents"], apps["agent-operator"]
    assert (REPO_ROOT / agents["spec"]["source"]["path"]).resolve() == AGENTS
    wave = "argocd.argoproj.io/sync-wave"
    assert int(operator["metadata"]["annotations"][wave]) < int(
        agents["metadata"]["annotations"][wave]
    )


def test_argo_cd_ignores_replicas_that_an_autoscaler_owns() -> None:
    agents = next(a for a in by_kind("Application") if a["metadata"]["name"] == "agents")
    ignored = agents["spec"]["ignoreDifferences"][0]
    assert (ignored["group"], ignored["kind"]) == ("agent-operator.io", "Agent")
    assert ignored["jsonPointers"] == ["/spec/replicas"]
    assert "RespectIgnoreDifferences=true" in agents["spec"]["syncPolicy"]["syncOptions"]


def test_flux_installs_the_chart_from_the_oci_helm_repository() -> None:
    repository = by_kind("HelmRepository")[0]
    assert repository["spec"] == {
        **repository["spec"],
        "type": "oci",
        "url": f"oci://{CHART_REPOSITORY}",
    }
    release = by_kind("HelmRelease")[0]
    chart = release["spec"]["chart"]["spec"]
    assert chart["chart"] == "agent-operator"
    assert chart["sourceRef"] == {"kind": "HelmRepository", "name": repository["metadata"]["name"]}
    with helm_python.Chart.load(CHART_DIR) as loaded:
        loaded.validate_schema(release["spec"]["values"])


def test_flux_applies_the_agents_after_the_operator_and_waits_for_them() -> None:
    kustomizations = {
        k["metadata"]["name"]: k
        for k in by_kind("Kustomization")
        if "spec" in k and "path" in k["spec"]
    }
    operator, agents = kustomizations["agent-operator"], kustomizations["agents"]
    assert agents["spec"]["dependsOn"] == [{"name": "agent-operator"}]
    assert agents["spec"]["wait"] is True
    assert (REPO_ROOT / agents["spec"]["path"]).resolve() == AGENTS
    release = by_kind("HelmRelease")[0]["metadata"]
    check = operator["spec"]["healthChecks"][0]
    assert (check["kind"], check["name"], check["namespace"]) == (
        "HelmRelease",
        release["name"],
        release["namespace"],
    )
    assert (REPO_ROOT / operator["spec"]["path"]).is_dir()


def test_an_agent_the_crd_refuses_is_caught() -> None:
    hello = documents(AGENTS / "hello.yaml")[0]
    hello["spec"]["model"]["temperature"] = "warm"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(agent_schema()).validate(hello)
