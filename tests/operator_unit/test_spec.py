"""Parsing an Agent's spec: defaults, camelCase fields, and errors that name the field."""

from __future__ import annotations

import pytest

from agent_operator.spec import AgentSpec, AgentStatus, Condition, SpecError, parse_spec
from tests.operator_unit.conftest import minimal_spec


def test_a_minimal_spec_gets_sensible_defaults() -> None:
    spec = parse_spec(minimal_spec())
    assert spec.replicas == 1
    assert spec.tools == ()
    assert spec.limits.max_turns == 8
    assert spec.model.retry.attempts == 3
    assert spec.autoscaling is None


def test_fields_are_camel_case_on_the_wire() -> None:
    spec = parse_spec(
        minimal_spec(
            autoscaling={"maxReplicas": 3, "targetCPUUtilizationPercentage": 50},
            egress={"allowCIDRs": ["10.0.0.0/8"]},
        )
    )
    assert spec.autoscaling is not None
    assert spec.autoscaling.target_cpu_utilization_percentage == 50
    assert spec.egress.allow_cidrs == ("10.0.0.0/8",)


def test_an_error_names_the_field_with_its_index() -> None:
    spec = minimal_spec(
        tools=[
            {"name": "ok", "http": {"url": "https://a.example"}},
            {"name": "bad", "http": {"url": "file:///etc/passwd"}},
        ]
    )
    with pytest.raises(SpecError, match=r"^spec\.tools\[1\]\.http\.url: "):
        parse_spec(spec)


def test_a_cross_field_error_names_the_object_it_guards() -> None:
    with pytest.raises(SpecError, match=r"^spec\.autoscaling: minReplicas must not exceed"):
        parse_spec(minimal_spec(autoscaling={"minReplicas": 4, "maxReplicas": 2}))


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec({"model": {"name": ""}, "replicas": -1})
    assert "spec.model.name" in str(caught.value)
    assert "spec.replicas" in str(caught.value)


def test_the_error_message_carries_no_pydantic_noise() -> None:
    with pytest.raises(SpecError) as caught:
        parse_spec(minimal_spec(tools=[{"name": "t"}]))
    assert "Value error" not in str(caught.value)
    assert "pydantic" not in str(caught.value)


def test_a_spec_round_trips_through_its_wire_form() -> None:
    spec = parse_spec(minimal_spec(tools=[{"name": "t", "agent": {"name": "other"}}]))
    wire = spec.model_dump(by_alias=True, exclude_none=True)
    assert AgentSpec.model_validate(wire) == spec


def test_a_status_serialises_as_kubernetes_expects() -> None:
    status = AgentStatus(
        observed_generation=2,
        conditions=(
            Condition(
                type="Ready",
                status="True",
                reason="Available",
                last_transition_time="2026-01-01T00:00:00Z",
            ),
        ),
    )
    wire = status.model_dump(by_alias=True, exclude_none=True)
    assert wire["observedGeneration"] == 2
    assert wire["conditions"][0]["lastTransitionTime"] == "2026-01-01T00:00:00Z"
