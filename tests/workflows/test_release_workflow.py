"""release.yml, on a version tag: notes, both images for amd64 and arm64, the chart pinned to
their digests, signatures and provenance for all three, then the GitHub release."""

from __future__ import annotations

from tests.workflows.dockerfile import stages
from tests.workflows.workflows import load, runs, step_using, step_with_id, steps, uses

RELEASE = load("release.yml")
JOBS = RELEASE["jobs"]
IMAGES = {entry["image"] for entry in JOBS["images"]["strategy"]["matrix"]["include"]}
SIGNED = {
    entry["artefact"]: entry["digest"] for entry in JOBS["sign"]["strategy"]["matrix"]["include"]
}


def test_runs_only_on_version_tags() -> None:
    assert RELEASE["on"] == {"push": {"tags": ["v*"]}}


def test_jobs_run_in_order_notes_images_chart_sign_release() -> None:
    assert JOBS["images"]["needs"] == "notes"
    assert JOBS["chart"]["needs"] == "images"
    assert set(JOBS["sign"]["needs"]) == {"images", "chart"}
    assert set(JOBS["github-release"]["needs"]) == {"notes", "sign"}


def test_a_release_is_never_cancelled_halfway() -> None:
    assert RELEASE["concurrency"]["cancel-in-progress"] is False


def test_both_dockerfile_targets_are_built() -> None:
    matrix = JOBS["images"]["strategy"]["matrix"]["include"]
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


def test_images_carry_an_sbom_and_full_provenance_and_use_no_shared_cache() -> None:
    build = step_using(RELEASE, "docker/build-push-action", "images")["with"]
    assert build["sbom"] is True
    assert build["provenance"] == "mode=max"
    assert "cache-from" not in build


def test_each_image_digest_flows_from_its_build_to_a_job_output() -> None:
    assert step_with_id(RELEASE, "images", "build")["uses"].startswith("docker/build-push-action@")
    digest = step_with_id(RELEASE, "images", "digest")
    assert digest["env"] == {
        "TARGET": "${{ matrix.target }}",
        "DIGEST": "${{ steps.build.outputs.digest }}",
    }
    assert digest["run"] == 'echo "${TARGET}=${DIGEST}" >> "$GITHUB_OUTPUT"'
    assert JOBS["images"]["outputs"] == {
        "operator-digest": "${{ steps.digest.outputs.operator }}",
        "runtime-digest": "${{ steps.digest.outputs.runtime }}",
    }


def test_the_chart_is_pinned_to_the_pushed_digests_before_it_is_linted_and_packaged() -> None:
    chart = steps(RELEASE, "chart")
    pin = next(s for s in chart if "yq" in str(s.get("run", "")))
    assert pin["env"]["OPERATOR_DIGEST"] == "${{ needs.images.outputs.operator-digest }}"
    assert pin["env"]["RUNTIME_DIGEST"] == "${{ needs.images.outputs.runtime-digest }}"
    command = " ".join(pin["run"].split())
    assert ".image.digest = strenv(OPERATOR_DIGEST)" in command
    assert ".runtime.image.digest = strenv(RUNTIME_DIGEST)" in command
    assert '.image.repository = "ghcr.io/" + strenv(OWNER) + "/agent-operator"' in command
    assert '.runtime.image.repository = "ghcr.io/" + strenv(OWNER) + "/agent-runtime"' in command
    assert command.endswith("charts/agent-operator/values.yaml")
    order = [" ".join(str(s.get("run", "")).split()) for s in chart]
    position = order.index(" ".join(pin["run"].split()))
    assert all(
        not c.startswith(("helm lint", "helm package", "helm push")) for c in order[:position]
    )


def test_chart_is_packaged_with_the_tag_version_and_pushed_to_the_oci_registry() -> None:
    package = next(
        s for s in steps(RELEASE, "chart") if str(s.get("run", "")).startswith("helm package")
    )
    command = " ".join(package["run"].split())
    assert "charts/agent-operator" in command
    assert '--version "$VERSION" --app-version "$VERSION"' in command
    assert package["env"]["VERSION"] == "${{ steps.vars.outputs.version }}"
    push = step_with_id(RELEASE, "chart", "push")
    assert (
        'helm push "dist/agent-operator-${VERSION}.tgz" "oci://ghcr.io/${OWNER}/charts"'
        in push["run"]
    )
    assert push["env"]["OWNER"] == "${{ steps.vars.outputs.owner }}"


def test_the_chart_digest_pushed_is_what_gets_signed() -> None:
    push = step_with_id(RELEASE, "chart", "push")
    assert "set -o pipefail" in push["run"]
    assert 'echo "digest=${digest}" >> "$GITHUB_OUTPUT"' in push["run"]
    assert JOBS["chart"]["outputs"] == {"digest": "${{ steps.push.outputs.digest }}"}
    assert SIGNED["charts/agent-operator"] == "${{ needs.chart.outputs.digest }}"


def test_registry_token_is_passed_through_the_environment_not_the_command_line() -> None:
    login = next(c for c in runs(RELEASE, "chart") if "helm registry login" in c)
    assert "secrets." not in login
    assert "--password-stdin" in login


def test_both_images_and_the_chart_are_signed_by_the_digest_that_was_pushed() -> None:
    assert set(SIGNED) == IMAGES | {"charts/agent-operator"}
    assert SIGNED["agent-operator"] == "${{ needs.images.outputs.operator-digest }}"
    assert SIGNED["agent-runtime"] == "${{ needs.images.outputs.runtime-digest }}"
    step_using(RELEASE, "sigstore/cosign-installer", "sign")
    sign = next(s for s in steps(RELEASE, "sign") if "cosign sign" in str(s.get("run", "")))
    assert sign["run"] == 'cosign sign --yes "$REFERENCE"'
    assert sign["env"]["REFERENCE"] == (
        "ghcr.io/${{ steps.vars.outputs.owner }}/${{ matrix.artefact }}@${{ matrix.digest }}"
    )


def test_both_images_and_the_chart_get_a_provenance_attestation_in_the_registry() -> None:
    attest = step_using(RELEASE, "actions/attest", "sign")["with"]
    assert (
        attest["subject-name"] == "ghcr.io/${{ steps.vars.outputs.owner }}/${{ matrix.artefact }}"
    )
    assert attest["subject-digest"] == "${{ matrix.digest }}"
    assert attest["push-to-registry"] is True


def test_the_signing_job_alone_holds_an_oidc_token_and_runs_no_repository_code() -> None:
    for name, job in JOBS.items():
        assert ("id-token" in job["permissions"]) == (name == "sign"), name
    assert JOBS["sign"]["permissions"] == {
        "contents": "read",
        "packages": "write",
        "id-token": "write",
        "attestations": "write",
    }
    assert "actions/checkout" not in uses(RELEASE, "sign")
    assert "docker/build-push-action" not in uses(RELEASE, "sign")


def test_every_job_holds_only_what_its_steps_use() -> None:
    assert RELEASE["permissions"] == {"contents": "read"}
    assert JOBS["notes"]["permissions"] == {"contents": "read"}
    for job in ("images", "chart"):
        assert JOBS[job]["permissions"] == {"contents": "read", "packages": "write"}
    assert JOBS["github-release"]["permissions"] == {"contents": "write"}


def test_the_release_is_published_with_the_changelog_notes_for_the_existing_tag() -> None:
    assert JOBS["notes"]["outputs"] == {"notes": "${{ steps.notes.outputs.notes }}"}
    publish = steps(RELEASE, "github-release")
    assert [s.get("uses") for s in publish] == [None]
    assert publish[0]["env"]["NOTES"] == "${{ needs.notes.outputs.notes }}"
    command = " ".join(publish[0]["run"].split())
    assert command.startswith('gh release create "$GITHUB_REF_NAME"')
    assert '--notes "$NOTES"' in command
    assert "--verify-tag" in command
