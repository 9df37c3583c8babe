"""The release notes of a tag: its version's section of CHANGELOG.md, as the release publishes it.

The release workflow prints this section as the GitHub release's notes, so what a user reads on
the release page is what the repository's changelog says about that version, word for word. A
tag whose version has no section, or an empty one, stops the release before anything is pushed.

    python3 scripts/release_notes.py v1.2.3 [--changelog CHANGELOG.md]

Standard library only: the release job runs it with the runner's own Python.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

# The repository's changelog, beside this folder.
CHANGELOG = Path(__file__).resolve().parents[1] / "CHANGELOG.md"
# A version heading as Keep a Changelog writes it, `## [1.2.3] - 2026-12-04`; the brackets, a
# leading `v` and the date are optional. `## Unreleased` is a heading too, so it ends a section.
HEADING = re.compile(r"^## +\[?v?(?P<version>[^\]\s]+)\]?(?: +- +.*)?$")
# Link definitions at the end of the file (`[1.2.3]: https://...`) are not a section's text.
LINK_DEFINITION = re.compile(r"^\[[^\]]+\]: +\S+$")


class ReleaseNotesError(Exception):
    """The changelog cannot give the notes of this version."""

    def __init__(self, version: str, reason: str) -> None:
        super().__init__(version, reason)
        self.version = version
        self.reason = reason

    def __str__(self) -> str:
        return (
            f"CHANGELOG.md {self.reason} for version {self.version}: add a section "
            f"'## [{self.version}] - YYYY-MM-DD' listing the release's changes before tagging"
        )


def version_of(tag: str) -> str:
    """The version a tag names: `v1.2.3` and `refs/tags/v1.2.3` both give `1.2.3`."""
    return tag.removeprefix("refs/tags/").removeprefix("v")


def section(changelog: str, version: str) -> str:
    """The text under the version's heading up to the next one, without the heading itself."""
    lines = changelog.splitlines()
    headings = [
        (i, match["version"]) for i, line in enumerate(lines) if (match := HEADING.match(line))
    ]
    starts = [i for i, _ in headings]
    mine = [i for i, named in headings if named == version]
    if not mine:
        raise ReleaseNotesError(version, "has no section")
    if len(mine) > 1:
        raise ReleaseNotesError(version, f"has {len(mine)} sections")
    start = mine[0] + 1
    end = next((i for i in starts if i > mine[0]), len(lines))
    body = [line for line in lines[start:end] if not LINK_DEFINITION.match(line)]
    notes = "\n".join(body).strip()
    if not notes:
        raise ReleaseNotesError(version, "has an empty section")
    return notes + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("tag", help="the release tag, e.g. v1.2.3 (a leading v is optional)")
    parser.add_argument("--changelog", type=Path, default=CHANGELOG, help="default: %(default)s")
    arguments = parser.parse_args(argv)
    try:
        notes = section(arguments.changelog.read_text(encoding="utf-8"), version_of(arguments.tag))
    except ReleaseNotesError as error:
        print(f"release_notes: {error}", file=sys.stderr)
        return 1
    sys.stdout.write(notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
