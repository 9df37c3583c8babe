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
    assert "would apply Deployment demo/weather" in out
    assert "would apply ConfigMap demo/weather" in out
    answer = next(line for line in out.splitlines() if line.startswith("answer: "))
    streamed = next(line for line in out.splitlines() if line.startswith("streamed: "))
    assert '"city": "Paris"' in answer  # the tool was called over HTTP with the user's city
    assert streamed.removeprefix("streamed: ") == answer.removeprefix("answer: ")


def test_local_demo_on_a_taken_port_shows_the_runtimes_own_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        command = [sys.executable, str(ROOT / "scripts" / "demo.py"), "--local"]
        command += ["--mock-port", str(free_port()), "--port", str(port)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    assert done.returncode != 0
    assert "The agent did not start" in done.stderr
    assert "address already in use" in done.stderr.lower()  # the runtime's own words


def test_make_demo_installs_the_operator_and_runtime_only_and_passes_the_ports() -> None:
    dry_run = subprocess.run(
        ["make", "-n", "-B", "demo", "PORT=18080", "MOCK_PORT=18081"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "-e '.[operator,runtime]'" in dry_run
    assert ".[dev]" not in dry_run
    assert "scripts/demo.py --port 18080 --mock-port 18081" in dry_run
