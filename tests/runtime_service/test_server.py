"""`agent-runtime serve` as a process: loads its config file, and stops gracefully on SIGTERM."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from agent_runtime.config import RuntimeConfig
from agent_runtime.mockllm import MockLLM
from agent_runtime.testing import free_port
from tests.runtime_service.conftest import AGENT, ConfigFactory

#: Longest wait for the process to start (it imports the whole stack) or to exit.
PROCESS_WAIT_SECONDS = 30.0


@dataclass
class Process:
    popen: subprocess.Popen[bytes]
    url: str
    log: Path


def wait_until(condition: object, what: str, timeout: float = PROCESS_WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def start(tmp_path: Path) -> Iterator[object]:
    """Start `python -m agent_runtime serve` on a free port with a config file; kill leftovers."""
    started: list[subprocess.Popen[bytes]] = []

    def run(config: RuntimeConfig, *, by_env: bool = False) -> Process:
        path = tmp_path / "agent.json"
        path.write_text(config.to_json())
        port = free_port()
        log = tmp_path / f"serve-{port}.log"
        args = [sys.executable, "-m", "agent_runtime", "serve", "--host", "127.0.0.1"]
        args += ["--port", str(port), "--graceful-timeout", "20"]
        env = dict(os.environ)
        if by_env:
            env["AGENT_RUNTIME_CONFIG"] = str(path)
        else:
            args += ["--config", str(path)]
        with log.open("wb") as out:
            popen = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)
        started.append(popen)
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: answers(url) or popen.poll() is not None, "the runtime to start")
        assert popen.poll() is None, log.read_text()
        return Process(popen, url, log)

    yield run
    for popen in started:
        if popen.poll() is None:
            popen.kill()
        popen.wait(PROCESS_WAIT_SECONDS)


def test_serve_loads_the_config_named_by_the_environment(
    start: object, make_config: ConfigFactory
) -> None:
    assert callable(start)
    process: Process = start(make_config(), by_env=True)
    models = httpx.get(f"{process.url}/v1/models", timeout=10).json()
    assert [m["id"] for m in models["data"]] == [AGENT]
    process.popen.send_signal(signal.SIGTERM)
    assert process.popen.wait(PROCESS_WAIT_SECONDS) == 0
    lines = [json.loads(line) for line in process.log.read_text().splitlines()]
    messages = [line["message"] for line in lines]
    assert "Started agent runtime" in messages
    assert "Stopped agent runtime" in messages


def test_sigterm_lets_an_in_flight_request_finish_then_exits_0(
    start: object, make_config: ConfigFactory, mock_llm: MockLLM
) -> None:
    assert callable(start)
    process: Process = start(make_config())
    mock_llm.latency_seconds = 2.0
    results: list[httpx.Response] = []

    def ask() -> None:
        body = {"model": AGENT, "messages": [{"role": "user", "content": "slow one"}]}
        results.append(
            httpx.post(
                f"{process.url}/v1/chat/completions", json=body, timeout=PROCESS_WAIT_SECONDS
            )
        )

    asking = threading.Thread(target=ask)
    asking.start()
    wait_until(lambda: len(mock_llm.completions) == 1, "the request to reach the model")
    process.popen.send_signal(signal.SIGTERM)
    asking.join(PROCESS_WAIT_SECONDS)
    assert process.popen.wait(PROCESS_WAIT_SECONDS) == 0
    (response,) = results
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "You said: slow one"


def test_sigterm_lets_a_stream_finish(
    start: object, make_config: ConfigFactory, mock_llm: MockLLM
) -> None:
    assert callable(start)
    process: Process = start(make_config())
    mock_llm.token_latency_seconds = 0.2
    mock_llm.reply_text("one two three four five six seven eight")
    body = {"model": AGENT, "stream": True, "messages": [{"role": "user", "content": "go"}]}
    lines: list[str] = []
    with httpx.stream(
        "POST", f"{process.url}/v1/chat/completions", json=body, timeout=PROCESS_WAIT_SECONDS
    ) as response:
        for line in response.iter_lines():
            lines.append(line)
            if len(lines) == 1:
                process.popen.send_signal(signal.SIGTERM)
    assert process.popen.wait(PROCESS_WAIT_SECONDS) == 0
    data = [line.removeprefix("data: ") for line in lines if line.startswith("data: ")]
    assert data[-1] == "[DONE]"
    text = "".join(json.loads(d)["choices"][0]["delta"].get("content") or "" for d in data[:-1])
    assert text == "one two three four five six seven eight"
