"""`tool_choice` over HTTP: honoured as the chat completions API defines it, or refused."""

from __future__ import annotations

from typing import Any

import httpx

from tests.runtime_service.conftest import Runtime, ToolServer

CHAT = "/v1/chat/completions"
ASK = [{"role": "user", "content": "Weather in Paris?"}]


def ask(runtime: Runtime, tool_choice: Any, **extra: Any) -> httpx.Response:
    body = {"messages": ASK, "tool_choice": tool_choice, **extra}
    return httpx.post(runtime.url + CHAT, json=body, timeout=10)


def test_tool_choice_none_answers_without_running_a_tool(
    tool_runtime: Runtime, tool_server: ToolServer
) -> None:
    response = ask(tool_runtime, "none")
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "You said: Weather in Paris?"
    assert tool_server.calls == []


def test_tool_choice_none_streams_without_running_a_tool(
    tool_runtime: Runtime, tool_server: ToolServer
) -> None:
    response = ask(tool_runtime, "none", stream=True)
    assert response.status_code == 200
    assert "You" in response.text
    assert tool_server.calls == []


def test_tool_choice_required_runs_the_tool(tool_runtime: Runtime, tool_server: ToolServer) -> None:
    response = ask(tool_runtime, "required")
    assert response.status_code == 200
    assert tool_server.calls == [{"city": "Paris"}]


def test_a_named_function_the_agent_lacks_is_a_400(
    tool_runtime: Runtime, tool_server: ToolServer
) -> None:
    response = ask(tool_runtime, {"type": "function", "function": {"name": "get_tides"}})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid_tool_choice"
    assert "get_tides" in body["message"]
    assert "get_weather" in body["message"]
    assert tool_server.calls == []
