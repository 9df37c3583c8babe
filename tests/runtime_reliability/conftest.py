"""Helpers of the reliability tests: a served runtime faced with faults, bad input and load.

The fake model (`mock_llm`), the fault-injecting tool server (`tool_server`) and the config
factory (`make_config`, fast retries) are the engine tests' fixtures; runtimes are served with
`tests.runtime_service.conftest.serving`, so every request here goes through real HTTP on
127.0.0.1. Every wait is bounded: a request that would hang fails its test instead.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Final

import httpx
import pytest

from tests.runtime_service.conftest import AGENT, Runtime

# Fixtures of the service tests, shared here: `output` captures the runtime's JSON log lines;
# `start` runs `agent-runtime serve` as a process on 127.0.0.1 (and kills it if left running).
from tests.runtime_service.test_request_logs import output as output
from tests.runtime_service.test_server import start as start

#: Slack on top of `requestTimeoutSeconds` within which every request must be answered.
GRACE_SECONDS: Final = 3.0
#: The error shape of every 4xx and 5xx the runtime answers (Mistral's, which OpenAI reads).
ERROR_KEYS: Final = frozenset({"object", "message", "type", "param", "code"})

_SAMPLE = re.compile(r"^(?P<name>[a-z_]+)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$")


def ask(
    runtime: Runtime,
    content: str = "Weather in Paris?",
    *,
    stream: bool = False,
    token: str | None = None,
    timeout: float | None = None,
) -> httpx.Response:
    """One chat completion over HTTP, bounded by the agent's request timeout plus the grace."""
    limit = timeout if timeout is not None else runtime_bound(runtime)
    headers = {} if token is None else {"authorization": f"Bearer {token}"}
    body = {"model": AGENT, "stream": stream, "messages": [{"role": "user", "content": content}]}
    return httpx.post(
        f"{runtime.url}/v1/chat/completions", json=body, headers=headers, timeout=limit
    )


def runtime_bound(runtime: Runtime) -> float:
    """The longest any request of this runtime may take to be answered."""
    return runtime.config.limits.request_timeout_seconds + GRACE_SECONDS


def assert_error_shape(response: httpx.Response) -> dict[str, Any]:
    """The body of an error response, checked to have the documented keys; returned."""
    body: dict[str, Any] = response.json()
    assert body.keys() >= ERROR_KEYS, body
    assert body["object"] == "error"
    assert isinstance(body["message"], str)
    assert body["message"]
    return body


def stream_events(response: httpx.Response) -> list[dict[str, Any] | str]:
    """The `data:` payloads of a server-sent-events body: chunks as dicts, `[DONE]` as is."""
    events: list[dict[str, Any] | str] = []
    for line in response.text.splitlines():
        if line.startswith("data: "):
            payload = line.removeprefix("data: ")
            events.append(payload if payload == "[DONE]" else json.loads(payload))
    return events


def scrape(runtime: Runtime) -> str:
    """The runtime's `/metrics` page, as Prometheus reads it."""
    response = httpx.get(f"{runtime.url}/metrics", timeout=10)
    assert response.status_code == 200
    return response.text


def samples(text: str, name: str) -> dict[frozenset[tuple[str, str]], float]:
    """The samples of one metric in a Prometheus text page, keyed by their label sets."""
    found: dict[frozenset[tuple[str, str]], float] = {}
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if match is None or match["name"] != name:
            continue
        labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match["labels"] or ""))
        found[labels] = float(match["value"])
    return found


def sample(text: str, name: str, **labels: str) -> float:
    """One sample's value (0.0 when absent)."""
    return samples(text, name).get(frozenset(labels.items()), 0.0)


class SilentListener:
    """A TCP listener on 127.0.0.1 that accepts connections, counts them, and never answers.

    As a tool it hangs; as a host outside the egress allowlist, `connections` proves that the
    runtime never connected to it.
    """

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.05)
        self._accepted: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        host, port = self._socket.getsockname()
        self.url = f"http://{host}:{port}"

    @property
    def connections(self) -> int:
        return len(self._accepted)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._socket.accept()
            except TimeoutError:
                continue
            self._accepted.append(conn)

    def __enter__(self) -> SilentListener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        for conn in self._accepted:
            conn.close()
        self._socket.close()


@pytest.fixture
def silent() -> Iterator[SilentListener]:
    """A `SilentListener` for the length of a test."""
    with SilentListener() as listener:
        yield listener


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Poll `condition` until it holds; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
