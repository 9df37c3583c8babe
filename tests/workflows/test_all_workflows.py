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
def test_only_the_release_may_write_anything(path: Path) -> None:
    for block in permissions_of(load(path.name)):
        writes = {scope for scope, level in block.items() if level == "write"}
        allowed = {"packages", "id-token", "attestations", "contents"}
        assert writes <= (allowed if path.name == "release.yml" else set())


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_full_commit_sha_with_its_version_in_a_comment(
    path: Path,
) -> None:
    # A tag can be moved to other code; a commit cannot. The comment is what Dependabot updates
    # with the pin, and what a reviewer reads.
    lines = [line.strip() for line in path.read_text().splitlines() if "uses:" in line]
    assert len(lines) == len([s for s in steps(load(path.name)) if "uses" in s])
    for line in lines:
        assert re.fullmatch(r"(- )?uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+", line), (
            line
        )


def test_each_action_has_one_pin_across_all_workflows() -> None:
    pins: dict[str, set[str]] = {}
    for path in PATHS:
        for step in steps(load(path.name)):
            if "uses" in step:
                action, _, sha = str(step["uses"]).partition("@")
                pins.setdefault(action.lower(), set()).add(sha)
    assert {action: shas for action, shas in pins.items() if len(shas) > 1} == {}


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_no_checkout_leaves_the_token_in_the_git_config(path: Path) -> None:
    # No workflow pushes with git; a persisted token would be readable by every later step.
    checkouts = [
        s for s in steps(load(path.name)) if str(s.get("uses", "")).startswith("actions/checkout@")
    ]
    for checkout in checkouts:
        assert checkout.get("with", {}).get("persist-credentials") is False


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_no_expression_is_expanded_inside_a_shell_command(path: Path) -> None:
    # An expression in `run:` is pasted into the script before the shell parses it; through
    # `env:` it reaches the shell as a variable's value, never as code.
    for step in steps(load(path.name)):
        assert "${{" not in str(step.get("run", "")), step.get("name", step["run"])


@pytest.mark.parametrize("path", PATHS, ids=lambda p: p.name)
def test_only_the_release_signing_job_may_ask_for_an_oidc_token(path: Path) -> None:
    workflow = load(path.name)
    assert "id-token" not in workflow["permissions"]
    holders = {
        name for name, job in workflow["jobs"].items() if "id-token" in job.get("permissions", {})
    }
    assert holders == ({"sign"} if path.name == "release.yml" else set())


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
