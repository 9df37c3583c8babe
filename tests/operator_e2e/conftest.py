"""Fixtures for running the real operator against the emulator, and for handling Agents."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from tests.emulator import EmulatorServer

from .agents import Agents
from .operator import OperatorProcess, running_operator


@pytest.fixture
def cluster(k8s_deployments: EmulatorServer) -> EmulatorServer:
    """The emulator with the Agent CRD installed and a stand-in Deployment controller."""
    k8s_deployments.install({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}})
    return k8s_deployments


@pytest.fixture
def operator(
    cluster: EmulatorServer, k8s_kubeconfig: Path, tmp_path: Path
) -> Iterator[OperatorProcess]:
    """`agent-operator run` against the emulator; stopped (and its log shown) at the end."""
    with running_operator(k8s_kubeconfig, tmp_path / "operator.log") as process:
        yield process


@pytest.fixture
def api(cluster: EmulatorServer) -> Iterator[Any]:
    api_client = cluster.api_client()
    try:
        yield api_client
    finally:
        api_client.close()


@pytest.fixture
def agents(api: Any, cluster: EmulatorServer) -> Agents:
    return Agents(api, cluster)


@pytest.fixture
def core(api: Any) -> client.CoreV1Api:
    return client.CoreV1Api(api)
