"""Secret values never leave the Secret: not into children, status, Events, annotations or logs.

`tests/operator_e2e/test_secrets.py` covers the model's API key; here the header secrets of
HTTP tools and the bearer token of `spec.auth` too, with the operator at `--debug` (every API
call it makes in its log), and through a rotation and a missing key.
"""

from __future__ import annotations

import base64
from typing import Any

from kubernetes import client

from tests.emulator import EmulatorServer
from tests.operator_e2e.agents import KINDS, NAMESPACE, Agents, agent
from tests.operator_e2e.operator import OperatorProcess, wait_for

VALUES = {
    ("model-key", "apiKey"): "sk-model-5b1e-never-seen",
    ("weather-api", "token"): "hdr-weather-77c2-never-seen",
    ("weather-api", "extra"): "hdr-unused-key-0a9d-never-seen",
    ("callers", "token"): "bearer-callers-e4f0-never-seen",
}
ROTATED = "sk-model-rotated-91aa-never-seen"


def secret(name: str, values: dict[str, str]) -> client.V1Secret:
    data = {k: base64.b64encode(v.encode()).decode() for k, v in values.items()}
    return client.V1Secret(metadata=client.V1ObjectMeta(name=name), data=data)


def with_every_kind_of_secret(name: str) -> dict[str, Any]:
    return agent(
        name,
        model={
            "name": "mistral-small-latest",
            "apiKeySecretRef": {"name": "model-key", "key": "apiKey"},
        },
        tools=[
            {
                "name": "get_weather",
                "http": {
                    "url": "https://weather.example.net/v1/current",
                    "headers": [
                        {
                            "name": "Authorization",
                            "valueFrom": {"secretKeyRef": {"name": "weather-api", "key": "token"}},
                        },
                        {"name": "Accept", "value": "application/json"},
                    ],
                },
            }
        ],
        auth={"bearerTokenSecretRef": {"name": "callers", "key": "token"}},
    )


def create_secrets(core: client.CoreV1Api) -> None:
    by_secret: dict[str, dict[str, str]] = {}
    for (name, key), value in VALUES.items():
        by_secret.setdefault(name, {})[key] = value
    for name, values in by_secret.items():
        core.create_namespaced_secret(NAMESPACE, secret(name, values))


def everything_but_secrets(cluster: EmulatorServer, agents: Agents) -> str:
    """Every Agent, child, Event and ConfigMap of the namespace, as one text."""
    objects: list[Any] = list(cluster.list_objects("agents", NAMESPACE, "agent-operator.io"))
    for plural, group in KINDS.values():
        objects += cluster.list_objects(plural, NAMESPACE, group)
    objects += cluster.list_objects("events", NAMESPACE)
    return repr(objects)


def assert_no_value_in(text: str, values: list[str]) -> None:
    for value in values:
        assert value not in text
        assert base64.b64encode(value.encode()).decode() not in text


def test_header_auth_and_model_secrets_travel_only_by_reference(
    debug_operator: OperatorProcess, agents: Agents, cluster: EmulatorServer, core: client.CoreV1Api
) -> None:
    create_secrets(core)
    agents.create(with_every_kind_of_secret("weather"))
    agents.wait_ready("weather")

    deployment = agents.child("weather", "Deployment") or {}
    volumes = deployment["spec"]["template"]["spec"]["volumes"]
    referenced = {
        (v["secret"]["secretName"], item["key"])
        for v in volumes
        if "secret" in v
        for item in v["secret"]["items"]
    }
    assert referenced == {("model-key", "apiKey"), ("weather-api", "token"), ("callers", "token")}
    config = (agents.child("weather", "ConfigMap") or {})["data"]["agent.json"]
    assert "/weather-api/token" in config  # the header names the file, not the value
    assert cluster.count(verb="get", resource="secrets", user_agent="agent-operator") >= 3
    assert "/secrets/" in debug_operator.log  # the Secret reads are in the debug log...
    assert_no_value_in(everything_but_secrets(cluster, agents), list(VALUES.values()))
    assert_no_value_in(debug_operator.log, list(VALUES.values()))  # ...their values are not


def test_a_rotated_or_missing_key_leaks_nothing_either(
    debug_operator: OperatorProcess, agents: Agents, cluster: EmulatorServer, core: client.CoreV1Api
) -> None:
    create_secrets(core)
    agents.create(with_every_kind_of_secret("weather"))
    agents.wait_ready("weather")

    core.replace_namespaced_secret(
        "model-key", NAMESPACE, secret("model-key", {"otherKey": ROTATED})
    )
    agents.patch("weather", {"spec": {"instructions": "Answer in one line."}})
    agents.wait_condition("weather", "ResolvedRefs", "False", "SecretKeyNotFound")
    core.replace_namespaced_secret("model-key", NAMESPACE, secret("model-key", {"apiKey": ROTATED}))
    agents.wait_ready("weather")
    wait_for(
        lambda: agents.condition("weather", "ResolvedRefs")["status"] == "True",  # type: ignore[index]
        what="the refs resolved again",
    )

    values = [*VALUES.values(), ROTATED]
    assert_no_value_in(everything_but_secrets(cluster, agents), values)
    assert_no_value_in(debug_operator.log, values)
