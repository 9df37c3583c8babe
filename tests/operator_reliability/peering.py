"""Kopf peering as the chart sets it up, for tests and benchmarks that run several replicas."""

from __future__ import annotations

from typing import Any

from tests.chart.rendering import CHART_DIR, operator_container, render
from tests.emulator import EmulatorServer

#: The API group of Kopf's peering resources.
PEERING = "kopf.dev"


def chart_peering(cluster: EmulatorServer, values: dict[str, Any]) -> dict[str, str]:
    """Install what the chart installs for peering; the environment it gives the operator."""
    cluster.install_file(CHART_DIR / "crds" / "kopf-peering.yaml")
    objects = render(values)
    for obj in objects:
        if obj["apiVersion"].startswith(f"{PEERING}/"):
            cluster.install(obj)
    env = operator_container(objects)["env"]
    return {e["name"]: e["value"] for e in env if e["name"].startswith("AGENT_OPERATOR_PEERING")}


def peers(cluster: EmulatorServer) -> dict[str, Any]:
    (peering,) = cluster.list_objects("clusterkopfpeerings", None, PEERING)
    return dict(peering.get("status") or {})
