"""zizmor, the GitHub Actions security auditor, finds nothing in the workflows or Dependabot's
configuration, even as an auditor: no unpinned action, no credential left in a checkout, no
template expanded into a shell, no permission wider than its job, no cache a release trusts.

It runs offline (`--offline`): its audits read the files only, so the test needs no network and
no GitHub token. Nothing is waived: a finding would be fixed, or suppressed in `zizmor.yml`
with its reason, never by a comment in a workflow.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.workflows.dockerfile import REPO_ROOT
from tests.workflows.workflows import WORKFLOW_DIR, installed_tool, workflow_paths

DEPENDABOT = REPO_ROOT / ".github" / "dependabot.yml"


def zizmor(*arguments: str) -> subprocess.CompletedProcess[str]:
    binary = installed_tool("zizmor")
    if binary is None:
        pytest.skip("zizmor is not installed: the dev extra has it")
    return subprocess.run(
        [binary, "--offline", "--no-progress", *arguments],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_zizmor_finds_nothing_even_with_the_auditor_persona() -> None:
    result = zizmor("--persona=auditor", "--format=json", ".github")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == []


def test_zizmor_audited_every_workflow_and_the_dependabot_configuration() -> None:
    result = zizmor("--persona=auditor", "--format=plain", ".github")
    audited = {
        line.rsplit("completed ", 1)[1].strip()
        for line in result.stderr.splitlines()
        if "completed " in line
    }
    expected = {str(p.relative_to(REPO_ROOT)) for p in [*workflow_paths(), DEPENDABOT]}
    assert {path.removeprefix("./") for path in audited} >= expected


def test_no_finding_is_silenced_by_a_comment_in_a_workflow() -> None:
    for path in [*WORKFLOW_DIR.glob("*.yml"), DEPENDABOT]:
        assert "zizmor: ignore" not in path.read_text(), path.name
