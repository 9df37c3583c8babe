"""The fake model's Conversations API answers as the real `mistralai` SDK expects.

Every answer is parsed by the SDK's own models (`beta.conversations.start`, `append` and
their streams), so a shape the SDK would refuse fails here, not in a runtime test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mistralai.client import Mistral
from mistralai.client.models import (
    FunctionCallEntry,
    MessageOutputEntry,
    ToolExecutionEntry,
    ToolFileChunk,
    ToolReferenceChunk,
)

from agent_runtime.mockllm import MockLLM, running_mock_llm

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather of a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


@pytest.fixture
def mock() -> Iterator[MockLLM]:
    with running_mock_llm() as served:
        yield served


@pytest.fixture
def client(mock: MockLLM) -> Iterator[Mistral]:
    with Mistral(api_key="unused", server_url=mock.url) as sdk:
        yield sdk


@pytest.mark.parametrize("builtin", ["web_search", "web_search_premium", "document_library"])
def test_a_searching_builtin_runs_and_its_reference_closes_the_answer(
    client: Mistral, builtin: str
) -> None:
    tool = (
        {"type": builtin, "library_ids": ["lib-1"]}
        if builtin == "document_library"
        else {"type": builtin}
    )
    response = client.beta.conversations.start(
        model="mock-large",
        inputs="News about Paris",
        tools=[tool],  # type: ignore[arg-type]
    )
    execution, message = response.outputs
    assert isinstance(execution, ToolExecutionEntry)
    assert execution.name == builtin
    assert isinstance(message, MessageOutputEntry)
    assert isinstance(message.content, list)
    references = [c for c in message.content if isinstance(c, ToolReferenceChunk)]
    assert [r.url for r in references] == ["https://example.com/paris"]


@pytest.mark.parametrize("builtin", ["code_interpreter", "image_generation"])
def test_a_file_making_builtin_answers_with_its_file(client: Mistral, builtin: str) -> None:
    response = client.beta.conversations.start(
        model="mock-large",
        inputs="Draw Paris",
        tools=[{"type": builtin}],  # type: ignore[arg-type]
    )
    message = response.outputs[-1]
    assert isinstance(message, MessageOutputEntry)
    assert isinstance(message.content, list)
    files = [c for c in message.content if isinstance(c, ToolFileChunk)]
    assert len(files) == 1
    assert files[0].tool == builtin
    assert files[0].file_id


def test_a_function_call_is_answered_by_appending_its_result(client: Mistral) -> None:
    started = client.beta.conversations.start(
        model="mock-large",
        inputs="Weather in Lyon?",
        tools=[WEATHER],  # type: ignore[arg-type]
    )
    (call,) = started.outputs
    assert isinstance(call, FunctionCallEntry)
    assert call.name == "get_weather"
    appended = client.beta.conversations.append(
        conversation_id=started.conversation_id,
        inputs=[{"type": "function.result", "tool_call_id": call.tool_call_id, "result": "sunny"}],  # type: ignore[arg-type]
    )
    assert appended.conversation_id == started.conversation_id
    (message,) = appended.outputs
    assert isinstance(message, MessageOutputEntry)
    assert message.content == "Tool results: get_weather: sunny"


def test_appending_to_an_unknown_conversation_is_a_404(client: Mistral) -> None:
    with pytest.raises(Exception, match="404"):
        client.beta.conversations.append(conversation_id="conv_missing", inputs="hello")


def test_the_stream_parses_into_the_sdks_known_events(client: Mistral) -> None:
    with client.beta.conversations.start_stream(
        model="mock-large",
        inputs="News about Rome",
        tools=[{"type": "web_search"}],  # type: ignore[arg-type]
    ) as events:
        kinds = [event.data.type for event in events]
    assert "UNKNOWN" not in kinds
    assert kinds[0] == "conversation.response.started"
    assert {"tool.execution.started", "tool.execution.done", "message.output.delta"} <= set(kinds)
    assert kinds[-1] == "conversation.response.done"
