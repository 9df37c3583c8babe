"""Clients that trickle or stall do not hold up anyone else.

Fifty connections send a request's head and part of its body, then stall; others open and
send nothing. Meanwhile an ordinary client is answered, in full, and the runtime is ready.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from tests.runtime_engine.fixtures import ConfigFactory
from tests.runtime_reliability.conftest import ask
from tests.runtime_service.conftest import Runtime, serving

#: Stalled connections held open while an ordinary client is served.
STALLED = 50


@pytest.fixture
def runtime(make_config: ConfigFactory) -> Iterator[Runtime]:
    with serving(make_config()) as served:
        yield served


def stall(runtime: Runtime, *, partial_body: bool) -> socket.socket:
    """A connection that sends a request's head (and part of its body), then nothing more."""
    host, port = runtime.url.removeprefix("http://").split(":")
    conn = socket.create_connection((host, int(port)), timeout=5)
    if partial_body:
        head = (
            "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
            "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
        )
        conn.sendall(head.encode() + b'{"messages": [')
    return conn


def test_stalled_clients_do_not_keep_others_from_being_served(runtime: Runtime) -> None:
    with ExitStack() as held:
        for i in range(STALLED):
            held.enter_context(stall(runtime, partial_body=i % 2 == 0))
        response = ask(runtime, "Are you there?")
        ready = httpx.get(f"{runtime.url}/readyz", timeout=5)
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "You said: Are you there?"
    assert ready.status_code == 200
