"""What can be checked of the kind suite without Docker: its manifests, commands and guard."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import helm_python
import jsonschema
import kubernetes_validate
import pytest
import yaml

from agent_runtime.cli import build_parser
from tests.e2e.kind import (
    BUILD_COMMANDS,
    CHART_DIR,
    CHART_VALUES,
    MANIFESTS,
    REPO_ROOT,
    KindCluster,
    WrongContextError,
    helm_set_arguments,
    unique_cluster_name,
)

MANIFEST_FILES = sorted(MANIFESTS.glob("*.yaml"))
KubeconfigFactory = Callable[[str], Path]


def documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def by_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for path in MANIFEST_FILES for doc in documents(path) if doc["kind"] == kind]


def agent_schema() -> dict[str, object]:
    crd = yaml.safe_load((REPO_ROOT / "crds" / "agent.yaml").read_text())
    schema: dict[str, object] = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


@pytest.mark.parametrize("path", MANIFEST_FILES, ids=lambda p: p.name)
def test_every_manifest_the_suite_applies_is_valid(path: Path) -> None:
    for doc in documents(path):
        if doc["kind"] == "Agent":
            jsonschema.Draft4Validator(agent_schema()).validate(doc)
        else:
            kubernetes_validate.validate(doc, "1.27.0", strict=True)


def test_mock_model_runs_the_runtime_images_mock_llm_command() -> None:
    deployment = by_kind("Deployment")[0]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "agent-runtime:e2e"
    assert container["args"] == ["mock-llm", "--host", "0.0.0.0", "--port", "8081"]
    parsed = build_parser().parse_args(container["args"])
    assert (parsed.command, parsed.host, parsed.port) == ("mock-llm", "0.0.0.0", 8081)


def test_agent_model_endpoint_is_the_mock_service() -> None:
    agent = by_kind("Agent")[0]
    service = by_kind("Service")[0]
    endpoint = agent["spec"]["model"]["endpoint"]
    name, namespace = service["metadata"]["name"], service["metadata"]["namespace"]
    port = service["spec"]["ports"][0]["port"]
    assert endpoint == f"http://{name}.{namespace}.svc:{port}"


def test_agent_secret_reference_is_applied_by_the_suite() -> None:
    agent = by_kind("Agent")[0]
    secret = by_kind("Secret")[0]
    reference = agent["spec"]["model"]["apiKeySecretRef"]
    assert reference["name"] == secret["metadata"]["name"]
    assert reference["key"] in secret["stringData"]


def test_build_commands_are_the_documented_ones() -> None:
    install = (REPO_ROOT / "docs" / "install.md").read_text()
    for command in BUILD_COMMANDS:
        target = command[command.index("--target") + 1]
        assert f"docker build --target {target} " in install
        assert f"AS {target}" in (REPO_ROOT / "Dockerfile").read_text()


def test_make_e2e_runs_this_suite_by_its_marker() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    recipe = re.search(r"^e2e:.*\n\t(.+)$", makefile, flags=re.MULTILINE)
    assert recipe is not None
    assert "pytest -m e2e tests/e2e" in recipe.group(1)


def test_chart_values_the_suite_installs_with_pass_the_chart_schema() -> None:
    with helm_python.Chart.load(CHART_DIR) as chart:
        chart.validate_schema(CHART_VALUES)


def test_helm_set_arguments_reproduce_the_values() -> None:
    arguments = helm_set_arguments(CHART_VALUES)
    expressions = ",".join(arguments[1::2])
    assert helm_python.parse_set_string(expressions) == CHART_VALUES


def test_cluster_names_are_unique_and_valid_for_kind() -> None:
    names = {unique_cluster_name() for _ in range(20)}
    assert len(names) == 20
    for name in names:
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]{0,30}[a-z0-9]", name)


@pytest.fixture
def kubeconfig_for(tmp_path: Path) -> KubeconfigFactory:
    def write(current_context: str) -> Path:
        path = tmp_path / "kubeconfig"
        path.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:1"}}],
                    "users": [{"name": "u", "user": {}}],
                    "contexts": [
                        {"name": current_context, "context": {"cluster": "c", "user": "u"}}
                    ],
                    "current-context": current_context,
                }
            )
        )
        return path

    return write


needs_kubectl = pytest.mark.skipif(
    shutil.which("kubectl") is None, reason="kubectl is not installed"
)


@needs_kubectl
def test_guard_refuses_a_context_other_than_the_suites_cluster(
    kubeconfig_for: KubeconfigFactory,
) -> None:
    cluster = KindCluster("agent-op-e2e-mine", kubeconfig_for("production"))
    with pytest.raises(WrongContextError) as refused:
        cluster.kubectl("get", "agents")
    assert "'production'" in str(refused.value)
    with pytest.raises(WrongContextError):
        cluster.helm("list")


@needs_kubectl
def test_guard_accepts_the_suites_own_cluster(kubeconfig_for: KubeconfigFactory) -> None:
    cluster = KindCluster("agent-op-e2e-mine", kubeconfig_for("kind-agent-op-e2e-mine"))
    cluster.guard()
