"""Bad Agents are refused or reported; they never stop the others from reconciling."""

from __future__ import annotations

import json

import pytest
from kubernetes.client.exceptions import ApiException

from tests.emulator import EmulatorServer

from .agents import NAMESPACE, Agents, agent
from .operator import OperatorProcess, wait_for


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ({"model": {}}, "spec.model.name"),
        ({"replicas": -1}, "spec.replicas"),
        (
            {"tools": [{"name": "t", "http": {"url": "http://x"}, "mcp": {"url": "http://y"}}]},
            "exactly one of",
        ),
        ({"autoscaling": {"minReplicas": 5, "maxReplicas": 2}}, "minReplicas"),
    ],
)
def test_the_schema_refuses_an_invalid_agent_with_a_message_naming_the_field(
    cluster: EmulatorServer, agents: Agents, spec: dict[str, object], fragment: str
) -> None:
    with pytest.raises(ApiException) as refused:
        agents.create(agent("broken", **spec))

    assert refused.value.status == 422
    body = json.loads(refused.value.body or "{}")
    assert body["reason"] == "Invalid"
    assert fragment in body["message"]
    assert agents.get("broken") is None


def test_a_broken_agent_does_not_hold_back_the_healthy_ones(
    operator: OperatorProcess, agents: Agents, cluster: EmulatorServer
) -> None:
    # One Agent whose Deployment the API keeps refusing, and one waiting for a Secret.
    cluster.faults.add(verb="patch", resource="deployments", name="cursed", status=500, times=None)
    agents.create(agent("cursed"))
    agents.create(
        agent(
            "waiting",
            model={"name": "m", "apiKeySecretRef": {"name": "absent", "key": "apiKey"}},
        )
    )
    healthy = [f"healthy-{i}" for i in range(5)]
    for name in healthy:
        agents.create(agent(name))

    for name in healthy:
        agents.wait_ready(name)
    cursed = agents.wait_condition("cursed", "Ready", "False", "ReconcileError")
    assert "Deployment" in cursed["message"]
    agents.wait_condition("waiting", "ResolvedRefs", "False", "SecretNotFound")
    assert operator.process is not None
    assert operator.process.poll() is None
    assert NAMESPACE in cursed["message"] or "cursed" in cursed["message"]


def test_a_tool_schema_the_crd_lets_through_is_reported_naming_the_field(
    operator: OperatorProcess, agents: Agents, cluster: EmulatorServer
) -> None:
    # The CRD keeps a tool's JSON Schema as written: only the operator can check it.
    tool = {
        "name": "lookup",
        "http": {"url": "http://tools.test"},
        "parameters": {"type": "objekt"},
    }
    agents.create(agent("malformed", tools=[tool]))
    agents.create(agent("sound"))

    agents.wait_ready("sound")
    ready = agents.wait_condition("malformed", "Ready", "False", "InvalidSpec")
    assert ready["message"].startswith("spec.tools[0].parameters: not a valid JSON Schema")

    def warnings() -> list[dict[str, object]]:
        return [
            e
            for e in cluster.list_objects("events", NAMESPACE)
            if e.get("reason") == "InvalidSpec" and e["involvedObject"]["name"] == "malformed"
        ]

    (event,) = wait_for(warnings, what="a Warning Event naming the malformed schema")
    assert event["type"] == "Warning"
    assert "spec.tools[0].parameters" in str(event["message"])
    assert agents.child("malformed", "Deployment") is None
    assert agents.child("malformed", "ConfigMap") is None
    assert operator.process is not None
    assert operator.process.poll() is None
