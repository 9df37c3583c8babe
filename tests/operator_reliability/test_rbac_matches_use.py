"""The operator's RBAC grants what it uses and nothing more.

A representative story runs against the emulator (create with Secrets, update, scale,
autoscaling on and off, a child deleted and restored, a missing Secret reported with an Event,
delete), the emulator records every request the operator makes (Kopf's and its own client's),
and the (group, resource, verb) triples are compared with what the chart grants by default.
"""

from __future__ import annotations

import base64
from typing import Any

from kubernetes import client

from tests.chart.rbac_rules import CHILD_RESOURCES, Permission, chart_rbac_rules
from tests.emulator import EmulatorServer
from tests.emulator.recorder import RecordedRequest
from tests.operator_e2e.agents import GROUP, NAMESPACE, PLURAL, VERSION, Agents, agent
from tests.operator_e2e.operator import OperatorProcess, wait_for

#: Granted but not seen against the emulator, each for a reason a real cluster imposes.
JUSTIFIED_UNUSED: dict[Permission, str] = {
    **{
        (group, resource, "create"): (
            "server-side apply of an object that does not exist yet is a create to the "
            "authorizer of a real API server (the emulator records it as the patch it is)"
        )
        for group, resource in CHILD_RESOURCES
    },
    ("agent-operator.io", "agents/finalizers", "update"): (
        "the children's owner references set blockOwnerDeletion, which the "
        "OwnerReferencesPermissionEnforcement admission plugin allows only to those who may "
        "update the owner's finalizers; the emulator runs no admission plugins"
    ),
}


def by_the_operator(request: RecordedRequest) -> bool:
    agent_name = request.user_agent.lower()
    return agent_name.startswith("agent-operator") or "kopf" in agent_name


def used_permissions(cluster: EmulatorServer) -> set[Permission]:
    used: set[Permission] = set()
    for request in cluster.requests:
        if not by_the_operator(request) or request.resource is None or not request.verb:
            continue
        resource = request.resource + (f"/{request.subresource}" if request.subresource else "")
        used.add((request.group or "", resource, request.verb))
    return used


def secret(name: str, key: str) -> client.V1Secret:
    value = base64.b64encode(b"not-a-real-key").decode()
    return client.V1Secret(metadata=client.V1ObjectMeta(name=name), data={key: value})


def run_the_story(agents: Agents, api: Any, core: client.CoreV1Api) -> None:
    """Everything a user does to Agents in a day, waiting for the operator at each step."""
    custom = client.CustomObjectsApi(api)
    core.create_namespaced_secret(NAMESPACE, secret("model-key", "apiKey"))
    agents.create(
        agent(
            "weather",
            model={"name": "m", "apiKeySecretRef": {"name": "model-key", "key": "apiKey"}},
        )
    )
    agents.wait_ready("weather")
    agents.create(
        agent("waiting", model={"name": "m", "apiKeySecretRef": {"name": "absent", "key": "k"}})
    )
    agents.wait_condition("waiting", "ResolvedRefs", "False", "SecretNotFound")

    agents.patch("weather", {"spec": {"instructions": "Answer in French."}})
    agents.wait_ready("weather")
    custom.patch_namespaced_custom_object_scale(
        GROUP, VERSION, NAMESPACE, PLURAL, "weather", {"spec": {"replicas": 3}}
    )
    wait_for(lambda: agents.child("weather", "PodDisruptionBudget"), what="a disruption budget")
    agents.wait_ready("weather")
    agents.patch(
        "weather",
        {
            "spec": {
                "autoscaling": {"minReplicas": 2, "maxReplicas": 4},
                "resources": {"requests": {"cpu": "100m"}},
            }
        },
    )
    wait_for(lambda: agents.child("weather", "HorizontalPodAutoscaler"), what="an autoscaler")
    agents.patch("weather", {"spec": {"autoscaling": None, "replicas": 1}})
    wait_for(
        lambda: (
            agents.child("weather", "HorizontalPodAutoscaler") is None
            and agents.child("weather", "PodDisruptionBudget") is None
        ),
        what="the autoscaler and the budget gone",
    )
    core.delete_namespaced_config_map("weather", NAMESPACE)
    wait_for(lambda: agents.child("weather", "ConfigMap"), what="the ConfigMap restored")
    client.AppsV1Api(api).delete_namespaced_deployment("weather", NAMESPACE)
    wait_for(lambda: agents.child("weather", "Deployment"), what="the Deployment restored")
    agents.wait_ready("weather")
    agents.delete("weather")
    agents.delete("waiting")
    wait_for(lambda: agents.get("weather") is None, what="the Agent gone")


def test_every_call_the_operator_makes_is_granted_and_every_grant_is_used(
    operator: OperatorProcess,
    agents: Agents,
    api: Any,
    core: client.CoreV1Api,
    cluster: EmulatorServer,
) -> None:
    run_the_story(agents, api, core)
    operator.stop()  # its last calls recorded too

    used = used_permissions(cluster)
    granted = chart_rbac_rules({})

    assert used - granted == set(), "the operator makes calls its RBAC does not allow"
    assert granted - used - set(JUSTIFIED_UNUSED) == set(), "granted but never used"
    assert set(JUSTIFIED_UNUSED) <= granted, "a justification for a permission not granted"
