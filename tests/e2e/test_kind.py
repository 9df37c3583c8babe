"""End to end on kind: install the chart, then create, call, scale, update and delete an Agent.

Needs Docker, kind, kubectl and helm; without them the whole module is skipped with the reason.
Run it with `make e2e`. The tests run in file order against one cluster that the module creates
under a unique name and deletes at the end, whatever happens.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.kind import (
    MANIFESTS,
    WAIT_TIMEOUT,
    KindCluster,
    build_images,
    install,
    missing_requirements,
    unique_cluster_name,
)

REASON = missing_requirements()
if REASON is not None:
    pytest.skip(f"kind end-to-end suite skipped: {REASON}", allow_module_level=True)

pytestmark = pytest.mark.e2e

NAMESPACE = "e2e"
AGENT = "agent/echo"
CHILD_KINDS = "deployments,services,configmaps,serviceaccounts,networkpolicies,poddisruptionbudgets"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KindCluster]:
    kubeconfig = tmp_path_factory.mktemp("kind") / "kubeconfig"
    created = KindCluster(unique_cluster_name(), kubeconfig)
    build_images()
    try:
        # Inside the try: a cluster that failed half-way through creation is deleted too.
        created.create()
        install(created)
        yield created
    finally:
        created.delete()


def wait_ready(cluster: KindCluster) -> None:
    cluster.kubectl(
        "-n",
        NAMESPACE,
        "wait",
        "--for=condition=Ready",
        AGENT,
        f"--timeout={WAIT_TIMEOUT}s",
        timeout=WAIT_TIMEOUT + 30,
    )


def agent_json(cluster: KindCluster) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(
        cluster.kubectl("-n", NAMESPACE, "get", AGENT, "-o", "json").stdout
    )
    return loaded


def deployment_generation(cluster: KindCluster) -> int:
    out = cluster.kubectl(
        "-n", NAMESPACE, "get", "deployment/echo", "-o", "jsonpath={.metadata.generation}"
    )
    return int(out.stdout)


def test_agent_becomes_ready(cluster: KindCluster) -> None:
    cluster.kubectl("apply", "-f", str(MANIFESTS / "agent.yaml"))
    wait_ready(cluster)
    body = agent_json(cluster)
    status = body["status"]
    assert isinstance(status, dict)
    metadata = body["metadata"]
    assert isinstance(metadata, dict)
    assert status["observedGeneration"] == metadata["generation"]


def test_agent_answers_through_its_service(cluster: KindCluster) -> None:
    from mistralai.client import Mistral
    from mistralai.client.models import UserMessage

    process, port = cluster.port_forward("svc/echo", 80)
    try:
        client = Mistral(api_key="unused", server_url=f"http://127.0.0.1:{port}", timeout_ms=30_000)
        response = client.chat.complete(model="echo", messages=[UserMessage(content="Say hello.")])
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert response.choices
    message = response.choices[0].message
    assert message is not None
    assert message.content


def test_scaling_the_agent_scales_its_deployment(cluster: KindCluster) -> None:
    cluster.kubectl("-n", NAMESPACE, "scale", AGENT, "--replicas=2")
    cluster.kubectl(
        "-n",
        NAMESPACE,
        "wait",
        "--for=jsonpath={.status.readyReplicas}=2",
        AGENT,
        f"--timeout={WAIT_TIMEOUT}s",
        timeout=WAIT_TIMEOUT + 30,
    )
    replicas = cluster.kubectl(
        "-n", NAMESPACE, "get", "deployment/echo", "-o", "jsonpath={.spec.replicas}"
    )
    assert replicas.stdout == "2"


def test_updating_the_instructions_rolls_out_a_new_revision(cluster: KindCluster) -> None:
    before = deployment_generation(cluster)
    patch = json.dumps({"spec": {"instructions": "You repeat what you are told, in capitals."}})
    cluster.kubectl("-n", NAMESPACE, "patch", AGENT, "--type=merge", "-p", patch)
    deadline = time.monotonic() + WAIT_TIMEOUT
    while deployment_generation(cluster) == before:
        assert time.monotonic() < deadline, "the Deployment was not updated"
        time.sleep(2)
    cluster.kubectl(
        "-n",
        NAMESPACE,
        "rollout",
        "status",
        "deployment/echo",
        f"--timeout={WAIT_TIMEOUT}s",
        timeout=WAIT_TIMEOUT + 30,
    )
    wait_ready(cluster)


def test_deleting_the_agent_collects_its_children(cluster: KindCluster) -> None:
    cluster.kubectl(
        "-n", NAMESPACE, "delete", AGENT, f"--timeout={WAIT_TIMEOUT}s", timeout=WAIT_TIMEOUT + 30
    )
    deadline = time.monotonic() + WAIT_TIMEOUT
    while True:
        left = cluster.kubectl(
            "-n",
            NAMESPACE,
            "get",
            CHILD_KINDS,
            "-l",
            "app.kubernetes.io/instance=echo",
            "-o",
            "name",
        ).stdout.split()
        if not left:
            break
        assert time.monotonic() < deadline, f"not garbage-collected: {left}"
        time.sleep(2)


def test_uninstalling_the_chart_keeps_the_crd(cluster: KindCluster) -> None:
    cluster.helm("uninstall", "agent-operator", "--namespace", "agent-operator-system", "--wait")
    crd = cluster.kubectl("get", "crd", "agents.agent-operator.io", "-o", "name")
    assert (
        crd.stdout.strip()
        == "customresourcedefinition.apiextensions.k8s.io/agents.agent-operator.io"
    )


def test_the_suite_ran_against_its_own_kubeconfig(cluster: KindCluster) -> None:
    assert Path(cluster.kubeconfig).is_file()
    assert cluster.context == f"kind-{cluster.name}"
