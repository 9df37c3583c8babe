"""Rules every workflow follows: least privilege, pinned actions, make targets that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.workflows.dockerfile import REPO_ROOT
from tests.workflows.workflows import load, permissions_of, runs, steps, workflow_paths

PATHS = workflow_paths()
MAKEFILE_TARGETS = set(
    re.findall(r"^([\w-]+):", (REPO_ROOT / "Makefile").read_text(), flags=re.MULTILINE)
)


def test_the_three_workflows_exist() -> None:
    assert {path.name for path in PATHS} >= {"ci.yml", "release.yml", "e2e.yml"}


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_permissions_are_declared_and_read_only_at_the_top(path: Path) -> None:
    workflow = load(path.name)
    assert workflow["permissions"] == {"contents": "read"}
    for block in permissions_of(workflow):
        assert isinstance(block, dict), "write-all/read-all shorthands are not allowed"


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_only_the_release_may_write_packages_and_nothing_writes_contents(path: Path) -> None:
    for block in permissions_of(load(path.name)):
        writes = {scope for scope, level in block.items() if level == "write"}
        assert writes <= ({"packages"} if path.name == "release.yml" else set())


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_version(path: Path) -> None:
    for step in steps(load(path.name)):
        if "uses" in step:
            assert re.fullmatch(
                r"[\w.-]+/[\w./-]+@v?\d[\w.]*|[\w.-]+/[\w./-]+@[0-9a-f]{40}", step["uses"]
            )


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_make_targets_called_exist_in_the_makefile(path: Path) -> None:
    for command in runs(load(path.name)):
        for target in re.findall(r"\bmake ([\w-]+)", command):
            assert target in MAKEFILE_TARGETS, target


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_untrusted_event_text_never_reaches_a_shell(path: Path) -> None:
    # Titles, bodies and branch names of pull requests are attacker-controlled.
    for command in runs(load(path.name)):
        assert "github.event." not in command
        assert "github.head_ref" not in command
