"""Render the chart offline (Helm's Go engine through helm-python) and pick objects out of it.

The tests of the chart, and any other test that needs what the chart would install, go through
these helpers, so they all see the same rendering of the same values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import helm_python
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CHART_DIR = REPO_ROOT / "charts" / "agent-operator"
SCENARIO_DIR = CHART_DIR / "ci"
SCENARIOS = sorted(SCENARIO_DIR.glob("*-values.yaml"))

RELEASE = "demo"
NAMESPACE = "agent-system"

Manifest = dict[str, Any]


def scenario_values(path: Path) -> dict[str, Any]:
    """The values of one `ci/*-values.yaml` scenario file."""
    loaded = yaml.safe_load(path.read_text())
    return dict(loaded or {})


def render_files(
    values: dict[str, Any] | None = None,
    *,
    release: str = RELEASE,
    namespace: str = NAMESPACE,
) -> dict[str, str]:
    """Every rendered template, by its path in the chart (NOTES.txt included)."""
    with helm_python.Chart.load(CHART_DIR) as chart:
        return chart.render(values or {}, name=release, namespace=namespace, is_install=True)


def render(
    values: dict[str, Any] | None = None,
    *,
    release: str = RELEASE,
    namespace: str = NAMESPACE,
) -> list[Manifest]:
    """The Kubernetes objects the chart would install with these values."""
    objects: list[Manifest] = []
    for path, text in sorted(render_files(values, release=release, namespace=namespace).items()):
        if path.endswith("NOTES.txt"):
            continue
        objects.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return objects


def notes(values: dict[str, Any] | None = None) -> str:
    """The NOTES.txt that `helm install` prints."""
    files = render_files(values)
    return next(text for path, text in files.items() if path.endswith("NOTES.txt"))


def of_kind(objects: list[Manifest], kind: str) -> list[Manifest]:
    """The objects of one kind."""
    return [obj for obj in objects if obj["kind"] == kind]


def one(objects: list[Manifest], kind: str) -> Manifest:
    """The single object of a kind; fails when there are none or several."""
    found = of_kind(objects, kind)
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def operator_container(objects: list[Manifest]) -> Manifest:
    """The operator's container in the chart's Deployment."""
    deployment = one(objects, "Deployment")
    containers: list[Manifest] = deployment["spec"]["template"]["spec"]["containers"]
    return next(c for c in containers if c["name"] == "operator")
