"""The Deployment: the runtime's pods, their mounts, probes, security and rollout triggers."""

from __future__ import annotations

from typing import Any

import pytest

from agent_operator.builders import CONFIG_HASH_ANNOTATION
from agent_operator.settings import OperatorSettings
from agent_runtime.config import SECRETS_MOUNT_DIR
from tests.operator_unit.conftest import BuildChildren


def _pod(children: BuildChildren, **fields: Any) -> dict[str, Any]:
    pod: dict[str, Any] = children(**fields)["Deployment"]["spec"]["template"]
    return pod


def _container(children: BuildChildren, **fields: Any) -> dict[str, Any]:
    container: dict[str, Any] = _pod(children, **fields)["spec"]["containers"][0]
    return container


def _hash(children: BuildChildren, **fields: Any) -> str:
    annotations: dict[str, str] = _pod(children, **fields)["metadata"]["annotations"]
    return annotations[CONFIG_HASH_ANNOTATION]


def test_the_runtime_serves_the_mounted_config(children: BuildChildren) -> None:
    container = _container(children)
    assert [*container["command"], *container["args"]] == [
        "agent-runtime",
        "serve",
        "--config",
        "/etc/agent-runtime/agent.json",
    ]
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert mounts["config"] == {
        "name": "config",
        "mountPath": "/etc/agent-runtime",
        "readOnly": True,
    }
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]


def test_deployment_mounts_each_secret_key_as_a_file(children: BuildChildren) -> None:
    pod = _pod(
        children,
        model={"name": "m", "apiKeySecretRef": {"name": "shared", "key": "apiKey"}},
        auth={"bearerTokenSecretRef": {"name": "shared", "key": "token"}},
        tools=[
            {
                "name": "t",
                "mcp": {
                    "url": "https://mcp.example",
                    "headers": [
                        {
                            "name": "X",
                            "valueFrom": {"secretKeyRef": {"name": "mcp.creds", "key": "k"}},
                        }
                    ],
                },
            }
        ],
    )
    secrets = {v["secret"]["secretName"]: v for v in pod["spec"]["volumes"] if "secret" in v}
    assert sorted(secrets) == ["mcp.creds", "shared"]
    assert secrets["shared"]["secret"]["items"] == [
        {"key": "apiKey", "path": "apiKey"},
        {"key": "token", "path": "token"},
    ]
    mounts = {m["name"]: m for m in pod["spec"]["containers"][0]["volumeMounts"]}
    shared = mounts[secrets["shared"]["name"]]
    assert shared["mountPath"] == f"{SECRETS_MOUNT_DIR}/shared"
    assert shared["readOnly"] is True


def test_deployment_mounts_the_token_an_agent_tool_sends(children: BuildChildren) -> None:
    auth = {"bearerTokenSecretRef": {"name": "billing-caller", "key": "token"}}
    pod = _pod(children, tools=[{"name": "b", "agent": {"name": "billing", "auth": auth}}])
    (volume,) = [v for v in pod["spec"]["volumes"] if "secret" in v]
    assert volume["secret"]["secretName"] == "billing-caller"
    assert volume["secret"]["items"] == [{"key": "token", "path": "token"}]
    mounts = {m["name"]: m for m in pod["spec"]["containers"][0]["volumeMounts"]}
    assert mounts[volume["name"]]["mountPath"] == f"{SECRETS_MOUNT_DIR}/billing-caller"


def test_secret_mounts_are_whole_volumes_so_a_rotated_key_reaches_the_pod(
    children: BuildChildren,
) -> None:
    # The kubelet refreshes a mounted Secret volume in place when the Secret changes, but never
    # a `subPath` mount; the runtime re-reads the file at each use, so no pod has to roll.
    pod = _pod(children, model={"name": "m", "apiKeySecretRef": {"name": "s", "key": "apiKey"}})
    mounts = pod["spec"]["containers"][0]["volumeMounts"]
    assert all("subPath" not in m and "subPathExpr" not in m for m in mounts)
    template_annotations = pod["metadata"].get("annotations") or {}
    assert not any("secret" in key.lower() for key in template_annotations)


def test_an_agent_without_secrets_mounts_none(children: BuildChildren) -> None:
    volumes = _pod(children)["spec"]["volumes"]
    assert [v["name"] for v in volumes] == ["config", "tmp"]


def test_a_config_change_changes_the_pod_template(children: BuildChildren) -> None:
    assert _hash(children, instructions="a") != _hash(children, instructions="b")


def test_an_unchanged_config_keeps_the_pod_template(children: BuildChildren) -> None:
    assert _hash(children, instructions="a") == _hash(children, instructions="a")


def test_a_replica_change_leaves_the_config_hash_alone(children: BuildChildren) -> None:
    assert _hash(children, replicas=1) == _hash(children, replicas=4)


def test_pods_run_under_the_restricted_security_standard(children: BuildChildren) -> None:
    pod = _pod(children)["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 65532
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    container = pod["containers"][0]["securityContext"]
    assert container == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }


def test_a_writable_tmp_is_given_on_a_read_only_root(children: BuildChildren) -> None:
    pod = _pod(children)["spec"]
    assert {"name": "tmp", "emptyDir": {}} in pod["volumes"]
    assert {"name": "tmp", "mountPath": "/tmp"} in pod["containers"][0]["volumeMounts"]


def test_pods_use_the_agents_own_service_account(children: BuildChildren) -> None:
    assert _pod(children)["spec"]["serviceAccountName"] == "weather"


def test_probes_ask_the_runtime_on_its_http_port(children: BuildChildren) -> None:
    container = _container(children)
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}


def test_the_selector_matches_the_pod_labels(children: BuildChildren) -> None:
    deployment = children()["Deployment"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= pod_labels.items()


@pytest.mark.parametrize("replicas", [0, 1, 5])
def test_replicas_come_from_the_spec(children: BuildChildren, replicas: int) -> None:
    assert children(replicas=replicas)["Deployment"]["spec"]["replicas"] == replicas


def test_hpa_leaves_replicas_to_the_autoscaler(children: BuildChildren) -> None:
    deployment = children(replicas=3, autoscaling={"maxReplicas": 5})["Deployment"]
    assert "replicas" not in deployment["spec"]


def test_the_image_comes_from_the_spec_or_the_settings(
    children: BuildChildren, settings: OperatorSettings
) -> None:
    assert _container(children)["image"] == settings.runtime_image
    assert _container(children, image="example.com/rt:2")["image"] == "example.com/rt:2"


def test_resources_come_from_the_spec_as_strings(children: BuildChildren) -> None:
    container = _container(children, resources={"requests": {"cpu": 1, "memory": "64Mi"}})
    assert container["resources"] == {"requests": {"cpu": "1", "memory": "64Mi"}}


def test_default_resources_request_cpu_so_autoscaling_works(children: BuildChildren) -> None:
    resources = _container(children, autoscaling={"maxReplicas": 3})["resources"]
    assert "cpu" in resources["requests"]


def test_pods_get_time_to_finish_the_longest_request(children: BuildChildren) -> None:
    pod = _pod(children, limits={"requestTimeoutSeconds": 90.5})["spec"]
    assert pod["terminationGracePeriodSeconds"] > 90.5
