"""actionlint finds nothing in the workflows: expressions, inputs, runners, deprecated actions.

It is what GitHub would refuse or warn about only once a workflow runs: a misspelt input, a
wrong expression type, an action whose runtime the runners have dropped.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.workflows.dockerfile import REPO_ROOT
from tests.workflows.workflows import installed_tool, workflow_paths


def test_actionlint_finds_nothing_in_any_workflow() -> None:
    binary = installed_tool("actionlint")
    if binary is None:
        pytest.skip("actionlint is not installed: the dev extra has it for Linux x86-64/arm64")
    paths = [str(p.relative_to(REPO_ROOT)) for p in workflow_paths()]
    assert paths
    result = subprocess.run(
        [binary, "-no-color", *paths],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
