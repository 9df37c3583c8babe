"""Agents published on Mistral's platform: the real operator, the emulator, the fake's Agents API.

The operator keeps a hosted agent in step with each Agent that sets `spec.mistral.publish`:
created with it, a new version and a version alias per generation when its spec changes,
deleted with it (or kept, by policy). A failing API is a condition and a bounded retry.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client
from mistralai.client import Mistral
from mistralai.client import errors as mistral_errors

from agent_runtime.mockllm import MockLLM
from tests.emulator import EmulatorServer

from .agents import NAMESPACE, Agents, agent
from .operator import OperatorProcess, running_operator, wait_for

SECRET_VALUE = "sk-hosted-do-not-leak-81c2"
FINALIZER = "agent-operator.io/finalizer"
WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Weather by city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    "http": {"url": "http://weather.demo.svc/v1/current", "method": "GET"},
}


@pytest.fixture
def hosted_operator(
    cluster: EmulatorServer, k8s_kubeconfig: Path, tmp_path: Path, core: client.CoreV1Api
) -> Iterator[OperatorProcess]:
    """The operator with the API key's Secret in place, short Mistral timeouts and backoff."""
    encoded = base64.b64encode(SECRET_VALUE.encode()).decode()
    core.create_namespaced_secret(
        NAMESPACE,
        client.V1Secret(metadata=client.V1ObjectMeta(name="mistral"), data={"apiKey": encoded}),
    )
    env = {
        "AGENT_OPERATOR_MISTRAL_TIMEOUT_SECONDS": "1",
        "AGENT_OPERATOR_MISTRAL_RETRY_MAX_DELAY_SECONDS": "2",
    }
    with running_operator(k8s_kubeconfig, tmp_path / "operator.log", env=env) as process:
        yield process


@pytest.fixture
def sdk(mock_llm: MockLLM) -> Mistral:
    return Mistral(api_key="reader", server_url=mock_llm.url, timeout_ms=5000)


def published(mock: MockLLM, name: str, **mistral: Any) -> dict[str, Any]:
    return agent(
        name,
        model={
            "name": "mistral-small-latest",
            "endpoint": mock.url,
            "temperature": 0.2,
            "apiKeySecretRef": {"name": "mistral", "key": "apiKey"},
        },
        instructions="You answer weather questions.",
        tools=[WEATHER_TOOL],
        mistral={"publish": True, **mistral},
    )


def wait_published(agents: Agents, name: str) -> dict[str, Any]:
    """`status.mistral` once `Published` is True for the Agent's current generation."""

    def in_step() -> dict[str, Any] | None:
        obj = agents.get(name) or {}
        cond = agents.condition(name, "Published") or {}
        hosted = (obj.get("status") or {}).get("mistral") or {}
        generation = obj.get("metadata", {}).get("generation")
        current = cond.get("observedGeneration") == generation == hosted.get("observedGeneration")
        return dict(hosted) if cond.get("status") == "True" and current else None

    return wait_for(in_step, what=f"Agent {name} to be Published")


def agent_calls(mock: MockLLM) -> list[str]:
    return [r.path for r in mock.requests if r.path.startswith("/v1/agents")]


def test_a_publishing_agent_gets_a_hosted_agent_with_its_settings_and_generation_alias(
    hosted_operator: OperatorProcess, agents: Agents, mock_llm: MockLLM, sdk: Mistral
) -> None:
    agents.create(published(mock_llm, "weather", description="Weather in one line"))

    hosted = wait_published(agents, "weather")
    sent = {r.authorization for r in mock_llm.requests if r.path.startswith("/v1/agents")}
    assert sent == {f"Bearer {SECRET_VALUE}"}  # read from the Secret by the operator
    assert (hosted["version"], hosted["alias"]) == (0, "generation-1")
    remote = sdk.beta.agents.get(agent_id=hosted["agentId"])
    assert (remote.name, remote.model) == ("demo-weather", "mistral-small-latest")
    assert remote.instructions == "You answer weather questions."
    assert remote.description == "Weather in one line"
    assert remote.completion_args is not None
    assert remote.completion_args.temperature == 0.2
    assert [t.function.name for t in remote.tools or [] if t.type == "function"] == ["get_weather"]
    aliases = sdk.beta.agents.list_version_aliases(agent_id=hosted["agentId"])
    assert [(a.alias, a.version) for a in aliases] == [("generation-1", 0)]
    agents.wait_ready("weather")  # the reconcile's status writes keep the Published condition
    assert (agents.condition("weather", "Published") or {}).get("status") == "True"
    assert FINALIZER in (agents.get("weather") or {})["metadata"]["finalizers"]


def test_a_spec_change_publishes_a_new_version_under_the_next_generation_alias(
    hosted_operator: OperatorProcess, agents: Agents, mock_llm: MockLLM, sdk: Mistral
) -> None:
    agents.create(published(mock_llm, "weather"))
    first = wait_published(agents, "weather")

    agents.patch("weather", {"spec": {"instructions": "Answer in French."}})

    second = wait_for(
        lambda: (h := wait_published(agents, "weather"))["alias"] == "generation-2" and h,
        what="the second generation to be published",
    )
    assert second["agentId"] == first["agentId"]
    assert second["version"] == 1
    remote = sdk.beta.agents.get(agent_id=second["agentId"])
    assert (remote.instructions, remote.versions) == ("Answer in French.", [0, 1])
    aliases = sdk.beta.agents.list_version_aliases(agent_id=second["agentId"])
    assert sorted((a.alias, a.version) for a in aliases) == [
        ("generation-1", 0),
        ("generation-2", 1),
    ]


def test_deleting_the_agent_deletes_its_hosted_agent(
    hosted_operator: OperatorProcess, agents: Agents, mock_llm: MockLLM, sdk: Mistral
) -> None:
    agents.create(published(mock_llm, "weather"))
    agent_id = wait_published(agents, "weather")["agentId"]

    agents.delete("weather")

    wait_for(lambda: agents.get("weather") is None, what="the Agent to be gone")
    with pytest.raises(mistral_errors.SDKError) as raised:
        sdk.beta.agents.get(agent_id=agent_id)
    assert raised.value.status_code == 404


def test_the_retain_policy_keeps_the_hosted_agent_and_needs_no_finalizer(
    hosted_operator: OperatorProcess, agents: Agents, mock_llm: MockLLM, sdk: Mistral
) -> None:
    agents.create(published(mock_llm, "weather", deletionPolicy="Retain"))
    agent_id = wait_published(agents, "weather")["agentId"]
    assert FINALIZER not in ((agents.get("weather") or {})["metadata"].get("finalizers") or [])

    agents.delete("weather")

    wait_for(lambda: agents.get("weather") is None, what="the Agent to be gone")
    assert sdk.beta.agents.get(agent_id=agent_id).id == agent_id


def test_an_agent_that_does_not_publish_gets_no_finalizer_and_no_call_to_mistral(
    hosted_operator: OperatorProcess, agents: Agents, mock_llm: MockLLM
) -> None:
    manifest = published(mock_llm, "weather")
    manifest["spec"]["mistral"]["publish"] = False
    agents.create(manifest)
    agents.wait_ready("weather")

    obj = agents.get("weather") or {}
    assert FINALIZER not in (obj["metadata"].get("finalizers") or [])
    assert agents.condition("weather", "Published") is None
    assert agent_calls(mock_llm) == []


def test_publishing_turned_off_deletes_the_hosted_agent_and_clears_the_status(
    hosted_operator: OperatorProcess, agents: Agents, mock_llm: MockLLM, sdk: Mistral
) -> None:
    agents.create(published(mock_llm, "weather"))
    agent_id = wait_published(agents, "weather")["agentId"]

    agents.patch("weather", {"spec": {"mistral": {"publish": False}}})

    def cleared() -> bool:
        status = (agents.get("weather") or {}).get("status") or {}
        return not status.get("mistral") and agents.condition("weather", "Published") is None

    wait_for(cleared, what="status.mistral and Published to be cleared")
    with pytest.raises(mistral_errors.SDKError):
        sdk.beta.agents.get(agent_id=agent_id)


@pytest.mark.parametrize(
    ("fault", "reason"),
    [("429", "MistralThrottled"), ("500", "MistralServerError"), ("timeout", "MistralUnreachable")],
)
def test_a_failing_api_is_a_condition_then_recovers_with_a_bounded_number_of_calls(
    hosted_operator: OperatorProcess,
    agents: Agents,
    mock_llm: MockLLM,
    cluster: EmulatorServer,
    fault: str,
    reason: str,
) -> None:
    if fault == "timeout":
        mock_llm.delay_next(3.0, times=2)  # beyond the operator's 1 s timeout
    else:
        mock_llm.fail_next(status=int(fault), retry_after="1" if fault == "429" else None, times=2)

    agents.create(published(mock_llm, "weather"))

    failed = agents.wait_condition("weather", "Published", "False", reason)
    assert "Listing Mistral agents failed" in failed["message"]
    wait_published(agents, "weather")
    # Two failed lists, then one list, one create, one alias: a retry per failure, no more.
    assert agent_calls(mock_llm) == [
        "/v1/agents/pages",
        "/v1/agents/pages",
        "/v1/agents/pages",
        "/v1/agents",
        f"/v1/agents/{agents.get('weather')['status']['mistral']['agentId']}/aliases",  # type: ignore[index]
    ]
    warnings = [
        e
        for e in cluster.list_objects("events", NAMESPACE)
        if e.get("type") == "Warning" and e.get("reason") == "PublishFailed"
    ]
    assert len(warnings) == 1  # the same failure twice is one Event


def test_the_api_key_is_in_no_status_event_or_log_line(
    hosted_operator: OperatorProcess, agents: Agents, mock_llm: MockLLM, cluster: EmulatorServer
) -> None:
    mock_llm.fail_next(status=500)
    agents.create(published(mock_llm, "weather"))
    wait_published(agents, "weather")
    agents.delete("weather")
    wait_for(lambda: agents.get("weather") is None, what="the Agent to be gone")

    encoded = base64.b64encode(SECRET_VALUE.encode()).decode()
    for text in (repr(cluster.list_objects("events", NAMESPACE)), hosted_operator.log):
        assert SECRET_VALUE not in text
        assert encoded not in text
    assert "Published Agent demo/weather as Mistral agent" in hosted_operator.log


def test_a_restarted_operator_reads_the_hosted_agent_once_and_writes_nothing_to_it(
    hosted_operator: OperatorProcess, agents: Agents, mock_llm: MockLLM
) -> None:
    agents.create(published(mock_llm, "weather"))
    agent_id = wait_published(agents, "weather")["agentId"]
    hosted_operator.stop()
    mock_llm.reset()

    hosted_operator.start()

    wait_for(lambda: agent_calls(mock_llm), what="the resumed operator to call Mistral")
    agents.wait_ready("weather")
    assert agent_calls(mock_llm) == [f"/v1/agents/{agent_id}"]  # one get: in step, no update
    assert wait_published(agents, "weather")["agentId"] == agent_id


def test_an_agent_waits_for_its_hosted_agent_to_be_deleted_while_the_api_fails(
    hosted_operator: OperatorProcess, agents: Agents, mock_llm: MockLLM, sdk: Mistral
) -> None:
    agents.create(published(mock_llm, "weather"))
    agent_id = wait_published(agents, "weather")["agentId"]
    mock_llm.fail_next(status=503, times=2)

    agents.delete("weather")

    failed = agents.wait_condition("weather", "Published", "False", "MistralServerError")
    assert f"Deleting Mistral agent {agent_id} failed" in failed["message"]
    assert (agents.get("weather") or {})["metadata"].get("deletionTimestamp")
    wait_for(lambda: agents.get("weather") is None, what="the Agent to be gone")
    deletes = [p for p in agent_calls(mock_llm) if p == f"/v1/agents/{agent_id}"]
    assert len(deletes) == 3  # two failed, one done: a retry per failure
    with pytest.raises(mistral_errors.SDKError):
        sdk.beta.agents.get(agent_id=agent_id)
