"""Server-sent events in Mistral's chunk format, and a client that leaves mid-stream."""

import json
from typing import Any

import httpx

from agent_runtime.mockllm import MockLLM
from tests.runtime_service.conftest import AGENT, Runtime

ASK = {"model": AGENT, "stream": True, "messages": [{"role": "user", "content": "a b c"}]}


def test_a_stream_is_mistral_chunks_then_done(runtime: Runtime) -> None:
    with httpx.stream("POST", f"{runtime.url}/v1/chat/completions", json=ASK, timeout=30) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in r.iter_lines() if line]
    assert all(line.startswith("data: ") for line in lines)
    assert lines[-1] == "data: [DONE]"
    chunks: list[dict[str, Any]] = [json.loads(line[6:]) for line in lines[:-1]]
    assert {chunk["object"] for chunk in chunks} == {"chat.completion.chunk"}
    assert {chunk["model"] for chunk in chunks} == {AGENT}
    assert len({chunk["id"] for chunk in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["usage"]["total_tokens"] > 0
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert text == "You said: a b c"


def test_the_service_keeps_serving_after_a_client_leaves_mid_stream(
    runtime: Runtime, mock_llm: MockLLM
) -> None:
    mock_llm.token_latency_seconds = 0.05
    mock_llm.reply_text(" ".join(["word"] * 200))
    with httpx.stream("POST", f"{runtime.url}/v1/chat/completions", json=ASK, timeout=30) as r:
        for index, _ in enumerate(r.iter_lines()):
            if index == 3:
                break
    mock_llm.token_latency_seconds = 0.0
    after = httpx.post(
        f"{runtime.url}/v1/chat/completions", json={**ASK, "stream": False}, timeout=30
    )
    assert after.status_code == 200
    assert after.json()["choices"][0]["message"]["content"] == "You said: a b c"
