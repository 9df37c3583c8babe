"""ci.yml runs `make test` on Python 3.11 for every push to main and every pull request."""

from __future__ import annotations

from tests.workflows.workflows import load, runs, step_using, uses

CI = load("ci.yml")


def test_runs_on_push_and_pull_request() -> None:
    assert {"push", "pull_request"} <= set(CI["on"])


def test_checks_out_and_sets_up_python_3_11() -> None:
    assert uses(CI)[:2] == ["actions/checkout", "actions/setup-python"]
    assert step_using(CI, "actions/setup-python")["with"]["python-version"] == "3.11"


def test_runs_the_readme_test_command() -> None:
    assert "make test" in runs(CI)


def test_may_only_read_the_repository() -> None:
    assert CI["permissions"] == {"contents": "read"}
    assert all("permissions" not in job for job in CI["jobs"].values())
