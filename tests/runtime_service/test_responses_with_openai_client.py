"""The real `openai` client's `responses.create`, pointed at the runtime, works unchanged."""

from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI
from openai.types.responses import (
    Response,
    ResponseFunctionToolCall,
    ResponseFunctionToolCallOutputItem,
    ResponseOutputMessage,
    ResponseStreamEvent,
)
from pydantic import TypeAdapter

from agent_runtime.mockllm import MockLLM
from tests.runtime_service.conftest import (
    AGENT,
    ConfigFactory,
    Runtime,
    ToolServer,
    serving,
    wait_for_requests_counted,
)


def client_of(runtime: Runtime) -> OpenAI:
    return OpenAI(api_key="unused", base_url=f"{runtime.url}/v1", max_retries=0, timeout=30)


def test_openai_client_gets_the_agents_answer_as_output_text(runtime: Runtime) -> None:
    with client_of(runtime) as client:
        response = client.responses.create(model=AGENT, input="good morning")
    assert response.status == "completed"
    assert response.output_text == "You said: good morning"
    assert response.usage is not None
    assert response.usage.total_tokens > 0


def test_instructions_and_input_items_reach_the_model_in_order(
    runtime: Runtime, mock_llm: MockLLM
) -> None:
    # An earlier answer replayed as the client kept it: no id or status of its own.
    items: list[Any] = [
        {"role": "user", "content": "first question"},
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "first answer"}],
        },
        {"role": "user", "content": [{"type": "input_text", "text": "second"}]},
    ]
    with client_of(runtime) as client:
        response = client.responses.create(
            model=AGENT, instructions="Answer in French.", input=items
        )
    assert response.output_text == "You said: second"
    sent = [(m["role"], m["content"]) for m in mock_llm.completions[-1].messages]
    assert sent == [
        ("system", "You answer weather questions."),
        ("system", "Answer in French."),
        ("user", "first question"),
        ("assistant", "first answer"),
        ("user", "second"),
    ]


def test_tool_calls_the_agent_ran_are_function_call_and_output_items(
    tool_runtime: Runtime, tool_server: ToolServer
) -> None:
    with client_of(tool_runtime) as client:
        response = client.responses.create(model=AGENT, input="weather in rome")
    call, output, message = response.output
    assert isinstance(call, ResponseFunctionToolCall)
    assert (call.name, call.status) == ("get_weather", "completed")
    assert isinstance(output, ResponseFunctionToolCallOutputItem)
    assert output.call_id == call.call_id
    assert "sunny" in str(output.output)
    assert isinstance(message, ResponseOutputMessage)
    assert "sunny" in response.output_text
    assert tool_server.calls == [{"city": "Rome"}]


def test_replayed_function_call_items_reach_the_model_as_a_tool_exchange(
    runtime: Runtime, mock_llm: MockLLM
) -> None:
    with client_of(runtime) as client:
        client.responses.create(
            model=AGENT,
            input=[
                {"role": "user", "content": "weather in rome"},
                {
                    "type": "function_call",
                    "call_id": "call_1",
                    "name": "get_weather",
                    "arguments": '{"city": "Rome"}',
                },
                {"type": "function_call_output", "call_id": "call_1", "output": "sunny"},
                {"role": "user", "content": "thanks"},
            ],
        )
    assistant, tool = mock_llm.completions[-1].messages[2:4]
    assert assistant["tool_calls"][0]["function"]["name"] == "get_weather"
    assert assistant["tool_calls"][0]["id"] == "call_1"
    assert (tool["role"], tool["tool_call_id"], tool["content"]) == ("tool", "call_1", "sunny")


def test_openai_client_streams_text_deltas_then_the_completed_response(
    runtime: Runtime,
) -> None:
    with client_of(runtime) as client:
        events = list(client.responses.create(model=AGENT, input="a b c", stream=True))
    kinds = [event.type for event in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == "You said: a b c"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    final = events[-1]
    assert final.type == "response.completed"
    assert final.response.output_text == "You said: a b c"


def test_a_stream_with_tools_shows_each_call_and_output_before_the_answer(
    tool_runtime: Runtime,
) -> None:
    with client_of(tool_runtime) as client:
        events = list(client.responses.create(model=AGENT, input="weather in rome", stream=True))
    added = [e.item.type for e in events if e.type == "response.output_item.added"]
    assert added == ["function_call", "function_call_output", "message"]
    final = events[-1]
    assert final.type == "response.completed"
    assert "sunny" in final.response.output_text


def test_every_streamed_event_and_answer_match_the_sdks_own_models(
    tool_runtime: Runtime,
) -> None:
    url = f"{tool_runtime.url}/v1/responses"
    ask: dict[str, Any] = {"model": AGENT, "input": "weather in rome"}
    plain = httpx.post(url, json=ask, timeout=30).json()
    Response.model_validate(plain, strict=False)
    with httpx.stream("POST", url, json={**ask, "stream": True}, timeout=30) as r:
        lines = [line for line in r.iter_lines() if line]
    names = [line.removeprefix("event: ") for line in lines[0::2]]
    data = [line.removeprefix("data: ") for line in lines[1::2]]
    adapter: TypeAdapter[Any] = TypeAdapter(ResponseStreamEvent)
    for name, payload in zip(names, data, strict=True):
        assert adapter.validate_json(payload).type == name


def test_previous_response_id_is_refused_with_a_400_that_says_why(runtime: Runtime) -> None:
    with client_of(runtime) as client, pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=AGENT, input="hi", previous_response_id="resp_1")
    assert "previous_response_id" in str(caught.value)
    assert "conversation" in str(caught.value)


def test_a_model_other_than_the_agent_is_a_404(runtime: Runtime) -> None:
    with client_of(runtime) as client, pytest.raises(openai.NotFoundError):
        client.responses.create(model="gpt-5", input="hi")


def test_an_unknown_input_item_is_a_422_naming_it(runtime: Runtime) -> None:
    body = {"model": AGENT, "input": [{"type": "web_search_call", "id": "x"}]}
    answer = httpx.post(f"{runtime.url}/v1/responses", json=body, timeout=30)
    assert answer.status_code == 422
    assert "input" in answer.json()["message"]


def test_a_response_is_counted_with_the_agents_requests(runtime: Runtime) -> None:
    with client_of(runtime) as client:
        client.responses.create(model=AGENT, input="count me")
    assert wait_for_requests_counted(runtime, 1) == 1


def test_a_stream_that_fails_after_it_started_ends_with_response_failed_saying_why(
    make_config: ConfigFactory, weather_tool: dict[str, Any]
) -> None:
    config = make_config(tools=[weather_tool], limits={"maxTurns": 1})
    with serving(config) as runtime, client_of(runtime) as client:
        events = list(client.responses.create(model=AGENT, input="weather in rome", stream=True))
    last = events[-1]
    assert last.type == "response.failed"
    assert last.response.error is not None
    assert last.response.error.message.startswith("max_turns_exceeded: ")
    assert "function_call_output" in [
        e.item.type for e in events if e.type == "response.output_item.done"
    ]
