"""Read the GitHub workflows as data: their triggers, jobs, steps and permissions."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.workflows.dockerfile import REPO_ROOT

WORKFLOW_DIR = REPO_ROOT / ".github" / "workflows"

Workflow = dict[str, Any]
Step = dict[str, Any]


def load(name: str) -> Workflow:
    """One workflow file; YAML 1.1 reads the `on:` key as True, so it is put back as "on"."""
    raw: dict[Any, Any] = yaml.safe_load((WORKFLOW_DIR / name).read_text())
    return {("on" if key is True else str(key)): value for key, value in raw.items()}


def workflow_paths() -> list[Path]:
    return sorted(WORKFLOW_DIR.glob("*.yml"))


def steps(workflow: Workflow, job: str | None = None) -> list[Step]:
    """The steps of one job, or of every job."""
    jobs = workflow["jobs"] if job is None else {job: workflow["jobs"][job]}
    return [step for definition in jobs.values() for step in definition.get("steps", [])]


def runs(workflow: Workflow, job: str | None = None) -> list[str]:
    """The shell commands of the run steps, folded to single spaces."""
    return [" ".join(str(step["run"]).split()) for step in steps(workflow, job) if "run" in step]


def uses(workflow: Workflow, job: str | None = None) -> list[str]:
    """The actions used, without their version."""
    return [str(step["uses"]).split("@")[0] for step in steps(workflow, job) if "uses" in step]


def step_using(workflow: Workflow, action: str, job: str | None = None) -> Step:
    """The one step that uses an action."""
    found = [s for s in steps(workflow, job) if str(s.get("uses", "")).split("@")[0] == action]
    assert len(found) == 1, f"expected one step using {action}, found {len(found)}"
    return found[0]


def step_with_id(workflow: Workflow, job: str, step_id: str) -> Step:
    """The step of a job that other steps and jobs read by its `id`."""
    found = [s for s in steps(workflow, job) if s.get("id") == step_id]
    assert len(found) == 1, f"expected one step with id {step_id} in {job}, found {len(found)}"
    return found[0]


def installed_tool(name: str) -> str | None:
    """A linter the dev extra installs beside this interpreter, else one on PATH."""
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else shutil.which(name)


def permissions_of(workflow: Workflow) -> list[dict[str, str]]:
    """The top-level permissions and those of every job."""
    blocks = [workflow.get("permissions")]
    blocks += [job.get("permissions") for job in workflow["jobs"].values()]
    return [block for block in blocks if block is not None]
