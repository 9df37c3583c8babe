"""The verification commands in docs/install.md expect the identity the release really signs
with: this repository, the release workflow's path, and a ref its tag trigger matches."""

from __future__ import annotations

import fnmatch
import re
import shlex

import pytest
import yaml

from tests.workflows.dockerfile import REPO_ROOT, stages
from tests.workflows.workflows import WORKFLOW_DIR, load, uses

INSTALL = (REPO_ROOT / "docs" / "install.md").read_text()
RELEASE = load("release.yml")
ISSUER = "https://token.actions.githubusercontent.com"
SOURCE = stages()["operator"].labels()["org.opencontainers.image.source"]
REPOSITORY = SOURCE.removeprefix("https://github.com/")
WORKFLOW = ".github/workflows/release.yml"
VALUES = yaml.safe_load((REPO_ROOT / "charts" / "agent-operator" / "values.yaml").read_text())
OWNER = VALUES["image"]["repository"].split("/")[1]
ARTEFACTS = {
    entry["artefact"] for entry in RELEASE["jobs"]["sign"]["strategy"]["matrix"]["include"]
}


def commands(program: str) -> list[list[str]]:
    """Every command of the shell blocks that starts with `program`, continuations joined."""
    blocks = re.findall(r"```sh\n(.*?)```", INSTALL, flags=re.DOTALL)
    lines = "\n".join(blocks).replace("\\\n", " ").splitlines()
    return [shlex.split(line) for line in lines if line.startswith(program + " ")]


def flag(command: list[str], name: str) -> str:
    assert command.count(name) == 1, f"{name} in {command}"
    return command[command.index(name) + 1]


def reference(command: list[str], position: int) -> tuple[str, str]:
    """The artefact (path under the owner) and the version a command verifies."""
    match = re.fullmatch(rf"(?:oci://)?ghcr\.io/{OWNER}/([\w/-]+):([\w.]+)", command[position])
    assert match, command[position]
    return match.group(1), match.group(2)


def expected_ref(version: str) -> str:
    ref = f"refs/tags/v{version}"
    patterns = RELEASE["on"]["push"]["tags"]
    assert any(fnmatch.fnmatch(f"v{version}", pattern) for pattern in patterns)
    return ref


def test_the_workflow_named_in_the_docs_is_the_one_that_signs() -> None:
    assert (WORKFLOW_DIR / WORKFLOW.rsplit("/", 1)[1]).is_file()
    assert "sigstore/cosign-installer" in uses(RELEASE, "sign")
    assert SOURCE.startswith("https://github.com/")
    assert REPOSITORY.split("/")[0] == OWNER


@pytest.mark.parametrize("program", ["cosign verify", "gh attestation verify"])
def test_the_chart_and_both_images_each_have_a_verification_command(program: str) -> None:
    position = 3 if program.startswith("gh") else 2
    verified = {reference(command, position)[0] for command in commands(program)}
    assert verified == ARTEFACTS
    assert verified == {"agent-operator", "agent-runtime", "charts/agent-operator"}


def test_cosign_expects_the_release_workflow_identity_and_github_as_issuer() -> None:
    for command in commands("cosign verify"):
        _, version = reference(command, 2)
        identity = f"https://github.com/{REPOSITORY}/{WORKFLOW}@{expected_ref(version)}"
        assert flag(command, "--certificate-identity") == identity
        assert flag(command, "--certificate-oidc-issuer") == ISSUER


def test_gh_expects_the_repository_the_release_workflow_and_the_tag() -> None:
    for command in commands("gh attestation verify"):
        _, version = reference(command, 3)
        assert flag(command, "--repo") == REPOSITORY
        assert flag(command, "--signer-workflow") == f"{REPOSITORY}/{WORKFLOW}"
        assert flag(command, "--source-ref") == expected_ref(version)


def test_the_identity_pattern_for_any_release_accepts_tags_only_from_the_release_workflow() -> None:
    pattern = re.search(r"--certificate-identity-regexp\s+'([^']+)'", INSTALL)
    assert pattern
    identity = re.compile(pattern.group(1))
    base = f"https://github.com/{REPOSITORY}/{WORKFLOW}@"
    assert identity.fullmatch(base + "refs/tags/v0.1.0")
    assert identity.fullmatch(base + "refs/tags/v12.3.45")
    assert not identity.fullmatch(base + "refs/heads/main")
    assert not identity.fullmatch(base.replace("release.yml", "ci.yml") + "refs/tags/v0.1.0")
    assert not identity.fullmatch(base.replace(REPOSITORY, "someone/fork") + "refs/tags/v0.1.0")
