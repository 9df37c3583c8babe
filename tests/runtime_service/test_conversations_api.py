"""Mistral's Conversations API, driven by the official `mistralai` SDK against the runtime.

Each test points `Mistral(server_url=...)` at a runtime served on 127.0.0.1 whose model is the
fake one: what the SDK parses is what a user of Mistral's own API would get.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any, Literal

import httpx
import pytest
from mistralai.client import Mistral
from mistralai.client.errors import SDKError
from mistralai.client.models import FunctionCallEntry, MessageOutputEntry, ToolCallConfirmation

from agent_runtime.mockllm import MockLLM
from tests.runtime_service.conftest import AGENT, ConfigFactory, Runtime, ToolServer, serving


@pytest.fixture
def approval_tool(weather_tool: dict[str, Any]) -> dict[str, Any]:
    return {**weather_tool, "requireApproval": True}


@pytest.fixture
def stateful(make_config: ConfigFactory, approval_tool: dict[str, Any]) -> Iterator[Runtime]:
    """The agent with conversations in the in-process store and a tool held for approval."""
    config = make_config(conversations={"approvalTimeoutSeconds": 60}, tools=[approval_tool])
    with serving(config) as served:
        yield served


@pytest.fixture
def client(stateful: Runtime) -> Iterator[Mistral]:
    with Mistral(api_key="unused", server_url=stateful.url) as sdk:
        yield sdk


def _confirm(
    tool_call_id: str, confirmation: Literal["allow", "deny"]
) -> list[ToolCallConfirmation]:
    return [ToolCallConfirmation(tool_call_id=tool_call_id, confirmation=confirmation)]


def _answer(outputs: list[Any]) -> str:
    (output,) = outputs
    assert isinstance(output, MessageOutputEntry)
    return str(output.content)


def _pending(outputs: list[Any]) -> FunctionCallEntry:
    (output,) = outputs
    assert isinstance(output, FunctionCallEntry)
    assert output.confirmation_status == "pending"
    return output


def test_a_conversation_continues_with_only_the_new_input(
    make_config: ConfigFactory, mock_llm: MockLLM
) -> None:
    with (
        serving(make_config(conversations={})) as runtime,
        Mistral(api_key="unused", server_url=runtime.url) as client,
    ):
        first = client.beta.conversations.start(inputs="first", agent_id=AGENT)
        assert _answer(first.outputs) == "You said: first"
        second = client.beta.conversations.append(
            conversation_id=first.conversation_id, inputs="second"
        )
        assert second.conversation_id == first.conversation_id
        assert _answer(second.outputs) == "You said: second"
        sent = [m["content"] for m in mock_llm.completions[-1].messages]
        assert sent[-3:] == ["first", "You said: first", "second"]
        messages = client.beta.conversations.get_messages(conversation_id=first.conversation_id)
    assert [(m.role, m.content) for m in messages.messages] == [
        ("user", "first"),
        ("assistant", "You said: first"),
        ("user", "second"),
        ("assistant", "You said: second"),
    ]


def test_streamed_turns_send_the_text_then_done_and_are_stored(
    make_config: ConfigFactory,
) -> None:
    with (
        serving(make_config(conversations={})) as runtime,
        Mistral(api_key="unused", server_url=runtime.url) as client,
    ):
        events = list(client.beta.conversations.start_stream(inputs="hello there", agent_id=AGENT))
        kinds = [e.event for e in events]
        assert kinds[0] == "conversation.response.started"
        assert kinds[-1] == "conversation.response.done"
        conversation_id = events[0].data.conversation_id
        text = "".join(str(e.data.content) for e in events if e.event == "message.output.delta")
        assert text == "You said: hello there"
        more = list(
            client.beta.conversations.append_stream(conversation_id=conversation_id, inputs="again")
        )
        assert more[-1].event == "conversation.response.done"
        history = client.beta.conversations.get_history(conversation_id=conversation_id)
    assert [e.type for e in history.entries] == [
        "message.input",
        "message.output",
        "message.input",
        "message.output",
    ]


def test_a_tool_needing_approval_waits_and_runs_once_when_allowed(
    client: Mistral, stateful: Runtime, tool_server: ToolServer
) -> None:
    started = client.beta.conversations.start(inputs="weather in paris", agent_id=AGENT)
    call = _pending(started.outputs)
    assert call.name == "get_weather"
    assert tool_server.calls == []
    allowed = client.beta.conversations.append(
        conversation_id=started.conversation_id,
        tool_confirmations=_confirm(call.tool_call_id, "allow"),
    )
    assert "Paris" in _answer(allowed.outputs)
    assert tool_server.calls == [{"city": "Paris"}]
    with pytest.raises(SDKError) as again:
        client.beta.conversations.append(
            conversation_id=started.conversation_id,
            tool_confirmations=_confirm(call.tool_call_id, "allow"),
        )
    assert again.value.status_code == 409
    assert "already decided" in again.value.body
    assert tool_server.calls == [{"city": "Paris"}]
    history = client.beta.conversations.get_history(conversation_id=started.conversation_id)
    (held,) = [e for e in history.entries if isinstance(e, FunctionCallEntry)]
    assert held.confirmation_status == "allowed"
    metrics = stateful.metrics
    assert (
        metrics.value("agent_tool_approvals_total", {"tool": "get_weather", "decision": "held"})
        == 1
    )
    assert (
        metrics.value("agent_tool_approvals_total", {"tool": "get_weather", "decision": "allow"})
        == 1
    )


def test_a_denied_call_is_not_run_and_the_model_hears_it_was_refused(
    client: Mistral, tool_server: ToolServer, mock_llm: MockLLM
) -> None:
    started = client.beta.conversations.start(inputs="weather in oslo", agent_id=AGENT)
    call = _pending(started.outputs)
    denied = client.beta.conversations.append(
        conversation_id=started.conversation_id,
        tool_confirmations=_confirm(call.tool_call_id, "deny"),
    )
    assert "refused" in _answer(denied.outputs)
    assert tool_server.calls == []
    tool_message = mock_llm.completions[-1].messages[-1]
    assert tool_message["role"] == "tool"
    assert "a person refused this tool call" in tool_message["content"]


def test_an_unknown_or_foreign_tool_call_id_is_refused_and_runs_nothing(
    client: Mistral, tool_server: ToolServer
) -> None:
    mine = client.beta.conversations.start(inputs="weather in rome", agent_id=AGENT)
    other = client.beta.conversations.start(inputs="weather in lima", agent_id=AGENT)
    foreign = _pending(other.outputs).tool_call_id
    for unknown in ("call-that-never-was", foreign):
        with pytest.raises(SDKError) as refused:
            client.beta.conversations.append(
                conversation_id=mine.conversation_id,
                tool_confirmations=_confirm(unknown, "allow"),
            )
        assert refused.value.status_code == 404
        assert "is not held in this conversation" in refused.value.body
    assert tool_server.calls == []


def test_a_new_input_while_a_call_waits_is_refused_with_the_call_named(client: Mistral) -> None:
    started = client.beta.conversations.start(inputs="weather in bern", agent_id=AGENT)
    call = _pending(started.outputs)
    with pytest.raises(SDKError) as refused:
        client.beta.conversations.append(conversation_id=started.conversation_id, inputs="hi")
    assert refused.value.status_code == 409
    assert call.tool_call_id in refused.value.body


def test_an_expired_call_is_refused_reads_as_expired_and_never_runs(
    make_config: ConfigFactory,
    approval_tool: dict[str, Any],
    tool_server: ToolServer,
    mock_llm: MockLLM,
) -> None:
    config = make_config(conversations={"approvalTimeoutSeconds": 0.2}, tools=[approval_tool])
    with serving(config) as runtime, Mistral(api_key="unused", server_url=runtime.url) as client:
        started = client.beta.conversations.start(inputs="weather in kyiv", agent_id=AGENT)
        call = _pending(started.outputs)
        deadline = time.monotonic() + 10
        status = "pending"
        while status == "pending" and time.monotonic() < deadline:
            history = client.beta.conversations.get_history(conversation_id=started.conversation_id)
            status = next(
                str(e.confirmation_status)
                for e in history.entries
                if isinstance(e, FunctionCallEntry)
            )
        assert status == "expired"
        with pytest.raises(SDKError) as refused:
            client.beta.conversations.append(
                conversation_id=started.conversation_id,
                tool_confirmations=_confirm(call.tool_call_id, "allow"),
            )
        assert refused.value.status_code == 410
        after = client.beta.conversations.append(
            conversation_id=started.conversation_id, inputs="never mind"
        )
    assert _pending(after.outputs).tool_call_id != call.tool_call_id
    told = [
        m for m in mock_llm.completions[-1].messages if m.get("tool_call_id") == call.tool_call_id
    ]
    assert "was not run" in told[0]["content"]
    assert tool_server.calls == []


def test_a_conversation_that_does_not_exist_is_a_404(client: Mistral) -> None:
    with pytest.raises(SDKError) as missing:
        client.beta.conversations.get_history(conversation_id="conv_nope")
    assert missing.value.status_code == 404
    assert "does not exist or has expired" in missing.value.body


def test_chat_completions_never_run_a_tool_that_needs_approval(
    stateful: Runtime, tool_server: ToolServer
) -> None:
    with Mistral(api_key="unused", server_url=stateful.url) as client:
        answer = client.chat.complete(
            model=AGENT, messages=[{"role": "user", "content": "weather in nice"}]
        )
    assert "runs only once a person allows it" in str(answer.choices[0].message.content)
    assert tool_server.calls == []


def test_a_stateless_agent_serves_no_conversations(runtime: Runtime) -> None:
    answer = httpx.post(f"{runtime.url}/v1/conversations", json={"inputs": "hi"}, timeout=10)
    assert answer.status_code == 404
    assert "set spec.conversations" in answer.json()["message"]


def test_a_spent_conversation_budget_refuses_the_next_turn(make_config: ConfigFactory) -> None:
    config = make_config(conversations={}, budget={"tokensPerConversation": 5})
    with serving(config) as runtime, Mistral(api_key="unused", server_url=runtime.url) as client:
        first = client.beta.conversations.start(inputs="one two three", agent_id=AGENT)
        with pytest.raises(SDKError) as refused:
            client.beta.conversations.append(conversation_id=first.conversation_id, inputs="more")
        assert refused.value.status_code == 429
        assert "of its 5 tokens" in refused.value.body
        assert "retry-after" not in refused.value.headers
        spent = runtime.metrics.value("agent_budget_tokens_total", {"agent": AGENT})
    assert spent >= 5


def test_a_spent_daily_budget_answers_429_with_retry_after(make_config: ConfigFactory) -> None:
    config = make_config(conversations={}, budget={"tokensPerDay": 3})
    with serving(config) as runtime, Mistral(api_key="unused", server_url=runtime.url) as client:
        client.beta.conversations.start(inputs="one two three", agent_id=AGENT)
        with pytest.raises(SDKError) as refused:
            client.beta.conversations.start(inputs="again", agent_id=AGENT)
    assert refused.value.status_code == 429
    assert "midnight UTC" in refused.value.body
    assert 1 <= int(refused.value.headers["retry-after"]) <= 86400


def test_a_budget_spent_mid_loop_ends_the_turn_with_a_clear_error(
    make_config: ConfigFactory, weather_tool: dict[str, Any]
) -> None:
    config = make_config(
        conversations={}, budget={"tokensPerConversation": 4}, tools=[weather_tool]
    )
    with (
        serving(config) as runtime,
        Mistral(api_key="unused", server_url=runtime.url) as client,
        pytest.raises(SDKError) as refused,
    ):
        client.beta.conversations.start(inputs="weather in a very long named city", agent_id=AGENT)
    assert refused.value.status_code == 429
    assert '"code":"budget_exceeded"' in refused.value.body
    assert "the conversation has used" in refused.value.body


def test_readiness_reports_the_store(stateful: Runtime) -> None:
    ready = httpx.get(f"{stateful.url}/readyz", timeout=10)
    assert ready.status_code == 200


def test_the_daily_budget_also_bounds_stateless_chat_completions(
    make_config: ConfigFactory,
) -> None:
    with serving(make_config(budget={"tokensPerDay": 3})) as runtime:
        body = {"model": AGENT, "messages": [{"role": "user", "content": "one two three"}]}
        first = httpx.post(f"{runtime.url}/v1/chat/completions", json=body, timeout=30)
        assert first.status_code == 200
        refused = httpx.post(f"{runtime.url}/v1/chat/completions", json=body, timeout=30)
    assert refused.status_code == 429
    assert refused.json()["code"] == "budget_exceeded"
    assert "midnight UTC" in refused.json()["message"]
    assert 1 <= int(refused.headers["retry-after"]) <= 86400
