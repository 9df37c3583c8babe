"""The `agent-runtime` command line: check-config, serve's defaults, mock-llm, `python -m`."""

import contextlib
import io
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from agent_runtime.cli import build_parser, check_config, main
from agent_runtime.config import RuntimeConfig
from agent_runtime.testing import free_port

CONFIG = {
    "agent": {"name": "weather", "namespace": "demo"},
    "model": {
        "name": "mistral-small-latest",
        "endpoint": "http://127.0.0.1:9/",
        "apiKey": {"file": "/var/run/agent-runtime/secrets/mistral/apiKey"},
    },
    "tools": [
        {"name": "get_weather", "http": {"url": "http://weather.test/v1", "method": "GET"}},
        {"name": "billing", "agent": {"url": "http://billing.demo.svc", "agentName": "billing"}},
    ],
    "auth": {"bearerToken": {"env": "API_TOKEN"}},
}


def write(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "agent.json"
    path.write_text(json.dumps(content))
    return path


def test_check_config_summarizes_a_valid_config(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert check_config(str(write(tmp_path, CONFIG)), out, err) == 0
    summary = out.getvalue()
    assert "Agent demo/weather" in summary
    assert "get_weather: http GET http://weather.test/v1" in summary
    assert "billing: agent billing at http://billing.demo.svc" in summary
    assert "bearer token from env API_TOKEN" in summary
    assert err.getvalue() == ""


def test_check_config_names_the_invalid_field(tmp_path: Path) -> None:
    broken = {**CONFIG, "limits": {"maxTurns": 0}}
    out, err = io.StringIO(), io.StringIO()
    assert check_config(str(write(tmp_path, broken)), out, err) == 1
    assert "limits.maxTurns" in err.getvalue()


def test_check_config_refuses_unknown_keys(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert check_config(str(write(tmp_path, {**CONFIG, "replicas": 2})), out, err) == 1
    assert "replicas" in err.getvalue()


def test_check_config_reports_a_missing_file(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert check_config(str(tmp_path / "nope.json"), out, err) == 1
    assert "Cannot read" in err.getvalue()


def test_check_config_accepts_the_directory_of_a_mounted_config_map(tmp_path: Path) -> None:
    write(tmp_path, CONFIG)
    assert main(["check-config", str(tmp_path)]) == 0


def test_check_config_accepts_what_the_config_model_renders(tmp_path: Path) -> None:
    rendered = RuntimeConfig.model_validate(CONFIG).to_json()
    path = tmp_path / "agent.json"
    path.write_text(rendered)
    assert main(["check-config", str(path)]) == 0


def test_serve_defaults_to_the_environment_config_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENT_RUNTIME_CONFIG", "/tmp/elsewhere.json")
    args = build_parser().parse_args(["serve"])
    assert (args.config, args.host, args.port, args.graceful_timeout) == (
        "/tmp/elsewhere.json",
        "0.0.0.0",
        8080,
        25.0,
    )


def test_python_dash_m_runs_the_same_command(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "agent_runtime", "check-config", str(write(tmp_path, CONFIG))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Agent demo/weather" in done.stdout


def test_mock_llm_serves_a_script_until_sigterm(tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text(json.dumps([{"content": "scripted answer"}]))
    port = free_port()
    args = [sys.executable, "-m", "agent_runtime", "mock-llm", "--port", str(port)]
    process = subprocess.Popen([*args, "--script", str(script)], stdout=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/v1/chat/completions"
        body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.post(url, json=body, timeout=5).json()
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "mock-llm did not start"
                time.sleep(0.05)
        assert answer["choices"][0]["message"]["content"] == "scripted answer"
        process.send_signal(signal.SIGTERM)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(30)


def test_serve_refuses_an_invalid_config_without_a_traceback(tmp_path: Path) -> None:
    broken = write(tmp_path, {**CONFIG, "limits": {"maxTurns": 0}})
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main(["serve", "--config", str(broken), "--port", str(free_port())]) == 1
    assert "limits.maxTurns" in err.getvalue()
    assert "Traceback" not in err.getvalue()
