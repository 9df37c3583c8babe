"""An Agent with a Mistral built-in tool runs over the Conversations API, end to end.

The runtime is served on 127.0.0.1, the real `mistralai` client asks it, and the runtime's
own SDK talks to the fake model's Conversations endpoints: what the built-in returned reaches
the client, and the agent's own function tools still run in the runtime.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from mistralai.client import Mistral

from agent_runtime.conversations_model import FILE_SCHEME
from agent_runtime.mockllm import MockLLM
from tests.runtime_service.conftest import AGENT, ConfigFactory, Runtime, ToolServer, serving


def _builtin(kind: str) -> dict[str, Any]:
    tool: dict[str, Any] = {"name": kind.replace("_", "-"), "builtin": kind}
    if kind == "document_library":
        tool["libraryIds"] = ["lib-handbook"]
    return tool


def _ask(runtime: Runtime, question: str) -> str:
    with Mistral(api_key="unused", server_url=runtime.url) as client:
        response = client.chat.complete(
            model=AGENT, messages=[{"role": "user", "content": question}]
        )
    content = response.choices[0].message.content
    assert isinstance(content, str)
    return content


@pytest.fixture
def search_runtime(make_config: ConfigFactory) -> Iterator[Runtime]:
    with serving(make_config(tools=[_builtin("web_search")])) as served:
        yield served


@pytest.mark.parametrize("kind", ["web_search", "web_search_premium", "document_library"])
def test_a_search_builtins_answer_reaches_the_client_with_its_reference(
    make_config: ConfigFactory, mock_llm: MockLLM, kind: str
) -> None:
    with serving(make_config(tools=[_builtin(kind)])) as runtime:
        answer = _ask(runtime, "News about Paris")
    assert "](https://example.com/paris)" in answer
    (request,) = mock_llm.requests
    assert request.path == "/v1/conversations"
    assert request.body["model"] == "mock-large"
    assert request.body["instructions"] == "You answer weather questions."
    expected: dict[str, Any] = {"type": kind}
    if kind == "document_library":
        expected["library_ids"] = ["lib-handbook"]
    assert request.body["tools"] == [expected]


@pytest.mark.parametrize("kind", ["code_interpreter", "image_generation"])
def test_a_file_made_by_a_builtin_reaches_the_client_as_a_file_link(
    make_config: ConfigFactory, kind: str
) -> None:
    with serving(make_config(tools=[_builtin(kind)])) as runtime:
        answer = _ask(runtime, "Plot Paris")
    assert f"]({FILE_SCHEME}file_" in answer


def test_the_completion_arguments_go_to_the_conversation(
    search_runtime: Runtime, mock_llm: MockLLM
) -> None:
    with Mistral(api_key="unused", server_url=search_runtime.url) as client:
        client.chat.complete(
            model=AGENT,
            messages=[{"role": "user", "content": "News about Oslo"}],
            temperature=0.2,
            max_tokens=50,
        )
    (request,) = mock_llm.requests
    assert request.body["completion_args"] == {"temperature": 0.2, "max_tokens": 50}


def test_a_builtins_answer_streams_with_its_reference(search_runtime: Runtime) -> None:
    with Mistral(api_key="unused", server_url=search_runtime.url) as client:
        events = list(
            client.chat.stream(
                model=AGENT, messages=[{"role": "user", "content": "News about Rome"}]
            )
        )
    deltas = [e.data.choices[0].delta.content for e in events if e.data.choices]
    text = "".join(d for d in deltas if isinstance(d, str))
    assert "](https://example.com/rome)" in text
    assert len([d for d in deltas if d]) > 1
    assert events[-1].data.choices[0].finish_reason == "stop"


@pytest.mark.parametrize("stream", [False, True])
def test_the_agents_own_tool_runs_in_the_runtime_and_its_result_is_appended(
    make_config: ConfigFactory,
    mock_llm: MockLLM,
    weather_tool: dict[str, Any],
    tool_server: ToolServer,
    stream: bool,
) -> None:
    config = make_config(tools=[_builtin("web_search"), weather_tool])
    with serving(config) as runtime, Mistral(api_key="unused", server_url=runtime.url) as client:
        messages: Any = [{"role": "user", "content": "Weather in Lyon?"}]
        if stream:
            events = list(client.chat.stream(model=AGENT, messages=messages))
            chunks = [e.data.choices[0].delta.content for e in events if e.data.choices]
            answer = "".join(c for c in chunks if isinstance(c, str))
        else:
            content = client.chat.complete(model=AGENT, messages=messages).choices[0]
            answer = str(content.message.content)
    assert tool_server.calls == [{"city": "Lyon"}]
    started, appended = mock_llm.requests
    assert [t.get("type") for t in started.body["tools"]] == ["web_search", "function"]
    assert appended.path == f"/v1/conversations/{appended.path.rsplit('/', 1)[1]}"
    (result,) = appended.body["inputs"]
    assert result["type"] == "function.result"
    assert "sunny" in result["result"]
    assert "sunny" in answer
    assert "](https://example.com/lyon)" in answer
    assert runtime.metrics.tool_calls.labels(tool="get_weather", outcome="ok")._value.get() == 1


def test_an_agent_without_builtins_keeps_chat_completions(
    tool_runtime: Runtime, mock_llm: MockLLM
) -> None:
    _ask(tool_runtime, "Weather in Paris?")
    assert {r.path for r in mock_llm.requests} == {"/v1/chat/completions"}


def test_a_failing_conversation_is_the_models_error_not_a_crash(
    search_runtime: Runtime, mock_llm: MockLLM
) -> None:
    mock_llm.fail_next(status=503)
    with pytest.raises(Exception, match="503"):
        _ask(search_runtime, "hello")


def test_a_named_tool_choice_is_sent_as_a_forced_tool_call(
    make_config: ConfigFactory, mock_llm: MockLLM, weather_tool: dict[str, Any]
) -> None:
    config = make_config(tools=[_builtin("web_search"), weather_tool])
    with serving(config) as runtime, Mistral(api_key="unused", server_url=runtime.url) as client:
        client.chat.complete(
            model=AGENT,
            messages=[{"role": "user", "content": "Weather in Nice?"}],
            tool_choice={"type": "function", "function": {"name": "get_weather"}},
        )
    assert mock_llm.requests[0].body["completion_args"]["tool_choice"] == "required"


@pytest.mark.parametrize("stream", [False, True])
def test_each_builtin_run_is_counted_as_a_tool_call(search_runtime: Runtime, stream: bool) -> None:
    messages: Any = [{"role": "user", "content": "News about Bern"}]
    with Mistral(api_key="unused", server_url=search_runtime.url) as client:
        if stream:
            list(client.chat.stream(model=AGENT, messages=messages))
        else:
            client.chat.complete(model=AGENT, messages=messages)
    counted = search_runtime.metrics.tool_calls.labels(tool="web_search", outcome="ok")
    assert counted._value.get() == 1
