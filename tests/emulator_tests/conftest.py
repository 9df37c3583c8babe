"""Fixtures for the emulator's own tests: the Widget CRD installed, clients at hand."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import kubernetes.client
import pytest

from tests.emulator import EmulatorServer

from .widgets import widget_crd


@pytest.fixture
def widgets(k8s: EmulatorServer) -> EmulatorServer:
    """The emulator with the Widget CRD applied, as a cluster would have it."""
    k8s.install(widget_crd())
    return k8s


@pytest.fixture
def http(k8s: EmulatorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=k8s.url, timeout=10) as client:
        yield client


@pytest.fixture
def core(k8s_api_client: Any) -> Any:
    return kubernetes.client.CoreV1Api(k8s_api_client)


@pytest.fixture
def apps(k8s_api_client: Any) -> Any:
    return kubernetes.client.AppsV1Api(k8s_api_client)


@pytest.fixture
def custom(k8s_api_client: Any) -> Any:
    return kubernetes.client.CustomObjectsApi(k8s_api_client)
