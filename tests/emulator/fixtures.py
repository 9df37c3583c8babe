"""Pytest fixtures: a running emulator, a kubeconfig pointing at it, a configured client.

- `k8s`: an :class:`~tests.emulator.server.EmulatorServer` on a free port of 127.0.0.1,
  with the repository's crds/*.yaml (the Agent CRD) installed when present.
- `k8s_kubeconfig`: the path of a kubeconfig for it; `KUBECONFIG` (and the `kubernetes`
  library's default location, which Kopf's login uses) point at it for the test.
- `k8s_api_client`: a `kubernetes.client.ApiClient` for it.
- `k8s_deployments`: the same `k8s`, with the stand-in Deployment controller switched on.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .server import EmulatorServer

CRDS_DIR = Path(__file__).resolve().parents[2] / "crds"


def install_project_crds(server: EmulatorServer) -> None:
    for path in sorted(CRDS_DIR.glob("*.yaml")):
        server.install_file(path)


@pytest.fixture
def k8s() -> Iterator[EmulatorServer]:
    server = EmulatorServer().start()
    try:
        install_project_crds(server)
        yield server
    finally:
        server.stop()


@pytest.fixture
def k8s_kubeconfig(k8s: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = k8s.write_kubeconfig(tmp_path / "kubeconfig")
    monkeypatch.setenv("KUBECONFIG", str(path))
    # The client library reads $KUBECONFIG once, at import; Kopf logs in through it.
    import kubernetes.config.kube_config

    monkeypatch.setattr(kubernetes.config.kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(path))
    return path


@pytest.fixture
def k8s_api_client(k8s: EmulatorServer) -> Iterator[Any]:
    client = k8s.api_client()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def k8s_deployments(k8s: EmulatorServer) -> Iterator[EmulatorServer]:
    k8s.deployments.enable(delay=0.02)
    yield k8s
    k8s.deployments.disable()
