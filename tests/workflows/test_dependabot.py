"""Dependabot keeps every pin current: the actions' commits, the Python dependencies and the
Dockerfile's base images, each proposed only after a cooldown."""

from __future__ import annotations

import re
from typing import Any

import yaml

from tests.workflows.dockerfile import DOCKERFILE, REPO_ROOT, instructions, stages

CONFIG: dict[str, Any] = yaml.safe_load((REPO_ROOT / ".github" / "dependabot.yml").read_text())
UPDATES = {entry["package-ecosystem"]: entry for entry in CONFIG["updates"]}


def test_the_actions_the_python_dependencies_and_the_base_images_are_all_watched() -> None:
    assert CONFIG["version"] == 2
    assert set(UPDATES) == {"github-actions", "pip", "docker"}
    assert (REPO_ROOT / ".github" / "workflows").is_dir()
    assert (REPO_ROOT / UPDATES["pip"]["directory"].lstrip("/") / "pyproject.toml").is_file()
    assert (REPO_ROOT / UPDATES["docker"]["directory"].lstrip("/") / "Dockerfile").is_file()


def test_every_ecosystem_is_checked_weekly_and_waits_out_a_cooldown() -> None:
    for ecosystem, update in UPDATES.items():
        assert update["schedule"]["interval"] == "weekly", ecosystem
        assert update["cooldown"]["default-days"] >= 3, ecosystem


def test_every_base_image_is_named_literally_so_dependabot_can_read_it() -> None:
    # Dependabot does not expand build arguments: `FROM ${IMAGE}` would never be updated.
    names = set(stages())
    bases = [
        i.arguments.split()[0] for i in instructions(DOCKERFILE.read_text()) if i.keyword == "FROM"
    ]
    registry_images = [base for base in bases if base not in names]
    assert registry_images
    for base in registry_images:
        assert re.fullmatch(r"[\w./-]+:[\w.-]+(@sha256:[0-9a-f]{64})?", base), base
