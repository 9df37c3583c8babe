"""Changing an Agent changes its children: new config, a new rollout, optional children."""

from __future__ import annotations

import json
from typing import Any

from agent_operator.builders import CONFIG_HASH_ANNOTATION
from tests.emulator import EmulatorServer

from .agents import NAMESPACE, Agents, agent
from .operator import OperatorProcess, wait_for


def pod_template_hash(agents: Agents, name: str) -> str:
    deployment = agents.child(name, "Deployment")
    assert deployment is not None
    return str(deployment["spec"]["template"]["metadata"]["annotations"][CONFIG_HASH_ANNOTATION])


def test_changing_instructions_rolls_out_a_new_config(
    operator: OperatorProcess, agents: Agents
) -> None:
    agents.create(agent("weather"))
    agents.wait_ready("weather")
    before = pod_template_hash(agents, "weather")

    agents.patch("weather", {"spec": {"instructions": "Answer in French."}})

    def new_config() -> dict[str, object] | None:
        cm = agents.child("weather", "ConfigMap") or {}
        config = json.loads(cm.get("data", {}).get("agent.json", "{}"))
        return config if config.get("instructions") == "Answer in French." else None

    wait_for(new_config, what="the ConfigMap to carry the new instructions")
    # The children are applied side by side: the Deployment may come a moment after.
    wait_for(
        lambda: pod_template_hash(agents, "weather") != before,
        what="the pod template to carry the new config's checksum",
    )
    obj = agents.wait_ready("weather")
    assert obj["status"]["observedGeneration"] == 2


def test_changing_model_and_tools_reaches_the_config(
    operator: OperatorProcess, agents: Agents
) -> None:
    agents.create(agent("weather"))
    agents.wait_ready("weather")

    tool = {
        "name": "get_weather",
        "description": "Weather by city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        "http": {"url": "http://weather.tools.svc/v1/current", "method": "GET"},
    }
    agents.patch("weather", {"spec": {"model": {"name": "mistral-large-latest"}, "tools": [tool]}})

    def updated() -> dict[str, object] | None:
        cm = agents.child("weather", "ConfigMap") or {}
        config = json.loads(cm.get("data", {}).get("agent.json", "{}"))
        return config if config.get("model", {}).get("name") == "mistral-large-latest" else None

    config = wait_for(updated, what="the new model in the ConfigMap")
    assert [t["name"] for t in config["tools"]] == ["get_weather"]  # type: ignore[attr-defined]


def test_scale_subresource_scales_the_deployment_and_adds_a_budget(
    operator: OperatorProcess, agents: Agents, api: object
) -> None:
    from kubernetes import client

    agents.create(agent("weather"))
    agents.wait_ready("weather")

    custom = client.CustomObjectsApi(api)
    custom.patch_namespaced_custom_object_scale(
        "agent-operator.io", "v1alpha1", NAMESPACE, "agents", "weather", {"spec": {"replicas": 3}}
    )
    wait_for(
        lambda: (agents.child("weather", "Deployment") or {}).get("spec", {}).get("replicas") == 3,
        what="the Deployment to have 3 replicas",
    )
    budget = wait_for(lambda: agents.child("weather", "PodDisruptionBudget"), what="a PDB")
    assert budget["spec"]["selector"]["matchLabels"]["app.kubernetes.io/instance"] == "weather"
    obj = agents.wait_ready("weather")
    assert obj["status"]["replicas"] == 3
    scale: dict[str, Any] = custom.get_namespaced_custom_object_scale(  # type: ignore[assignment]
        "agent-operator.io", "v1alpha1", NAMESPACE, "agents", "weather"
    )
    assert scale["status"]["replicas"] == 3
    assert "app.kubernetes.io/instance=weather" in scale["status"]["selector"]

    agents.patch("weather", {"spec": {"replicas": 1}})
    wait_for(
        lambda: agents.child("weather", "PodDisruptionBudget") is None,
        what="the PDB to be deleted once replicas are back to 1",
    )


def test_autoscaling_adds_an_hpa_that_owns_replicas_and_removing_it_deletes_it(
    operator: OperatorProcess, agents: Agents
) -> None:
    agents.create(agent("weather"))
    agents.wait_ready("weather")

    autoscaling = {"minReplicas": 2, "maxReplicas": 5, "targetCPUUtilizationPercentage": 70}
    agents.patch("weather", {"spec": {"autoscaling": autoscaling}})
    hpa = wait_for(lambda: agents.child("weather", "HorizontalPodAutoscaler"), what="an HPA")
    assert hpa["spec"]["minReplicas"] == 2
    assert hpa["spec"]["maxReplicas"] == 5
    assert hpa["spec"]["scaleTargetRef"]["name"] == "weather"

    agents.patch("weather", {"spec": {"autoscaling": None}})
    wait_for(
        lambda: agents.child("weather", "HorizontalPodAutoscaler") is None,
        what="the HPA to be deleted once autoscaling is removed",
    )


def test_delete_removes_every_child(
    operator: OperatorProcess, agents: Agents, cluster: EmulatorServer
) -> None:
    agents.create(agent("weather", replicas=2))
    agents.wait_ready("weather")
    assert agents.child("weather", "PodDisruptionBudget") is not None

    agents.delete("weather")

    def all_gone() -> bool:
        kinds = ["ConfigMap", "Deployment", "Service", "ServiceAccount", "NetworkPolicy"]
        return agents.get("weather") is None and all(
            agents.child("weather", k) is None for k in [*kinds, "PodDisruptionBudget"]
        )

    wait_for(all_gone, what="the Agent and its children to be gone")
