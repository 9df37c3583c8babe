"""release.yml, on a version tag: both images for amd64 and arm64, then the chart, on ghcr.io."""

from __future__ import annotations

from tests.workflows.dockerfile import stages
from tests.workflows.workflows import load, runs, step_using

RELEASE = load("release.yml")


def test_runs_only_on_version_tags() -> None:
    assert RELEASE["on"] == {"push": {"tags": ["v*"]}}


def test_both_dockerfile_targets_are_built() -> None:
    matrix = RELEASE["jobs"]["images"]["strategy"]["matrix"]["include"]
    targets = {entry["target"] for entry in matrix}
    assert targets == {"runtime", "operator"}
    assert targets <= set(stages())
    build = step_using(RELEASE, "docker/build-push-action", "images")["with"]
    assert build["target"] == "${{ matrix.target }}"


def test_images_are_multi_arch_and_pushed_to_ghcr_with_the_tag_version() -> None:
    build = step_using(RELEASE, "docker/build-push-action", "images")["with"]
    assert set(build["platforms"].split(",")) == {"linux/amd64", "linux/arm64"}
    assert build["push"] is True
    assert build["tags"].strip().startswith("ghcr.io/")
    assert build["tags"].strip().endswith(":${{ steps.vars.outputs.version }}")
    assert any("version=${GITHUB_REF_NAME#v}" in run for run in runs(RELEASE, "images"))
    step_using(RELEASE, "docker/setup-qemu-action", "images")
    step_using(RELEASE, "docker/setup-buildx-action", "images")
    assert step_using(RELEASE, "docker/login-action", "images")["with"]["registry"] == "ghcr.io"


def test_chart_is_packaged_with_the_tag_version_and_pushed_to_the_oci_registry() -> None:
    commands = runs(RELEASE, "chart")
    package = next(c for c in commands if c.startswith("helm package"))
    assert "charts/agent-operator" in package
    assert '--version "${{ steps.vars.outputs.version }}"' in package
    assert '--app-version "${{ steps.vars.outputs.version }}"' in package
    push = next(c for c in commands if c.startswith("helm push"))
    assert '"oci://ghcr.io/${{ steps.vars.outputs.owner }}/charts"' in push


def test_chart_is_pushed_only_after_the_images_it_points_at() -> None:
    assert RELEASE["jobs"]["chart"]["needs"] == "images"


def test_registry_token_is_passed_through_the_environment_not_the_command_line() -> None:
    login = next(c for c in runs(RELEASE, "chart") if "helm registry login" in c)
    assert "secrets." not in login
    assert "--password-stdin" in login


def test_packages_write_is_granted_per_job_and_the_default_is_read_only() -> None:
    assert RELEASE["permissions"] == {"contents": "read"}
    for job in ("images", "chart"):
        assert RELEASE["jobs"][job]["permissions"] == {"contents": "read", "packages": "write"}
