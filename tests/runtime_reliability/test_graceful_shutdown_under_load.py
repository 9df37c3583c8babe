"""SIGTERM with several requests in flight: all of them finish, new connections are refused.

`tests/runtime_service/test_server.py` shows one request and one stream finishing after
SIGTERM; here several completions and streams are in flight at once, and a client that
connects after the signal is refused while they finish. The process then exits 0.
"""

from __future__ import annotations

import json
import signal
from concurrent.futures import Future, ThreadPoolExecutor

import httpx

from agent_runtime.mockllm import MockLLM
from tests.runtime_engine.fixtures import ConfigFactory
from tests.runtime_reliability.conftest import stream_events, wait_until
from tests.runtime_service.conftest import AGENT
from tests.runtime_service.test_server import PROCESS_WAIT_SECONDS, Process

#: Completions and streams in flight when SIGTERM arrives.
COMPLETIONS = 3
STREAMS = 2
ANSWER = "one two three four five six"


def post(url: str, *, stream: bool, content: str) -> httpx.Response:
    body = {"model": AGENT, "stream": stream, "messages": [{"role": "user", "content": content}]}
    return httpx.post(f"{url}/v1/chat/completions", json=body, timeout=PROCESS_WAIT_SECONDS)


def refused(url: str) -> bool:
    try:
        httpx.get(f"{url}/healthz", timeout=1)
    except httpx.ConnectError:
        return True
    return False


def test_sigterm_finishes_every_request_in_flight_and_refuses_new_connections(
    start: object, make_config: ConfigFactory, mock_llm: MockLLM
) -> None:
    assert callable(start)
    process: Process = start(make_config())
    mock_llm.latency_seconds = 1.5
    mock_llm.token_latency_seconds = 0.1
    for _ in range(STREAMS):
        mock_llm.reply_text(ANSWER)
    with ThreadPoolExecutor(COMPLETIONS + STREAMS) as pool:
        streams = [
            pool.submit(post, process.url, stream=True, content="stream") for _ in range(STREAMS)
        ]
        wait_until(lambda: len(mock_llm.completions) == STREAMS, "the streams to reach the model")
        completions: list[Future[httpx.Response]] = [
            pool.submit(post, process.url, stream=False, content=f"question {i}")
            for i in range(COMPLETIONS)
        ]
        wait_until(
            lambda: len(mock_llm.completions) == STREAMS + COMPLETIONS,
            "every request to reach the model",
        )
        process.popen.send_signal(signal.SIGTERM)
        wait_until(lambda: refused(process.url), "new connections to be refused")
        assert not all(f.done() for f in completions), "refused only after everything ended"
        answers = [f.result(PROCESS_WAIT_SECONDS) for f in completions]
        streamed = [f.result(PROCESS_WAIT_SECONDS) for f in streams]
    assert process.popen.wait(PROCESS_WAIT_SECONDS) == 0

    assert [a.status_code for a in answers] == [200] * COMPLETIONS
    contents = sorted(a.json()["choices"][0]["message"]["content"] for a in answers)
    assert contents == [f"You said: question {i}" for i in range(COMPLETIONS)]
    for response in streamed:
        assert response.status_code == 200
        events = stream_events(response)
        assert events[-1] == "[DONE]"
        chunks = [e for e in events[:-1] if isinstance(e, dict)]
        assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks) == ANSWER
    lines = [json.loads(line) for line in process.log.read_text().splitlines()]
    served = [line for line in lines if line["message"] == "Served chat completion"]
    assert len(served) == COMPLETIONS + STREAMS
