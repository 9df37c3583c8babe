"""The Dockerfile builds two small non-root images, each with only its own extra installed."""

from __future__ import annotations

import re
import tomllib

import pytest

from agent_runtime.cli import build_parser
from tests.workflows.dockerfile import DOCKERIGNORE, REPO_ROOT, Stage, copy_sources, stages

TARGETS = ("runtime", "operator")
PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
SCRIPTS = {"runtime": "agent-runtime", "operator": "agent-operator"}


def venv_stage_of(target: str) -> Stage:
    sources = copy_sources(stages()[target])
    assert len(sources) == 1, f"{target} copies from {sources}"
    return stages()[sources[0]]


@pytest.mark.parametrize("target", TARGETS)
def test_target_exists_and_starts_from_python_3_11_slim(target: str) -> None:
    assert stages()[target].base == "python:3.11-slim"


@pytest.mark.parametrize("target", TARGETS)
def test_final_stage_runs_as_the_non_root_uid_65532(target: str) -> None:
    user = stages()[target].last("USER").arguments
    assert user.split(":")[0] == "65532"


@pytest.mark.parametrize("target", TARGETS)
def test_final_stage_runs_nothing_so_no_build_tool_reaches_it(target: str) -> None:
    stage = stages()[target]
    assert stage.all("RUN") == []
    assert stage.all("ADD") == []
    assert [i.arguments for i in stage.all("COPY")] == [
        "--from=" + venv_stage_of(target).name + " /venv /venv"
    ]


@pytest.mark.parametrize("target", TARGETS)
def test_final_stage_copies_a_virtualenv_holding_only_its_own_extra(target: str) -> None:
    installs = " ".join(i.arguments for i in venv_stage_of(target).all("RUN"))
    extras = set(re.findall(r"\[(\w+)\]", installs))
    assert extras == {target}
    assert target in PYPROJECT["project"]["optional-dependencies"]


def test_the_venv_stages_install_the_projects_wheel_built_once() -> None:
    builder = stages()["builder"]
    assert any("pip wheel --no-deps" in i.arguments for i in builder.all("RUN"))
    for target in TARGETS:
        assert venv_stage_of(target).base == "builder"
        assert "/wheels/agent_operator-" in venv_stage_of(target).last("RUN").arguments


@pytest.mark.parametrize("target", TARGETS)
def test_entrypoint_is_the_console_script_pyproject_declares(target: str) -> None:
    entrypoint = stages()[target].last("ENTRYPOINT").exec_form()
    assert entrypoint == [SCRIPTS[target]]
    assert SCRIPTS[target] in PYPROJECT["project"]["scripts"]


def test_runtime_command_is_a_valid_serve_invocation_on_the_exposed_port() -> None:
    runtime = stages()["runtime"]
    command = runtime.last("CMD").exec_form()
    parsed = build_parser().parse_args(command)
    assert parsed.command == "serve"
    assert str(parsed.port) in runtime.last("EXPOSE").arguments.split()
    assert runtime.last("EXPOSE").arguments == "8080"


def test_operator_command_runs_the_operator() -> None:
    assert stages()["operator"].last("CMD").exec_form()[0] == "run"


@pytest.mark.parametrize("target", TARGETS)
def test_images_carry_open_containers_labels_with_the_project_version(target: str) -> None:
    stage = stages()[target]
    labels = stage.labels()
    assert labels["org.opencontainers.image.title"] == SCRIPTS[target]
    assert labels["org.opencontainers.image.licenses"] == PYPROJECT["project"]["license"]
    assert labels["org.opencontainers.image.source"].startswith("https://github.com/")
    assert labels["org.opencontainers.image.version"] == "${VERSION}"
    version_arg = next(i for i in stage.all("ARG") if i.arguments.startswith("VERSION="))
    assert version_arg.arguments == f"VERSION={PYPROJECT['project']['version']}"


def test_dockerignore_sends_only_the_packaging_files_and_the_packages() -> None:
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*"
    included = {p[1:].rstrip("/") for p in patterns if p.startswith("!")}
    copied = {
        source.rstrip("/")
        for instruction in stages()["builder"].all("COPY")
        for source in instruction.arguments.split()[:-1]
    }
    assert copied <= included
    assert not included & {".venv", ".git", "tests", "charts"}
