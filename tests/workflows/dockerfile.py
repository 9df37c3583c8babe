"""A small reader of the repository's Dockerfile: its stages and their instructions.

No Docker engine is needed: the tests check the build's structure, not its result.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"


@dataclass
class Instruction:
    """One Dockerfile instruction, continuation lines joined."""

    keyword: str
    arguments: str

    def exec_form(self) -> list[str]:
        """The JSON (exec) form of ENTRYPOINT/CMD as a list."""
        parsed = json.loads(self.arguments)
        assert isinstance(parsed, list), f"{self.keyword} is not in exec form"
        return [str(item) for item in parsed]


@dataclass
class Stage:
    """One build stage: `FROM base AS name` and what follows it."""

    name: str
    base: str
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction:
        found = self.all(keyword)
        assert found, f"stage {self.name} has no {keyword}"
        return found[-1]

    def labels(self) -> dict[str, str]:
        text = " ".join(i.arguments for i in self.all("LABEL"))
        return dict(re.findall(r'([\w.\-]+)="([^"]*)"', text))


def instructions(text: str) -> list[Instruction]:
    """The instructions of a Dockerfile, comments dropped, continuations joined."""
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    result = []
    for line in logical:
        keyword, _, arguments = line.partition(" ")
        result.append(Instruction(keyword.upper(), arguments.strip()))
    return result


def global_args(parsed: list[Instruction]) -> dict[str, str]:
    """ARGs declared before the first FROM, with their defaults."""
    args: dict[str, str] = {}
    for instruction in parsed:
        if instruction.keyword == "FROM":
            break
        if instruction.keyword == "ARG":
            name, _, default = instruction.arguments.partition("=")
            args[name] = default
    return args


def stages(path: Path = DOCKERFILE) -> dict[str, Stage]:
    """The stages of the Dockerfile by name, base images resolved from global ARGs."""
    parsed = instructions(path.read_text())
    args = global_args(parsed)
    result: dict[str, Stage] = {}
    current: Stage | None = None
    for instruction in parsed:
        if instruction.keyword == "FROM":
            match = re.fullmatch(r"(\S+)\s+AS\s+(\S+)", instruction.arguments, re.IGNORECASE)
            assert match, f"unnamed stage: FROM {instruction.arguments}"
            base = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], match.group(1))
            current = Stage(name=match.group(2), base=base)
            result[current.name] = current
        elif current is not None:
            current.instructions.append(instruction)
    return result


def copy_sources(stage: Stage) -> list[str]:
    """The stages a stage copies from (`COPY --from=NAME`)."""
    return re.findall(r"--from=(\S+)", " ".join(i.arguments for i in stage.all("COPY")))
