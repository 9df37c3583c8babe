"""Children deleted or edited by hand are restored; a quiet resync writes nothing."""

from __future__ import annotations

import time

from kubernetes import client

from tests.emulator import EmulatorServer

from .agents import NAMESPACE, Agents, agent
from .operator import RESYNC_SECONDS, OperatorProcess, wait_for


def test_a_deleted_deployment_is_restored(
    operator: OperatorProcess, agents: Agents, api: object
) -> None:
    agents.create(agent("weather"))
    agents.wait_ready("weather")
    old_uid = agents.child("weather", "Deployment")["metadata"]["uid"]  # type: ignore[index]

    client.AppsV1Api(api).delete_namespaced_deployment("weather", NAMESPACE)

    restored = wait_for(
        lambda: (
            (d := agents.child("weather", "Deployment")) and d["metadata"]["uid"] != old_uid and d
        ),
        what="a new Deployment",
    )
    assert restored["metadata"]["ownerReferences"][0]["name"] == "weather"
    agents.wait_ready("weather")


def test_a_deleted_config_map_is_restored(
    operator: OperatorProcess, agents: Agents, core: client.CoreV1Api
) -> None:
    agents.create(agent("weather"))
    agents.wait_ready("weather")

    core.delete_namespaced_config_map("weather", NAMESPACE)

    restored = wait_for(lambda: agents.child("weather", "ConfigMap"), what="the ConfigMap back")
    assert "agent.json" in restored["data"]


def test_an_edited_image_label_and_config_are_put_back(
    operator: OperatorProcess, agents: Agents, api: object, core: client.CoreV1Api
) -> None:
    agents.create(agent("weather"))
    agents.wait_ready("weather")
    apps = client.AppsV1Api(api)
    deployment = agents.child("weather", "Deployment")
    assert deployment is not None
    image = deployment["spec"]["template"]["spec"]["containers"][0]["image"]
    config = agents.child("weather", "ConfigMap")["data"]["agent.json"]  # type: ignore[index]

    apps.patch_namespaced_deployment(
        "weather",
        NAMESPACE,
        {
            "spec": {
                "template": {"spec": {"containers": [{"name": "agent", "image": "evil:latest"}]}}
            }
        },
    )
    core.patch_namespaced_service(
        "weather", NAMESPACE, {"metadata": {"labels": {"app.kubernetes.io/managed-by": "someone"}}}
    )
    core.patch_namespaced_config_map("weather", NAMESPACE, {"data": {"agent.json": "{}"}})

    def put_back() -> bool:
        d = agents.child("weather", "Deployment") or {}
        s = agents.child("weather", "Service") or {}
        c = agents.child("weather", "ConfigMap") or {}
        return bool(
            d["spec"]["template"]["spec"]["containers"][0]["image"] == image
            and s["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "agent-operator"
            and c["data"]["agent.json"] == config
        )

    wait_for(put_back, what="the image, the label and the config to be restored")


def test_a_quiet_resync_writes_nothing(
    operator: OperatorProcess, agents: Agents, cluster: EmulatorServer
) -> None:
    for name in ("a1", "a2", "a3"):
        agents.create(agent(name))
    for name in ("a1", "a2", "a3"):
        agents.wait_ready(name)
    time.sleep(RESYNC_SECONDS * 1.5)  # let the first resync after creation settle
    cluster.reset_counts()

    reads_seen = wait_for(
        lambda: cluster.count(verb="get", user_agent="agent-operator", resource="deployments") >= 6,
        timeout=RESYNC_SECONDS * 10,
        what="two resyncs to read every Deployment",
    )

    assert reads_seen
    writes = [(r.method, r.path) for r in cluster.writes()]
    assert writes == []
