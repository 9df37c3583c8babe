"""`make demo` without a cluster: the example Agent rendered, served and answering."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_local_demo_renders_the_agent_and_prints_its_answer() -> None:
    command = [
        sys.executable,
        str(ROOT / "scripts" / "demo.py"),
        "--local",
        "--mock-port",
        str(free_port()),
        "--port",
        str(free_port()),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "would apply Deployment default/weather" in out
    assert "would apply ConfigMap default/weather" in out
    answer = next(line for line in out.splitlines() if line.startswith("answer: "))
    streamed = next(line for line in out.splitlines() if line.startswith("streamed: "))
    assert '"city": "Paris"' in answer  # the tool was called over HTTP with the user's city
    assert streamed.removeprefix("streamed: ") == answer.removeprefix("answer: ")
