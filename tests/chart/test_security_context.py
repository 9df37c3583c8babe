"""The operator runs under the restricted Pod Security Standard."""

from __future__ import annotations

from tests.chart.rendering import one, operator_container, render


def test_container_is_non_root_read_only_and_drops_every_capability() -> None:
    context = operator_container(render())["securityContext"]
    assert context["runAsNonRoot"] is True
    assert context["runAsUser"] == 65532
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]
    assert "add" not in context["capabilities"]
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}


def test_pod_is_non_root_with_the_runtime_default_seccomp_profile() -> None:
    pod = one(render(), "Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert not pod.get("hostNetwork")
    assert not pod.get("hostPID")


def test_the_only_writable_path_is_a_bounded_tmp_volume() -> None:
    objects = render()
    mounts = operator_container(objects)["volumeMounts"]
    assert [mount["mountPath"] for mount in mounts] == ["/tmp"]
    volumes = one(objects, "Deployment")["spec"]["template"]["spec"]["volumes"]
    assert volumes == [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}]
