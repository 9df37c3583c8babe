"""`agent-operator dev AGENT.yaml`, driven as a user drives it: run, read, ask, Ctrl-C."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from mistralai.client import Mistral

from agent_runtime.testing import free_port

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "local" / "weather.yaml"
#: Seconds the command gets to print its banner (two Python processes start on a busy machine).
START_TIMEOUT = 180.0
#: Seconds it gets to stop everything after Ctrl-C (each child gets up to 15 s to drain).
STOP_TIMEOUT = 60.0


class Command:
    """A running `agent-operator dev`, its stdout read line by line on a thread."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "agent_operator.cli", "dev", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group, so a failed test can end it all
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for(self, text: str) -> str:
        """Everything printed until a line containing `text`."""
        deadline = time.monotonic() + START_TIMEOUT
        while not any(text in line for line in self.seen):
            if self.process.poll() is not None and self.lines.empty():
                pytest.fail(f"dev exited {self.process.returncode}: {self.stderr()}")
            try:
                self.seen.append(self.lines.get(timeout=max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                pytest.fail(f"dev printed no {text!r} in {START_TIMEOUT:g} s: {self.seen}")
        return "".join(self.seen)

    def interrupt(self) -> int:
        """Ctrl-C, and the exit status."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=STOP_TIMEOUT)

    def stderr(self) -> str:
        assert self.process.stderr is not None
        return self.process.stderr.read() if self.process.poll() is not None else ""

    def close(self) -> None:
        """End the command and whatever it started (they share its process group)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT)
        self.reader.join(timeout=STOP_TIMEOUT)  # the pipe ends once every holder is gone
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()


@pytest.fixture
def local_agent(tmp_path: Path) -> tuple[Path, int]:
    """The local example Agent, its tool pointed at a free port where the mock will listen."""
    mock_port = free_port()
    manifest = tmp_path / "weather.yaml"
    manifest.write_text(EXAMPLE.read_text().replace("127.0.0.1:8081", f"127.0.0.1:{mock_port}"))
    return manifest, mock_port


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_dev_serves_the_agent_prints_how_to_call_it_and_stops_on_ctrl_c(
    local_agent: tuple[Path, int],
) -> None:
    manifest, mock_port = local_agent
    port = free_port()
    command = Command(str(manifest), "--mock", "--mock-port", str(mock_port), "--port", str(port))
    try:
        banner = command.wait_for("Press Ctrl-C to stop")
        url = re.search(r"Serving Agent demo/weather at (\S+)", banner)
        model = re.search(r"model name for clients: (\S+)", banner)
        assert url is not None
        assert url.group(1) == f"http://127.0.0.1:{port}"
        assert model is not None
        assert model.group(1) == "weather"
        assert f"curl -s {url.group(1)}/v1/chat/completions" in banner
        assert "from mistralai.client import Mistral" in banner

        with Mistral(api_key="unused", server_url=url.group(1)) as client:
            answer = client.chat.complete(
                model=model.group(1),
                messages=[{"role": "user", "content": "What is the weather in Paris"}],
            )
        message = answer.choices[0].message
        assert message is not None
        assert isinstance(message.content, str)
        assert '"city": "Paris"' in message.content  # the tool was called over HTTP

        assert command.interrupt() == 0
        assert not listening(port), "the runtime outlived Ctrl-C"
        assert not listening(mock_port), "the mock model outlived Ctrl-C"
    finally:
        command.close()


def test_dev_on_a_taken_port_exits_with_the_runtimes_own_error(
    local_agent: tuple[Path, int],
) -> None:
    manifest, mock_port = local_agent
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "agent_operator.cli",
                "dev",
                str(manifest),
                "--mock",
                "--mock-port",
                str(mock_port),
                "--port",
                str(port),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # the terminal shows both, interleaved
            text=True,
            timeout=START_TIMEOUT,
            check=False,
        )
    assert done.returncode != 0
    assert "address already in use" in done.stdout.lower()  # uvicorn's own words
    assert "agent-runtime serve exited" in done.stdout
    assert not listening(mock_port), "the mock model outlived the failed start"
