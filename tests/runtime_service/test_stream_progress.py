"""A stream opens before the answer, shows each tool's start and end, and keeps alive.

The progress travels as SSE comment lines, which the real `openai` and `mistralai` clients
skip (their streams parse as before) and a raw SSE reader sees.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mistralai.client import Mistral
from openai import OpenAI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agent_runtime.mockllm import MockLLM
from agent_runtime.testing import running_app
from tests.runtime_service.conftest import AGENT, ConfigFactory, Runtime, serving

#: The longest any wait of these tests may take before it counts as a failure.
WAIT_SECONDS = 30
QUESTION = "Weather in Paris and Rome?"
TWO_CITIES = [{"role": "user", "content": QUESTION}]
BODY = {"model": AGENT, "stream": True, "messages": TWO_CITIES}


def two_tool_calls(mock_llm: MockLLM) -> None:
    mock_llm.reply_tool_calls(("get_weather", {"city": "Paris"}), ("get_weather", {"city": "Rome"}))


def sse_lines(response: httpx.Response) -> Iterator[str]:
    return (line for line in response.iter_lines() if line)


def progress_of(lines: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """The tool comments of a stream: (`tool.started` or `tool.finished`, their fields)."""
    found = []
    for line in lines:
        if line.startswith(": tool."):
            kind, _, body = line[2:].partition(" ")
            found.append((kind, json.loads(body)))
    return found


def test_a_raw_reader_sees_each_tool_start_and_end_before_the_answer(
    tool_runtime: Runtime, mock_llm: MockLLM
) -> None:
    two_tool_calls(mock_llm)
    url = f"{tool_runtime.url}/v1/chat/completions"
    with httpx.stream("POST", url, json=BODY, timeout=WAIT_SECONDS) as response:
        assert response.status_code == 200
        lines = list(sse_lines(response))
    progress = progress_of(lines)
    assert [kind for kind, _ in progress] == ["tool.started"] * 2 + ["tool.finished"] * 2
    assert {fields["name"] for _, fields in progress} == {"get_weather"}
    started = [fields["call_id"] for kind, fields in progress if kind == "tool.started"]
    finished = {fields["call_id"]: fields["outcome"] for kind, fields in progress[2:]}
    assert len(set(started)) == 2
    assert finished == dict.fromkeys(started, "ok")
    first_data = next(i for i, line in enumerate(lines) if line.startswith("data: "))
    assert all(line.startswith(": ") for line in lines[:first_data])
    assert lines[-1] == "data: [DONE]"


def test_the_openai_client_streams_a_two_tool_answer_unchanged(
    tool_runtime: Runtime, mock_llm: MockLLM
) -> None:
    two_tool_calls(mock_llm)
    client = OpenAI(
        api_key="unused", base_url=f"{tool_runtime.url}/v1", max_retries=0, timeout=WAIT_SECONDS
    )
    with client:
        stream = client.chat.completions.create(
            model=AGENT, messages=[{"role": "user", "content": QUESTION}], stream=True
        )
        chunks = list(stream)
    assert {chunk.object for chunk in chunks} == {"chat.completion.chunk"}
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.startswith("Tool results: get_weather:")
    assert "Paris" in text
    assert "Rome" in text
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_the_mistral_client_streams_a_two_tool_answer_unchanged(
    tool_runtime: Runtime, mock_llm: MockLLM
) -> None:
    two_tool_calls(mock_llm)
    with Mistral(api_key="unused", server_url=tool_runtime.url) as client:
        events = list(
            client.chat.stream(model=AGENT, messages=[{"role": "user", "content": QUESTION}])
        )
    deltas = [e.data.choices[0].delta.content for e in events if e.data.choices]
    text = "".join(d for d in deltas if isinstance(d, str))
    assert text.startswith("Tool results: get_weather:")
    assert "Paris" in text
    assert "Rome" in text
    assert events[-1].data.choices[0].finish_reason == "stop"


@pytest.fixture
def slow_tool() -> Iterator[tuple[str, threading.Event]]:
    """An HTTP tool that answers only once the test releases it: a tool phase of any length."""
    release = threading.Event()

    async def wait(request: Request) -> Response:
        import anyio.to_thread

        await anyio.to_thread.run_sync(release.wait, WAIT_SECONDS)
        return JSONResponse({"done": True})

    app = Starlette(routes=[Route("/wait", wait, methods=["POST"])])
    with running_app(app) as url:
        yield url, release
        release.set()


def test_keepalive_comments_flow_while_a_slow_tool_runs(
    make_config: ConfigFactory, mock_llm: MockLLM, slow_tool: tuple[str, threading.Event]
) -> None:
    url, release = slow_tool
    tool = {"name": "wait", "http": {"url": f"{url}/wait", "retry": {"attempts": 1}}}
    mock_llm.reply_tool_call("wait")
    config = make_config(tools=[tool])
    with serving(config, keepalive_seconds=0.05) as runtime:
        target = f"{runtime.url}/v1/chat/completions"
        with httpx.stream("POST", target, json=BODY, timeout=WAIT_SECONDS) as response:
            assert response.status_code == 200
            seen: list[str] = []
            during_tool: list[str] = []
            for line in sse_lines(response):
                seen.append(line)
                if during_tool or line.startswith(": tool.started"):
                    during_tool.append(line)
                # The tool is held until three keep-alives have come while it ran.
                if during_tool.count(": keep-alive") == 3:
                    release.set()
    finished = next(i for i, line in enumerate(during_tool) if line.startswith(": tool.finished"))
    assert finished > 3
    assert during_tool[1:finished] == [": keep-alive"] * (finished - 1)
    assert seen[-1] == "data: [DONE]"
    assert json.loads(seen[-2][6:])["choices"][0]["finish_reason"] == "stop"


def test_a_stream_opens_with_a_keepalive_before_a_slow_model_answers(
    make_config: ConfigFactory, mock_llm: MockLLM
) -> None:
    # A model twenty keep-alive intervals slow: the stream must not wait for it to open.
    mock_llm.latency_seconds = 1.0
    with serving(make_config(), keepalive_seconds=0.05) as runtime:
        target = f"{runtime.url}/v1/chat/completions"
        with httpx.stream("POST", target, json=BODY, timeout=WAIT_SECONDS) as response:
            assert response.status_code == 200
            lines = list(sse_lines(response))
    first_data = next(i for i, line in enumerate(lines) if line.startswith("data: "))
    assert first_data > 0
    assert set(lines[:first_data]) == {": keep-alive"}
    assert lines[-1] == "data: [DONE]"
