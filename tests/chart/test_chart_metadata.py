"""Chart.yaml: a v2 chart whose appVersion is the project's version."""

from __future__ import annotations

import tomllib

import yaml

from tests.chart.rendering import CHART_DIR, REPO_ROOT


def test_app_version_is_the_project_version() -> None:
    chart = yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert chart["appVersion"] == project["version"]


def test_chart_is_api_v2_and_requires_kubernetes_1_27() -> None:
    chart = yaml.safe_load((CHART_DIR / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2"
    assert chart["kubeVersion"].startswith(">=1.27")
    assert chart["name"] == "agent-operator"
