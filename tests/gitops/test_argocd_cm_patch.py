"""The argocd-cm patch installs exactly deploy/argocd/agent-health.lua under Argo CD's key."""

from __future__ import annotations

import yaml

from tests.gitops.argocd_health import HEALTH_CHECK, REPO_ROOT, health
from tests.gitops.samples import SAMPLES

PATCH = REPO_ROOT / "deploy" / "argocd" / "argocd-cm-patch.yaml"
KEY = "resource.customizations.health.agent-operator.io_Agent"


def test_patch_carries_the_health_check_verbatim() -> None:
    data = yaml.safe_load(PATCH.read_text())["data"]
    assert list(data) == [KEY]
    assert data[KEY].strip() == HEALTH_CHECK.read_text().strip()


def test_the_patched_script_gives_the_same_verdicts() -> None:
    script = yaml.safe_load(PATCH.read_text())["data"][KEY]
    for sample in SAMPLES:
        assert health(sample.agent, script)[0] == sample.argocd


def test_docs_show_the_same_key() -> None:
    assert KEY in (REPO_ROOT / "docs" / "gitops.md").read_text()
