"""The release's notes are its version's section of the changelog, and nothing else."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scripts.release_notes import ReleaseNotesError, section, version_of
from tests.workflows.dockerfile import REPO_ROOT
from tests.workflows.workflows import load

SCRIPT = REPO_ROOT / "scripts" / "release_notes.py"
CHANGELOG = """\
# Changelog

Intro text that belongs to no version.

## Unreleased

### Added
- Something not released yet.

## [1.2.0] - 2026-11-30

### Added
- Signed images.

### Fixed
- A [linked](https://example.org) fix.

## [1.1.10] - 2026-10-01

### Fixed
- The tenth patch.

## 1.1.1

- A plain heading.

[1.2.0]: https://github.com/agent-operator/agent-operator/compare/v1.1.10...v1.2.0
[1.1.10]: https://github.com/agent-operator/agent-operator/compare/v1.1.1...v1.1.10
"""


def test_a_tag_names_its_version_with_or_without_v_and_ref_prefix() -> None:
    assert version_of("v1.2.0") == "1.2.0"
    assert version_of("1.2.0") == "1.2.0"
    assert version_of("refs/tags/v1.2.0") == "1.2.0"


def test_the_section_of_the_version_is_extracted_without_its_heading_or_its_neighbours() -> None:
    assert section(CHANGELOG, "1.2.0") == (
        "### Added\n- Signed images.\n\n### Fixed\n- A [linked](https://example.org) fix.\n"
    )


def test_a_version_is_matched_whole_not_by_prefix() -> None:
    assert section(CHANGELOG, "1.1.1") == "- A plain heading.\n"
    assert section(CHANGELOG, "1.1.10") == "### Fixed\n- The tenth patch.\n"


def test_the_last_section_leaves_out_the_link_definitions_at_the_end_of_the_file() -> None:
    assert "compare" not in section(CHANGELOG, "1.1.1")


def test_unreleased_changes_never_reach_a_release() -> None:
    assert "not released" not in section(CHANGELOG, "1.2.0")


def test_a_version_without_a_section_is_refused_with_what_to_add() -> None:
    with pytest.raises(ReleaseNotesError) as raised:
        section(CHANGELOG, "9.9.9")
    assert str(raised.value) == (
        "CHANGELOG.md has no section for version 9.9.9: add a section "
        "'## [9.9.9] - YYYY-MM-DD' listing the release's changes before tagging"
    )


def test_an_empty_section_is_refused() -> None:
    with pytest.raises(ReleaseNotesError, match=r"has an empty section for version 2\.0\.0"):
        section("## [2.0.0] - 2026-12-01\n\n## [1.0.0]\n- First.\n", "2.0.0")


def test_the_command_prints_the_section_for_a_tag(tmp_path: Path) -> None:
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text(CHANGELOG)
    result = run_script("v1.1.10", "--changelog", str(changelog))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "### Fixed\n- The tenth patch.\n"


def test_the_command_fails_with_a_message_and_prints_no_notes_for_an_unknown_tag(
    tmp_path: Path,
) -> None:
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text(CHANGELOG)
    result = run_script("v3.0.0", "--changelog", str(changelog))
    assert result.returncode == 1
    assert result.stdout == ""
    assert "no section for version 3.0.0" in result.stderr


def test_the_project_changelog_keeps_an_unreleased_section_on_top() -> None:
    text = (REPO_ROOT / "CHANGELOG.md").read_text()
    assert section(text, "Unreleased").startswith("### ")


def test_the_release_takes_its_notes_from_this_script_for_the_pushed_tag() -> None:
    notes = load("release.yml")["jobs"]["notes"]["steps"]
    commands = [str(step["run"]) for step in notes if "run" in step]
    assert any('python3 scripts/release_notes.py "$GITHUB_REF_NAME"' in c for c in commands)


def run_script(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
