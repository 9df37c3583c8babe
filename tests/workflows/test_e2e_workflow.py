"""e2e.yml installs kind, kubectl and helm, then runs `make e2e`, which owns its cluster."""

from __future__ import annotations

from tests.workflows.workflows import load, runs, step_using

E2E = load("e2e.yml")


def test_runs_the_makefile_e2e_target() -> None:
    assert "make e2e" in runs(E2E)


def test_installs_kind_without_creating_a_cluster_the_suite_does_not_own() -> None:
    assert step_using(E2E, "helm/kind-action")["with"]["install_only"] is True
    step_using(E2E, "azure/setup-helm")


def test_is_bounded_in_time_and_reads_only() -> None:
    assert E2E["permissions"] == {"contents": "read"}
    assert all(job["timeout-minutes"] <= 60 for job in E2E["jobs"].values())
