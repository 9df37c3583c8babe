"""GitOps order does not matter: an Agent applied before its Secret waits for it, visibly."""

from __future__ import annotations

import base64

from kubernetes import client

from tests.emulator import EmulatorServer

from .agents import NAMESPACE, Agents, agent
from .operator import OperatorProcess, wait_for

SECRET_VALUE = "sk-test-do-not-leak-3f9a"


def with_key_ref(name: str) -> dict[str, object]:
    return agent(
        name,
        model={
            "name": "mistral-small-latest",
            "apiKeySecretRef": {"name": "mistral-secrets", "key": "apiKey"},
        },
    )


def secret(data: dict[str, str]) -> client.V1Secret:
    encoded = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
    return client.V1Secret(metadata=client.V1ObjectMeta(name="mistral-secrets"), data=encoded)


def test_agent_before_its_secret_reports_the_missing_name_and_key_then_becomes_ready(
    operator: OperatorProcess, agents: Agents, core: client.CoreV1Api
) -> None:
    agents.create(with_key_ref("weather"))

    refs = agents.wait_condition("weather", "ResolvedRefs", "False", "SecretNotFound")
    assert "mistral-secrets" in refs["message"]
    assert "apiKey" in refs["message"]
    ready = agents.wait_condition("weather", "Ready", "False")
    assert ready["reason"] == "SecretsMissing"

    core.create_namespaced_secret(NAMESPACE, secret({"apiKey": SECRET_VALUE}))

    agents.wait_ready("weather")
    assert agents.condition("weather", "ResolvedRefs")["status"] == "True"  # type: ignore[index]


def test_a_missing_key_is_named_and_posted_as_a_warning_event(
    operator: OperatorProcess, agents: Agents, core: client.CoreV1Api, cluster: EmulatorServer
) -> None:
    core.create_namespaced_secret(NAMESPACE, secret({"otherKey": SECRET_VALUE}))
    agents.create(with_key_ref("weather"))

    refs = agents.wait_condition("weather", "ResolvedRefs", "False", "SecretKeyNotFound")
    assert "'apiKey'" in refs["message"]

    def warning() -> list[dict[str, object]]:
        events = cluster.list_objects("events", NAMESPACE)
        return [
            e for e in events if e.get("type") == "Warning" and e.get("reason") == "SecretsMissing"
        ]

    events = wait_for(warning, what="a Warning Event about the missing key")
    assert events[0]["involvedObject"]["name"] == "weather"  # type: ignore[index]


def test_the_secret_travels_only_by_reference(
    operator: OperatorProcess, agents: Agents, core: client.CoreV1Api, cluster: EmulatorServer
) -> None:
    core.create_namespaced_secret(NAMESPACE, secret({"apiKey": SECRET_VALUE}))
    agents.create(with_key_ref("weather"))
    agents.wait_ready("weather")

    deployment = agents.child("weather", "Deployment")
    assert deployment is not None
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    secret_volumes = [v["secret"] for v in volumes.values() if "secret" in v]
    assert secret_volumes[0]["secretName"] == "mistral-secrets"
    assert [item["key"] for item in secret_volumes[0]["items"]] == ["apiKey"]

    everything = [
        agents.get("weather"),
        *(
            agents.child("weather", k)
            for k in ("ConfigMap", "Deployment", "Service", "NetworkPolicy")
        ),
        *cluster.list_objects("events", NAMESPACE),
    ]
    encoded = base64.b64encode(SECRET_VALUE.encode()).decode()
    for obj in everything:
        assert SECRET_VALUE not in repr(obj)
        assert encoded not in repr(obj)
    assert SECRET_VALUE not in operator.log
