"""An unexpected exception is a 500 with a generic message: no stack, no secret, one log line."""

import io
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from agent_runtime.config import RuntimeConfig
from agent_runtime.loop import Agent, LoopStream, RequestOptions
from agent_runtime.telemetry import Metrics
from agent_runtime.testing import SERVER_WAIT_SECONDS
from tests.runtime_service.conftest import ConfigFactory, serving

from .logcapture import captured_logs

LEAKED = "internal-detail-d41d8c"


class CrashingAgent(Agent):
    """The real engine, except that answering crashes with an unexpected exception."""

    def run(
        self,
        messages: list[dict[str, Any]],
        options: RequestOptions | None = None,
        *,
        stream: bool = False,
    ) -> LoopStream:
        raise RuntimeError(f"bug with {LEAKED}")


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    with captured_logs("INFO") as stream:
        yield stream


@pytest.fixture
def crashing_url(make_config: ConfigFactory) -> Iterator[str]:
    def crashing(config: RuntimeConfig, metrics: Metrics) -> Agent:
        return CrashingAgent(config, metrics=metrics)

    with serving(make_config(), engine_factory=crashing) as runtime:
        yield runtime.url


def test_an_unexpected_exception_is_a_generic_500(crashing_url: str, output: io.StringIO) -> None:
    response = httpx.post(
        f"{crashing_url}/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "hi"}]},
        timeout=10,
    )
    assert response.status_code == 500
    body = response.json()
    assert body["object"] == "error"
    assert body["type"] == "api_error"
    assert LEAKED not in response.text
    assert "Traceback" not in response.text


def test_an_unexpected_exception_is_logged_once(crashing_url: str, output: io.StringIO) -> None:
    httpx.post(
        f"{crashing_url}/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "hi"}]},
        timeout=10,
    )
    deadline = time.monotonic() + SERVER_WAIT_SECONDS
    failures: list[dict[str, Any]] = []
    while not failures and time.monotonic() < deadline:
        lines = [json.loads(raw) for raw in output.getvalue().splitlines()]
        failures = [line for line in lines if line["message"] == "Failed to serve request"]
        time.sleep(0.01)
    (failure,) = failures
    assert failure["error_type"] == "RuntimeError"
    assert failure["path"] == "/v1/chat/completions"
