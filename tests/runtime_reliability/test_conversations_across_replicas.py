"""Two `agent-runtime serve` processes sharing one real redis-server, driven by the Mistral SDK.

Any replica serves any step of a conversation: a conversation started on one continues on the
other, a replica SIGKILLed between turns or while a tool call waits for a person loses
nothing, a call approved on the other replica runs exactly once (the tool server counts), and
Redis going away makes `/readyz` say so until it returns, without a restart.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from mistralai.client import Mistral
from mistralai.client.errors import SDKError
from mistralai.client.models import FunctionCallEntry, MessageOutputEntry, ToolCallConfirmation

from agent_runtime.mockllm import MockLLM
from tests.runtime_engine.fixtures import ToolServer
from tests.runtime_reliability.conftest import wait_until
from tests.runtime_service.conftest import AGENT, ConfigFactory
from tests.runtime_service.conftest import weather_tool as weather_tool
from tests.runtime_service.test_server import Process
from tests.runtime_store.conftest import start_redis
from tests.runtime_store.redis_server import RedisServer


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test alone, which it may kill and start again."""
    directory = tmp_path / "redis"
    directory.mkdir()
    server = start_redis(directory)
    yield server
    server.kill()


@pytest.fixture
def replicas(
    start: object,
    make_config: ConfigFactory,
    weather_tool: dict[str, Any],
    redis: RedisServer,
    tmp_path: Path,
) -> list[Process]:
    """Two runtime processes of one agent, its tool held for approval, on one Redis."""
    assert callable(start)
    url_file = tmp_path / "redis-url"
    url_file.write_text(redis.url)
    config = make_config(
        tools=[{**weather_tool, "requireApproval": True}],
        conversations={"redis": {"url": {"file": str(url_file)}}, "storeTimeoutSeconds": 5},
    )
    return [start(config), start(config)]


def sdk(process: Process) -> Mistral:
    return Mistral(api_key="unused", server_url=process.url)


def allow(call_id: str) -> list[ToolCallConfirmation]:
    return [ToolCallConfirmation(tool_call_id=call_id, confirmation="allow")]


def pending(outputs: list[Any]) -> FunctionCallEntry:
    (output,) = outputs
    assert isinstance(output, FunctionCallEntry)
    assert output.confirmation_status == "pending"
    return output


def is_ready(url: str) -> bool:
    return httpx.get(f"{url}/readyz", timeout=30).status_code == 200


def script(mock: MockLLM, *inputs: str) -> None:
    """The model answers these turns with text (offered a tool, it would call it otherwise)."""
    for text in inputs:
        mock.reply_text(f"You said: {text}")


def answer(outputs: list[Any]) -> str:
    (output,) = outputs
    assert isinstance(output, MessageOutputEntry)
    return str(output.content)


def test_a_conversation_started_on_one_replica_continues_on_the_other_with_its_history(
    replicas: list[Process], mock_llm: MockLLM
) -> None:
    a, b = replicas
    script(mock_llm, "hello", "bye")
    with sdk(a) as on_a, sdk(b) as on_b:
        first = on_a.beta.conversations.start(inputs="hello", agent_id=AGENT)
        assert answer(first.outputs) == "You said: hello"
        second = on_b.beta.conversations.append(conversation_id=first.conversation_id, inputs="bye")
        assert answer(second.outputs) == "You said: bye"
        sent = [m["content"] for m in mock_llm.completions[-1].messages]
        assert sent[-3:] == ["hello", "You said: hello", "bye"]
        messages = on_a.beta.conversations.get_messages(conversation_id=first.conversation_id)
    assert [m.content for m in messages.messages] == [
        "hello",
        "You said: hello",
        "bye",
        "You said: bye",
    ]


def test_a_replica_killed_between_turns_loses_nothing(
    replicas: list[Process], mock_llm: MockLLM
) -> None:
    a, b = replicas
    script(mock_llm, "remember me", "still here")
    with sdk(a) as on_a:
        first = on_a.beta.conversations.start(inputs="remember me", agent_id=AGENT)
    a.popen.send_signal(signal.SIGKILL)
    a.popen.wait(30)
    with sdk(b) as on_b:
        on_b.beta.conversations.append(conversation_id=first.conversation_id, inputs="still here")
        history = on_b.beta.conversations.get_messages(conversation_id=first.conversation_id)
    assert [m.content for m in history.messages] == [
        "remember me",
        "You said: remember me",
        "still here",
        "You said: still here",
    ]


def test_a_call_held_on_a_killed_replica_is_approved_on_the_other_and_runs_once(
    replicas: list[Process], tool_server: ToolServer
) -> None:
    a, b = replicas
    with sdk(a) as on_a:
        started = on_a.beta.conversations.start(inputs="weather in paris", agent_id=AGENT)
    call = pending(started.outputs)
    a.popen.send_signal(signal.SIGKILL)
    a.popen.wait(30)
    assert tool_server.seen("/weather") == []
    with sdk(b) as on_b:
        done = on_b.beta.conversations.append(
            conversation_id=started.conversation_id, tool_confirmations=allow(call.tool_call_id)
        )
        assert answer(done.outputs).startswith("Tool results: get_weather")
        with pytest.raises(SDKError) as again:
            on_b.beta.conversations.append(
                conversation_id=started.conversation_id, tool_confirmations=allow(call.tool_call_id)
            )
    assert again.value.status_code == 409
    assert len(tool_server.seen("/weather")) == 1


def test_one_approval_sent_to_both_replicas_at_once_runs_the_tool_exactly_once(
    replicas: list[Process], tool_server: ToolServer
) -> None:
    with sdk(replicas[0]) as on_a:
        started = on_a.beta.conversations.start(inputs="weather in oslo", agent_id=AGENT)
    call = pending(started.outputs)
    statuses: list[int] = []
    barrier = threading.Barrier(len(replicas))

    def approve(process: Process) -> None:
        body = {
            "tool_confirmations": [{"tool_call_id": call.tool_call_id, "confirmation": "allow"}]
        }
        barrier.wait(timeout=30)
        response = httpx.post(
            f"{process.url}/v1/conversations/{started.conversation_id}", json=body, timeout=30
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=approve, args=(p,)) for p in replicas]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [200, 409]
    assert len(tool_server.seen("/weather")) == 1


def test_redis_down_makes_readyz_say_why_and_it_recovers_without_a_restart(
    replicas: list[Process], redis: RedisServer, mock_llm: MockLLM
) -> None:
    a, b = replicas
    assert httpx.get(f"{a.url}/readyz", timeout=10).status_code == 200
    redis.kill()
    for process in replicas:
        ready = httpx.get(f"{process.url}/readyz", timeout=30)
        assert ready.status_code == 503
        (reason,) = ready.json()["reasons"]
        assert f"127.0.0.1:{redis.port} is unavailable" in reason
    refused = httpx.post(f"{b.url}/v1/conversations", json={"inputs": "hi"}, timeout=30)
    assert refused.status_code == 503
    assert refused.json()["code"] == "store_unavailable"
    redis.start()
    for process in replicas:
        wait_until(partial(is_ready, process.url), "the replica to be ready again", timeout=30)
    script(mock_llm, "back")
    with sdk(b) as on_b:
        again = on_b.beta.conversations.start(inputs="back", agent_id=AGENT)
    assert answer(again.outputs) == "You said: back"
