"""The fake model's Agents API, driven by the real SDK: every answer parses as its models."""

from __future__ import annotations

from typing import cast

import httpx
import pytest
from mistralai.client import Mistral, models
from mistralai.client import errors as mistral_errors

from agent_runtime.mockllm import MockLLM

TOOL = models.FunctionTool(
    function=models.Function(
        name="get_weather",
        description="Weather by city",
        parameters={"type": "object", "properties": {"city": {"type": "string"}}},
    )
)


@pytest.fixture
def sdk(mock_llm: MockLLM) -> Mistral:
    return Mistral(api_key="test-key", server_url=mock_llm.url, timeout_ms=2000)


def test_a_created_agent_comes_back_as_the_sdk_agent_model(sdk: Mistral) -> None:
    agent = sdk.beta.agents.create(
        model="mistral-small-latest",
        name="weather",
        instructions="Answer briefly.",
        tools=[TOOL],
        completion_args={"temperature": 0.2},
        metadata={"owner": "demo"},
    )
    assert isinstance(agent, models.Agent)
    assert (agent.version, agent.versions, agent.name) == (0, [0], "weather")
    assert agent.tools is not None
    assert agent.tools[0].type == "function"
    assert agent.completion_args is not None
    assert agent.completion_args.temperature == 0.2
    fetched = sdk.beta.agents.get(agent_id=agent.id)
    assert fetched.instructions == "Answer briefly."
    assert fetched.metadata == {"owner": "demo"}


def test_an_update_makes_a_new_version_and_keeps_the_old_one(sdk: Mistral) -> None:
    agent = sdk.beta.agents.create(model="mistral-small-latest", name="v", instructions="one")
    updated = sdk.beta.agents.update(agent_id=agent.id, instructions="two")
    assert (updated.version, updated.versions) == (1, [0, 1])
    assert updated.name == "v"  # fields not sent are kept
    versions = sdk.beta.agents.list_versions(agent_id=agent.id)
    assert [v.instructions for v in versions] == ["one", "two"]
    assert sdk.beta.agents.get_version(agent_id=agent.id, version="0").instructions == "one"
    back = sdk.beta.agents.update_version(agent_id=agent.id, version=0)
    assert (back.version, back.instructions) == (0, "one")


def test_an_alias_points_at_a_version_and_can_be_moved_listed_and_deleted(sdk: Mistral) -> None:
    agent = sdk.beta.agents.create(model="m", name="aliased", instructions="one")
    sdk.beta.agents.update(agent_id=agent.id, instructions="two")
    alias = sdk.beta.agents.create_version_alias(agent_id=agent.id, alias="stable", version=0)
    assert isinstance(alias, models.AgentAliasResponse)
    assert alias.version == 0
    assert sdk.beta.agents.get(agent_id=agent.id, agent_version="stable").instructions == "one"
    sdk.beta.agents.create_version_alias(agent_id=agent.id, alias="stable", version=1)
    aliases = sdk.beta.agents.list_version_aliases(agent_id=agent.id)
    assert [(a.alias, a.version) for a in aliases] == [("stable", 1)]
    sdk.beta.agents.delete_version_alias(agent_id=agent.id, alias="stable")
    assert sdk.beta.agents.list_version_aliases(agent_id=agent.id) == []


def test_agents_are_listed_by_metadata_and_gone_once_deleted(sdk: Mistral) -> None:
    mine = sdk.beta.agents.create(model="m", name="listed", metadata={"uid": "u-1"})
    sdk.beta.agents.create(model="m", name="other", metadata={"uid": "u-2"})
    page = sdk.beta.agents.list_pages(metadata={"uid": "u-1"})
    assert page is not None
    assert [a.id for a in page.result.data] == [mine.id]
    sdk.beta.agents.delete(agent_id=mine.id)
    with pytest.raises(mistral_errors.SDKError) as raised:
        sdk.beta.agents.get(agent_id=mine.id)
    assert raised.value.status_code == 404


def test_the_cursor_pages_through_every_agent(sdk: Mistral) -> None:
    created = {
        sdk.beta.agents.create(model="m", name=f"p{i}", metadata={"set": "paged"}).id
        for i in range(5)
    }
    page = sdk.beta.agents.list_pages(metadata={"set": "paged"}, page_size=2)
    seen: list[str] = []
    while page is not None:
        seen += [a.id for a in page.result.data]
        page = cast(models.AgentsAPIV1AgentsListPagesResponse | None, page.next())
    assert sorted(seen) == sorted(created)


def test_a_create_without_a_model_is_a_validation_error_the_sdk_parses(mock_llm: MockLLM) -> None:
    answer = httpx.post(f"{mock_llm.url}/v1/agents", json={"name": "x"}, timeout=5)
    assert answer.status_code == 422
    mistral_errors.HTTPValidationErrorData.model_validate(answer.json())


@pytest.mark.parametrize("status", [429, 500])
def test_an_injected_status_reaches_the_sdk_as_that_status(
    sdk: Mistral, mock_llm: MockLLM, status: int
) -> None:
    mock_llm.fail_next(status=status, retry_after="3")
    with pytest.raises(mistral_errors.SDKError) as raised:
        sdk.beta.agents.create(model="m", name="faulty")
    assert raised.value.status_code == status
    assert raised.value.headers.get("retry-after") == "3"
    assert sdk.beta.agents.create(model="m", name="faulty").name == "faulty"  # one fault only


def test_an_injected_delay_beyond_the_timeout_times_the_sdk_out(
    sdk: Mistral, mock_llm: MockLLM
) -> None:
    mock_llm.delay_next(3.0)
    with pytest.raises(Exception, match=r"(?i)timed? ?out"):
        sdk.beta.agents.list_pages()
    assert [r.path for r in mock_llm.requests] == ["/v1/agents/pages"]
