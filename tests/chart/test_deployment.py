"""The operator's Deployment: one Kopf instance at a time, the CLI's arguments, probes, images."""

from __future__ import annotations

import tomllib

from tests.chart.rendering import REPO_ROOT, one, operator_container, render


def project_version() -> str:
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    return str(pyproject["project"]["version"])


def env_of(container: dict[str, object]) -> dict[str, object]:
    entries = container.get("env") or []
    assert isinstance(entries, list)
    return {entry["name"]: entry.get("value") for entry in entries}


def test_one_replica_replaced_with_recreate_so_two_operators_never_overlap() -> None:
    deployment = one(render(), "Deployment")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}


def test_default_watches_all_namespaces() -> None:
    args = operator_container(render())["args"]
    assert args[0] == "run"
    assert "-A" in args
    assert "-n" not in args


def test_listed_namespaces_become_one_dash_n_each() -> None:
    args = operator_container(render({"watch": {"namespaces": ["team-a", "team-b"]}}))["args"]
    assert "-A" not in args
    pairs = [args[i + 1] for i, arg in enumerate(args) if arg == "-n"]
    assert pairs == ["team-a", "team-b"]


def test_liveness_flag_and_probe_point_at_the_same_endpoint() -> None:
    container = operator_container(render())
    args = container["args"]
    assert args[args.index("--liveness") + 1] == "http://0.0.0.0:8080/healthz"
    probe = container["livenessProbe"]["httpGet"]
    assert probe["path"] == "/healthz"
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports[probe["port"]] == 8080


def test_metrics_port_flag_matches_the_container_port_and_the_service() -> None:
    objects = render()
    container = operator_container(objects)
    args = container["args"]
    assert args[args.index("--metrics-port") + 1] == "9090"
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports["metrics"] == 9090
    service_port = one(objects, "Service")["spec"]["ports"][0]
    assert service_port["targetPort"] == "metrics"


def test_image_tag_defaults_to_the_project_version() -> None:
    container = operator_container(render())
    assert container["image"] == f"ghcr.io/agent-operator/agent-operator:{project_version()}"
    runtime_image = env_of(container)["AGENT_OPERATOR_RUNTIME_IMAGE"]
    assert runtime_image == f"ghcr.io/agent-operator/agent-runtime:{project_version()}"


def test_custom_images_and_pull_policy_come_from_values() -> None:
    values = {
        "image": {"repository": "reg.example/op", "tag": "v9", "pullPolicy": "Always"},
        "runtime": {"image": {"repository": "reg.example/rt", "tag": "v8"}},
    }
    container = operator_container(render(values))
    assert container["image"] == "reg.example/op:v9"
    assert container["imagePullPolicy"] == "Always"
    assert env_of(container)["AGENT_OPERATOR_RUNTIME_IMAGE"] == "reg.example/rt:v8"


def test_verbose_and_extra_args_are_appended() -> None:
    args = operator_container(render({"verbose": True, "extraArgs": ["--dev"]}))["args"]
    assert args[-2:] == ["--verbose", "--dev"]


def test_resources_come_from_values() -> None:
    resources = {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"memory": "2Gi"}}
    assert operator_container(render({"resources": resources}))["resources"] == resources


def test_pod_runs_as_the_chart_service_account() -> None:
    objects = render()
    pod = one(objects, "Deployment")["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == one(objects, "ServiceAccount")["metadata"]["name"]


def test_an_existing_service_account_is_used_and_not_created() -> None:
    objects = render({"serviceAccount": {"create": False, "name": "existing"}})
    assert [obj for obj in objects if obj["kind"] == "ServiceAccount"] == []
    pod = one(objects, "Deployment")["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "existing"
    binding = one(objects, "ClusterRoleBinding")
    assert binding["subjects"][0]["name"] == "existing"


def test_service_links_are_off_so_no_variable_shares_the_settings_prefix() -> None:
    pod = one(render(), "Deployment")["spec"]["template"]["spec"]
    assert pod["enableServiceLinks"] is False
