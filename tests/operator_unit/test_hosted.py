"""What an Agent publishes on Mistral's platform, and how its status says so (pure parts)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agent_operator import hosted, status
from agent_operator.builders import render_agent
from agent_operator.spec import SpecError, parse_spec

SPEC: dict[str, Any] = {
    "model": {"name": "mistral-small-latest", "temperature": 0.2, "maxTokens": 256},
    "instructions": "Answer briefly.",
    "tools": [
        {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            "http": {"url": "https://weather.example.net/v1"},
        },
        {"name": "billing", "agent": {"name": "billing"}},
        {"name": "docs", "mcp": {"url": "http://docs.tools.svc/mcp"}},
    ],
    "mistral": {"publish": True},
}


def desired(**changes: Any) -> hosted.HostedAgent:
    return hosted.desired_agent("demo", "weather", "uid-1", parse_spec({**SPEC, **changes}))


def test_the_hosted_agent_is_named_after_the_namespace_and_agent_unless_named() -> None:
    assert desired().name == "demo-weather"
    assert desired(mistral={"publish": True, "name": "weather-bot"}).name == "weather-bot"


def test_http_and_agent_tools_are_published_as_functions_and_mcp_tools_are_not() -> None:
    tools = desired().tools
    assert [t["function"]["name"] for t in tools] == ["get_weather", "billing"]
    assert tools[1]["function"]["parameters"] == {"type": "object", "properties": {}}


def test_completion_arguments_carry_only_what_the_spec_sets() -> None:
    assert desired().completion_args == {"temperature": 0.2, "max_tokens": 256}


def test_the_digest_changes_with_a_published_field_and_not_with_replicas() -> None:
    assert desired().digest == desired(replicas=3).digest
    assert desired().digest != desired(instructions="Answer at length.").digest


def test_the_request_carries_the_agents_uid_and_digest_as_metadata() -> None:
    agent = desired()
    assert agent.request()["metadata"] == {
        hosted.UID_KEY: "uid-1",
        hosted.AGENT_KEY: "demo/weather",
        hosted.DIGEST_KEY: agent.digest,
    }


def test_an_unknown_deletion_policy_is_refused_naming_the_field() -> None:
    with pytest.raises(SpecError, match=r"spec\.mistral\.deletionPolicy"):
        parse_spec({**SPEC, "mistral": {"publish": True, "deletionPolicy": "Orphan"}})


def test_the_status_patch_keeps_the_other_conditions_and_sets_published() -> None:
    ready = status.condition("Ready", True, "Available", "1 of 1", 1)
    published = hosted.Published("ag_1", 0, "generation-1", 1)
    patch = hosted.status_patch(
        {"conditions": [ready]}, published.status(), hosted.in_step(published)
    )
    assert patch is not None
    assert [c["type"] for c in patch["conditions"]] == ["Ready", "Published"]
    assert patch["mistral"] == {
        "agentId": "ag_1",
        "version": 0,
        "alias": "generation-1",
        "observedGeneration": 1,
    }
    current = {"conditions": patch["conditions"], "mistral": patch["mistral"]}
    assert hosted.status_patch(current, published.status(), hosted.in_step(published)) is None


def test_the_status_patch_clears_what_an_agent_no_longer_publishes() -> None:
    published = hosted.Published("ag_1", 0, "generation-1", 1)
    current = {"conditions": [hosted.in_step(published)], "mistral": published.status()}
    assert hosted.status_patch(current, None, None) == {"conditions": [], "mistral": None}


def test_the_reconciles_status_keeps_the_published_condition() -> None:
    published = hosted.in_step(hosted.Published("ag_1", 0, "generation-1", 1))
    facts = status.Facts(
        generation=1, desired_replicas=1, selector="s", endpoint="e", deployment=None
    )
    desired_status = status.desired_status(facts, {"conditions": [published]})
    assert [c["type"] for c in desired_status["conditions"]] == [
        "Ready",
        "ResolvedRefs",
        "Published",
    ]


def test_the_rendered_config_carries_the_hosted_agent_id_from_the_status() -> None:
    def config(spec: dict[str, Any]) -> dict[str, Any]:
        obj = {
            "apiVersion": "agent-operator.io/v1alpha1",
            "kind": "Agent",
            "metadata": {"name": "weather", "namespace": "demo"},
            "spec": spec,
            "status": {"mistral": {"agentId": "ag_1"}},
        }
        configmap = next(c for c in render_agent(obj) if c["kind"] == "ConfigMap")
        return dict(json.loads(configmap["data"]["agent.json"]))

    assert config(SPEC)["hostedAgentId"] == "ag_1"
    assert config({**SPEC, "mistral": {"publish": False}})["hostedAgentId"] is None


@pytest.mark.parametrize(
    ("code", "reason", "transient"),
    [
        (0, "MistralUnreachable", True),
        (429, "MistralThrottled", True),
        (503, "MistralServerError", True),
        (401, "MistralRejected", False),
    ],
)
def test_an_api_failure_names_its_kind_and_whether_a_retry_may_help(
    code: int, reason: str, transient: bool
) -> None:
    error = hosted.MistralApiError("Creating the Mistral agent", code, "x" * 1000)
    assert (error.reason, error.transient) == (reason, transient)
    assert len(error.message) == hosted.MAX_MESSAGE
