"""The fake model itself: the default policy, scripts, streaming, faults, records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent_runtime.mockllm import MockLLM, default_reply

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                "required": ["city", "days"],
            },
        },
    }
]


def ask(url: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{url}/v1/chat/completions", json=body, timeout=10)


def test_offered_tools_are_called_with_arguments_built_from_the_schema() -> None:
    reply = default_reply(
        {"messages": [{"role": "user", "content": "Weather in lyon?"}], "tools": TOOLS}
    )
    assert reply.tool_calls == (("get_weather", {"city": "Lyon", "days": 1}),)


def test_after_a_tool_result_the_answer_names_the_results() -> None:
    messages = [
        {"role": "user", "content": "Weather in Lyon?"},
        {"role": "assistant", "content": "", "tool_calls": []},
        {"role": "tool", "name": "get_weather", "content": '{"c": 20}'},
    ]
    reply = default_reply({"messages": messages, "tools": TOOLS})
    assert reply.content == 'Tool results: get_weather: {"c": 20}'


def test_without_tools_the_user_is_echoed() -> None:
    assert (
        default_reply({"messages": [{"role": "user", "content": "hi"}]}).content == "You said: hi"
    )


def test_a_completion_has_mistrals_shape_and_word_counted_usage(mock_llm: MockLLM) -> None:
    mock_llm.reply_text("four words right here")
    body = ask(
        mock_llm.url, {"model": "m", "messages": [{"role": "user", "content": "a b"}]}
    ).json()
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"]["content"] == "four words right here"
    assert body["usage"] == {"prompt_tokens": 2, "completion_tokens": 4, "total_tokens": 6}


def test_streaming_sends_sse_chunks_ending_with_done(mock_llm: MockLLM) -> None:
    mock_llm.reply_tool_call("get_weather", {"city": "Oslo", "days": 2})
    response = ask(
        mock_llm.url,
        {"model": "m", "stream": True, "messages": [{"role": "user", "content": "x"}]},
    )
    events = [e for e in response.text.split("\n\n") if e]
    assert all(e.startswith("data: ") for e in events)
    assert events[-1] == "data: [DONE]"
    chunks = [json.loads(e[len("data: ") :]) for e in events[:-1]]
    [call] = next(c for c in chunks if c["choices"][0]["delta"].get("tool_calls"))["choices"][0][
        "delta"
    ]["tool_calls"]
    assert call["function"] == {"name": "get_weather", "arguments": '{"city": "Oslo", "days": 2}'}
    assert call["index"] == 0
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    assert "usage" in chunks[-1]


def test_faults_come_first_and_once_each(mock_llm: MockLLM) -> None:
    mock_llm.fail_next(status=429, retry_after=2, times=2)
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}]}
    first, second, third = (ask(mock_llm.url, body) for _ in range(3))
    assert (first.status_code, first.headers["retry-after"]) == (429, "2")
    assert second.status_code == 429
    assert third.status_code == 200


def test_a_dropped_connection_closes_without_a_complete_response(mock_llm: MockLLM) -> None:
    mock_llm.drop_next()
    with pytest.raises(httpx.RemoteProtocolError):
        ask(mock_llm.url, {"model": "m", "messages": []})


def test_every_request_is_recorded_with_its_headers(mock_llm: MockLLM) -> None:
    httpx.post(
        f"{mock_llm.url}/v1/chat/completions",
        json={"model": "m", "messages": [], "tools": TOOLS},
        headers={"Authorization": "Bearer k"},
        timeout=10,
    )
    [seen] = mock_llm.completions
    assert seen.authorization == "Bearer k"
    assert seen.tool_names == ["get_weather"]


def test_a_script_file_queues_replies(mock_llm: MockLLM, tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text(
        json.dumps([{"tool_calls": [{"name": "t", "arguments": {"a": 1}}]}, {"json": {"ok": True}}])
    )
    mock_llm.load_script(script)
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}]}
    first = ask(mock_llm.url, body).json()["choices"][0]["message"]
    second = ask(mock_llm.url, body).json()["choices"][0]["message"]
    assert first["tool_calls"][0]["function"]["name"] == "t"
    assert json.loads(second["content"]) == {"ok": True}


def test_models_and_the_demo_weather_tool_answer(mock_llm: MockLLM) -> None:
    models = httpx.get(f"{mock_llm.url}/v1/models", timeout=10).json()
    assert models["data"][0]["id"] == "mock-large"
    first = httpx.get(f"{mock_llm.url}/demo/weather", params={"city": "Paris"}, timeout=10).json()
    again = httpx.get(f"{mock_llm.url}/demo/weather", params={"city": "Paris"}, timeout=10).json()
    assert first == again
    assert set(first) == {"city", "temperature_c", "condition"}
