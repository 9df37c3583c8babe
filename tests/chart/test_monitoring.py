"""Monitoring is off by default; when on, it scrapes the operator and the Agents, alerts on the
metrics they export, and ships a Grafana dashboard the sidecar picks up."""

from __future__ import annotations

import json
from typing import Any

from tests.chart.rendering import CHART_DIR, one, render

ALL_ON = {
    "monitoring": {
        "serviceMonitor": {"enabled": True},
        "podMonitor": {"enabled": True},
        "prometheusRule": {"enabled": True},
        "grafanaDashboard": {"enabled": True},
    }
}
MONITORING_KINDS = {"ServiceMonitor", "PodMonitor", "PrometheusRule"}


def alerts(rule: dict[str, Any]) -> dict[str, str]:
    return {
        entry["alert"]: entry["expr"]
        for group in rule["spec"]["groups"]
        for entry in group["rules"]
        if "alert" in entry
    }


def dashboard_exprs(dashboard: dict[str, Any]) -> str:
    return "\n".join(t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", []))


def test_nothing_monitoring_related_is_rendered_by_default() -> None:
    objects = render()
    assert not {obj["kind"] for obj in objects} & MONITORING_KINDS
    assert [obj for obj in objects if obj["kind"] == "ConfigMap"] == []


def test_service_monitor_scrapes_the_operator_metrics_service() -> None:
    objects = render(ALL_ON)
    monitor = one(objects, "ServiceMonitor")
    service = one(objects, "Service")
    assert (
        monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    )
    assert monitor["spec"]["endpoints"][0]["port"] == service["spec"]["ports"][0]["name"]


def test_pod_monitor_scrapes_every_agent_runtime_on_its_http_port() -> None:
    monitor = one(render(ALL_ON), "PodMonitor")["spec"]
    assert monitor["selector"]["matchLabels"] == {"app.kubernetes.io/managed-by": "agent-operator"}
    endpoint = monitor["podMetricsEndpoints"][0]
    assert (endpoint["port"], endpoint["path"]) == ("http", "/metrics")
    assert monitor["namespaceSelector"] == {"any": True}
    assert endpoint["relabelings"][0]["targetLabel"] == "agent"


def test_namespaced_pod_monitor_looks_only_in_the_served_namespaces() -> None:
    values = {**ALL_ON, "watch": {"namespaces": ["team-a"]}}
    monitor = one(render(values), "PodMonitor")["spec"]
    assert monitor["namespaceSelector"] == {"matchNames": ["team-a"]}


def test_monitor_labels_let_a_prometheus_select_them() -> None:
    values = {"monitoring": {"serviceMonitor": {"enabled": True, "labels": {"release": "kps"}}}}
    assert one(render(values), "ServiceMonitor")["metadata"]["labels"]["release"] == "kps"


def test_alerts_cover_agents_reconciles_tools_and_models() -> None:
    found = alerts(one(render(ALL_ON), "PrometheusRule"))
    assert 'agent_operator_agents{condition="Ready",status="False"}' in found["AgentNotReady"]
    assert (
        'agent_operator_reconciles_total{result="error"}' in found["AgentOperatorReconcileErrors"]
    )
    assert 'agent_tool_calls_total{outcome!="ok"}' in found["AgentToolErrorRateHigh"]
    assert 'agent_model_calls_total{outcome!="ok"}' in found["AgentModelErrors"]


def test_tool_error_threshold_comes_from_values() -> None:
    values = {"monitoring": {"prometheusRule": {"enabled": True, "toolErrorRatio": 0.25}}}
    assert found_expr(values, "AgentToolErrorRateHigh").rstrip().endswith("> 0.25")


def found_expr(values: dict[str, Any], alert: str) -> str:
    return alerts(one(render(values), "PrometheusRule"))[alert]


def test_operator_down_alert_only_exists_when_the_operator_is_scraped() -> None:
    alone = {"monitoring": {"prometheusRule": {"enabled": True}}}
    assert "AgentOperatorDown" not in alerts(one(render(alone), "PrometheusRule"))
    assert "AgentOperatorDown" in alerts(one(render(ALL_ON), "PrometheusRule"))


def test_alert_annotations_keep_prometheus_templates_for_prometheus() -> None:
    rule = one(render(ALL_ON), "PrometheusRule")
    summaries = [
        entry["annotations"]["summary"]
        for group in rule["spec"]["groups"]
        for entry in group["rules"]
    ]
    assert any("{{ $labels.agent }}" in summary for summary in summaries)


def test_dashboard_config_map_carries_the_sidecar_label_and_valid_json() -> None:
    config_map = one(render(ALL_ON), "ConfigMap")
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    dashboard = json.loads(config_map["data"]["agent-operator.json"])
    assert dashboard["uid"] == "agent-operator"


def test_dashboard_can_live_in_grafanas_namespace() -> None:
    values = {"monitoring": {"grafanaDashboard": {"enabled": True, "namespace": "monitoring"}}}
    assert one(render(values), "ConfigMap")["metadata"]["namespace"] == "monitoring"


def test_dashboard_panels_show_readiness_traffic_latency_tokens_tools_and_reconciles() -> None:
    dashboard = json.loads((CHART_DIR / "files" / "dashboards" / "agent-operator.json").read_text())
    exprs = dashboard_exprs(dashboard)
    for metric in (
        'agent_operator_agents{condition="Ready"',
        "agent_requests_total",
        "histogram_quantile(0.5, sum by (le, namespace, agent) (rate(agent_request_duration",
        "histogram_quantile(0.99, sum by (le, namespace, agent) (rate(agent_request_duration",
        "agent_tokens_total",
        "agent_tool_calls_total",
        "agent_operator_reconciles_total",
    ):
        assert metric in exprs, metric


def test_dashboard_panel_ids_are_unique() -> None:
    dashboard = json.loads((CHART_DIR / "files" / "dashboards" / "agent-operator.json").read_text())
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
