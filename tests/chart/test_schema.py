"""values.schema.json refuses unknown keys and wrong types, with a message naming the key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import helm_python
import pytest

from tests.chart.rendering import CHART_DIR, SCENARIOS, render, scenario_values


def refusal(values: dict[str, Any]) -> str:
    with pytest.raises(helm_python.HelmValuesError) as raised:
        render(values)
    return str(raised.value)


def test_schema_is_draft_07() -> None:
    schema = json.loads((CHART_DIR / "values.schema.json").read_text())
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"


def test_every_object_in_the_schema_refuses_unknown_keys() -> None:
    schema = json.loads((CHART_DIR / "values.schema.json").read_text())

    def closed(node: dict[str, Any], where: str) -> None:
        if "properties" in node:
            assert node.get("additionalProperties") is False, where
            for key, child in node["properties"].items():
                if key != "global":
                    closed(child, f"{where}.{key}")

    closed(schema, "values")


def test_every_default_value_is_described_by_the_schema() -> None:
    with helm_python.Chart.load(CHART_DIR) as chart:
        chart.validate_schema(chart.values)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.name)
def test_scenario_values_pass_the_schema(scenario: Path) -> None:
    with helm_python.Chart.load(CHART_DIR) as chart:
        chart.validate_schema(scenario_values(scenario))


def test_unknown_top_level_key_is_refused_by_name() -> None:
    assert "'replicas' not allowed" in refusal({"replicas": 2})  # the key is replicaCount


def test_misspelled_nested_key_is_refused_with_its_path() -> None:
    message = refusal({"crds": {"enable": False}})
    assert "/crds" in message
    assert "'enable' not allowed" in message


def test_wrong_type_is_refused_with_the_expected_type() -> None:
    message = refusal({"crds": {"enabled": "yes"}})
    assert "/crds/enabled" in message
    assert "want boolean" in message


def test_a_namespace_pattern_is_refused_because_roles_need_exact_names() -> None:
    assert "/watch/namespaces/0" in refusal({"watch": {"namespaces": ["team-*"]}})


def test_a_bad_pull_policy_is_refused() -> None:
    assert "/image/pullPolicy" in refusal({"image": {"pullPolicy": "Sometimes"}})
