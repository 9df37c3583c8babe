"""checkov, the scanner platform teams run on what they install, finds nothing unexplained.

It scans the chart rendered with its default values and with every `ci/` scenario, and the
children `agent-operator render` makes for every example. checkov is heavy to import, so it runs
as a subprocess, once per scan, on files written to a temporary directory. Every check passes
or is skipped in `.checkov.yaml` (or by a `checkov.io/skip` annotation) with its reason, and
docs/security.md gives each reason too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent_operator.builders import render_agent
from agent_operator.settings import OperatorSettings
from tests.chart.rendering import REPO_ROOT, SCENARIOS, render, scenario_values

CONFIG = REPO_ROOT / ".checkov.yaml"
SECURITY_DOC = REPO_ROOT / "docs" / "security.md"
EXAMPLES = REPO_ROOT / "examples"
#: A digest of the right shape; checkov checks the form of the reference, not the registry.
DIGEST = "sha256:" + "0123456789abcdef" * 4
#: Seconds one checkov run may take on a busy machine (about 20 s on an idle one).
CHECKOV_TIMEOUT = 600


#: checkov's own venv, made by `make checkov` (its pins cannot share the project's venv).
CHECKOV_VENV = REPO_ROOT / ".venv-checkov"


def checkov_program() -> str:
    """The checkov command: $CHECKOV, else the one `make checkov` installs, else one on PATH."""
    found = os.environ.get("CHECKOV") or (
        str(CHECKOV_VENV / "bin" / "checkov")
        if (CHECKOV_VENV / "bin" / "checkov").exists()
        else shutil.which("checkov")
    )
    if found is None:
        pytest.skip("checkov is not installed: `make checkov` (run by `make test`) installs it")
    return found


def checkov(directory: Path, *options: str) -> dict[str, Any]:
    """Run checkov on every file of `directory`; its JSON report (one framework)."""
    done = subprocess.run(
        [
            checkov_program(),
            "-d",
            str(directory),
            "--framework",
            "kubernetes",
            "--skip-download",
            "--output",
            "json",
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=CHECKOV_TIMEOUT,
        check=False,
        cwd=directory,
    )
    assert done.returncode in (0, 1), done.stderr  # 1: some check failed
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def write_all(path: Path, objects: list[dict[str, Any]]) -> None:
    path.write_text(yaml.safe_dump_all(objects, sort_keys=False), encoding="utf-8")


def example_agents() -> list[tuple[str, dict[str, Any]]]:
    """Every example Agent, in the namespace it is applied to (its kustomization's, if any)."""
    return [
        (f"{path.relative_to(EXAMPLES).with_suffix('')}-{doc['metadata']['name']}", doc)
        for path in sorted(EXAMPLES.glob("**/*.yaml"))
        for doc in _in_kustomized_namespace(path)
        if doc.get("kind") == "Agent"
    ]


def _in_kustomized_namespace(path: Path) -> list[dict[str, Any]]:
    kustomization = path.parent / "kustomization.yaml"
    namespace = None
    if kustomization.exists():
        namespace = yaml.safe_load(kustomization.read_text(encoding="utf-8")).get("namespace")
    documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    for doc in documents:
        if namespace is not None and isinstance(doc.get("metadata"), dict):
            doc["metadata"].setdefault("namespace", namespace)
    return [doc for doc in documents if isinstance(doc, dict)]


@pytest.fixture(scope="module")
def manifests(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The chart's renderings and every example's children, one file each."""
    directory = tmp_path_factory.mktemp("checkov")
    write_all(directory / "chart-defaults.yaml", render())
    for scenario in SCENARIOS:
        write_all(directory / f"chart-{scenario.stem}.yaml", render(scenario_values(scenario)))
    for name, agent in example_agents():
        write_all(directory / f"agent-{name.replace('/', '-')}.yaml", render_agent(agent))
    return directory


@pytest.fixture(scope="module")
def report(manifests: Path) -> dict[str, Any]:
    return checkov(manifests, "--config-file", str(CONFIG))


def skipped_in_config() -> list[str]:
    config = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    return list(config["skip-check"])


def test_checkov_reports_no_failed_check_on_the_chart_and_the_rendered_agents(
    report: dict[str, Any], manifests: Path
) -> None:
    failed = [
        f"{check['check_id']} {check['check_name']}: {check['resource']} in {check['file_path']}"
        for check in report["results"]["failed_checks"]
    ]
    assert failed == []
    assert report["summary"]["parsing_errors"] == 0
    scanned = {check["file_path"].lstrip("/") for check in report["results"]["passed_checks"]}
    assert scanned == {path.name for path in manifests.iterdir()}  # every file was read


def test_checkov_scans_the_operator_and_every_agent_pod(report: dict[str, Any]) -> None:
    deployments = {
        check["file_path"].lstrip("/")
        for check in report["results"]["passed_checks"]
        if check["resource"].startswith("Deployment.")
    }
    assert {f"chart-{s.stem}.yaml" for s in SCENARIOS} <= deployments
    assert len([d for d in deployments if d.startswith("agent-")]) == len(example_agents())


def test_every_skip_has_a_reason_in_the_config_and_in_the_security_doc(
    report: dict[str, Any],
) -> None:
    config_text = CONFIG.read_text(encoding="utf-8")
    doc = SECURITY_DOC.read_text(encoding="utf-8")
    for check_id in skipped_in_config():
        before = config_text[: config_text.index(f"- {check_id}")].rstrip().splitlines()
        assert before[-1].strip().startswith("#"), f"{check_id} has no comment in .checkov.yaml"
        assert check_id in doc, f"{check_id} is skipped but docs/security.md does not say why"
    for check in report["results"]["skipped_checks"]:  # skipped by an annotation on an object
        assert check["check_id"] in doc
        reason = check["check_result"].get("suppress_comment") or ""
        assert len(reason) > 20, f"{check['check_id']} is skipped without a reason"


def test_the_security_doc_explains_no_skip_that_is_not_made() -> None:
    doc = SECURITY_DOC.read_text(encoding="utf-8")
    section = doc.split("## checkov", 1)[1].split("\n## ", 1)[0]
    explained = set(re.findall(r"^\| (CKV2?_K8S_\d+)", section, re.MULTILINE))  # table rows
    annotated = set(re.findall(r"checkov\.io/skip\d+: (CKV2?_K8S_\d+)", _chart_templates()))
    assert explained == set(skipped_in_config()) | annotated


def _chart_templates() -> str:
    templates = REPO_ROOT / "charts" / "agent-operator" / "templates"
    return "".join(p.read_text(encoding="utf-8") for p in sorted(templates.glob("*.yaml")))


def test_images_pinned_by_digest_pass_checkovs_digest_check(tmp_path: Path) -> None:
    values = {"image": {"digest": DIGEST}, "runtime": {"image": {"digest": DIGEST}}}
    chart = render(values)
    write_all(tmp_path / "chart-pinned.yaml", chart)
    operator_env = next(
        env["value"]
        for obj in chart
        if obj["kind"] == "Deployment"
        for env in obj["spec"]["template"]["spec"]["containers"][0]["env"]
        if env["name"] == "AGENT_OPERATOR_RUNTIME_IMAGE"
    )
    assert operator_env.endswith(f"@{DIGEST}")
    settings = OperatorSettings(runtime_image=operator_env)
    for name, agent in example_agents():
        write_all(tmp_path / f"agent-{name.replace('/', '-')}.yaml", render_agent(agent, settings))

    pinned = checkov(tmp_path, "--check", "CKV_K8S_43")  # no config file: the check runs

    assert pinned["results"]["failed_checks"] == []
    assert len(pinned["results"]["passed_checks"]) == 1 + len(example_agents())
