"""HTTP tools retry only what cannot run twice: a call that may have reached the server is sent
again only for a safe method (GET) or when the tool opts in (`retry.unsafe`, or an idempotency
key header it declares). A tool server counts the calls that arrived under each fault."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import pytest

from agent_runtime.config import RetryPolicy
from agent_runtime.testing import free_port
from agent_runtime.tools.base import ToolError
from agent_runtime.tools.http import send_with_retries
from tests.runtime_engine.fixtures import call_http_tool

#: What the server does with one request it has fully read.
Fault = Literal["hang", "reset", "503", "429", "429-retry-after"]
#: How long a hung answer waits for the client to leave at most: bounded, whatever happens.
HANG_SECONDS = 5.0
#: The tool's timeout per attempt: short, so a hung answer times out fast.
ATTEMPT_SECONDS = 0.2
FAULTS: list[Fault] = ["hang", "reset", "503", "429"]
UNSAFE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]


@dataclass
class Arrival:
    method: str
    headers: dict[str, str]
    body: bytes


@dataclass
class CountingServer:
    """A raw HTTP/1.1 server that counts every request it read, then answers or misbehaves."""

    url: str = ""
    arrivals: list[Arrival] = field(default_factory=list)
    faults: deque[Fault] = field(default_factory=deque)

    def fail_next(self, fault: Fault, times: int = 1) -> None:
        self.faults.extend([fault] * times)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await self._one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, *lines = head.decode("latin-1").split("\r\n")
        headers = dict(
            (name.strip().lower(), value.strip())
            for name, _, value in (line.partition(":") for line in lines if line)
        )
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.arrivals.append(Arrival(request_line.split(" ")[0], headers, body))
        fault = self.faults.popleft() if self.faults else None
        if fault == "reset":  # the request arrived, and the connection dies before any answer
            writer.transport.abort()
            return False
        if fault == "hang":  # no answer until the client gives up and closes the connection
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(HANG_SECONDS):
                    await reader.read()
            return False
        status, extra = {
            None: ("200 OK", ""),
            "503": ("503 Service Unavailable", ""),
            "429": ("429 Too Many Requests", ""),
            "429-retry-after": ("429 Too Many Requests", "Retry-After: 0\r\n"),
        }[fault]
        payload = json.dumps({"calls": len(self.arrivals)}).encode()
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{extra}"
            f"Content-Length: {len(payload)}\r\n\r\n".encode()
            + payload
        )
        await writer.drain()
        return True


@pytest.fixture
async def server() -> AsyncIterator[CountingServer]:
    counting = CountingServer()
    listener = await asyncio.start_server(counting.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    counting.url = f"http://127.0.0.1:{port}/orders"
    async with listener:
        yield counting
        listener.close()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(HANG_SECONDS):
                await listener.wait_closed()


async def call(url: str, method: str, retried: list[str] | None = None, **http: Any) -> Any:
    """One call of an HTTP tool `order`, tried up to three times if its rules allow."""
    retry = {"attempts": 3, "initialBackoffSeconds": 0.01, "maxBackoffSeconds": 0.02}
    retry.update(http.pop("retry", {}))
    declared = {"url": url, "method": method, "timeoutSeconds": ATTEMPT_SECONDS, "retry": retry}
    return await call_http_tool(
        {**declared, **http}, {"item": "book"}, name="order", retried=retried
    )


@pytest.mark.parametrize("method", UNSAFE_METHODS)
@pytest.mark.parametrize("fault", FAULTS)
async def test_a_call_that_may_have_run_is_sent_exactly_once(
    server: CountingServer, method: str, fault: Fault
) -> None:
    server.fail_next(fault, times=3)
    with pytest.raises(ToolError) as caught:
        await call(server.url, method)
    assert len(server.arrivals) == 1
    assert str(caught.value).endswith(
        f"(1 attempt; a {method} is retried only when the tool allows it, as it may have run)"
    )


@pytest.mark.parametrize("fault", FAULTS)
async def test_a_get_is_retried_after_any_fault(server: CountingServer, fault: Fault) -> None:
    server.fail_next(fault, times=2)
    assert await call(server.url, "GET") == {"calls": 3}
    assert len(server.arrivals) == 3


@pytest.mark.parametrize("fault", FAULTS)
async def test_a_tool_that_opts_in_with_retry_unsafe_is_retried(
    server: CountingServer, fault: Fault
) -> None:
    server.fail_next(fault, times=2)
    assert await call(server.url, "POST", retry={"unsafe": True}) == {"calls": 3}
    assert len(server.arrivals) == 3


@pytest.mark.parametrize("fault", FAULTS)
async def test_a_declared_idempotency_key_is_the_same_on_every_retry_of_one_call(
    server: CountingServer, fault: Fault
) -> None:
    server.fail_next(fault, times=2)
    assert await call(server.url, "POST", idempotencyKeyHeader="Idempotency-Key") == {"calls": 3}
    await call(server.url, "POST", idempotencyKeyHeader="Idempotency-Key")

    keys = [arrival.headers["idempotency-key"] for arrival in server.arrivals]
    assert len(keys) == 4
    assert len(set(keys[:3])) == 1, "one logical call keeps its key across retries"
    assert keys[3] != keys[0], "the next call has a key of its own"
    assert len(keys[0]) >= 32


@pytest.mark.parametrize("method", UNSAFE_METHODS)
async def test_a_429_with_retry_after_is_retried_for_any_method(
    server: CountingServer, method: str
) -> None:
    server.fail_next("429-retry-after")
    assert await call(server.url, method) == {"calls": 2}


@pytest.mark.parametrize("method", UNSAFE_METHODS)
async def test_a_connection_refused_before_sending_is_retried_for_any_method(method: str) -> None:
    retried: list[str] = []
    with pytest.raises(ToolError) as caught:
        await call(f"http://127.0.0.1:{free_port()}/orders", method, retried)
    assert str(caught.value) == "tool order connection failed: ConnectError (3 attempts)"
    assert len(retried) == 2


async def test_without_an_opt_in_no_idempotency_key_is_sent(server: CountingServer) -> None:
    await call(server.url, "POST")
    assert "idempotency-key" not in server.arrivals[0].headers


@pytest.mark.parametrize("unsent", [httpx.ConnectTimeout, httpx.PoolTimeout])
async def test_a_timeout_before_the_request_left_is_retried_for_a_post(
    unsent: type[httpx.TimeoutException],
) -> None:
    sent: list[httpx.Request] = []

    def transport(request: httpx.Request) -> httpx.Response:
        if not sent:
            sent.append(request)
            raise unsent("no connection yet", request=request)
        sent.append(request)
        return httpx.Response(200, json={"calls": len(sent)})

    policy = RetryPolicy(attempts=2, initial_backoff_seconds=0, max_backoff_seconds=0)
    async with httpx.AsyncClient(transport=httpx.MockTransport(transport)) as client:
        response = await send_with_retries(
            client,
            lambda: client.build_request("POST", "http://tools.test/orders", json={}),
            tool="order",
            attempt_seconds=ATTEMPT_SECONDS,
            policy=policy,
            replayable=False,
        )
    assert response.json() == {"calls": 2}


async def test_a_timeout_while_connecting_is_still_told_as_a_timeout() -> None:
    def transport(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("no connection", request=request)

    policy = RetryPolicy(attempts=2, initial_backoff_seconds=0, max_backoff_seconds=0)
    async with httpx.AsyncClient(transport=httpx.MockTransport(transport)) as client:
        with pytest.raises(ToolError) as caught:
            await send_with_retries(
                client,
                lambda: client.build_request("POST", "http://tools.test/orders", json={}),
                tool="order",
                attempt_seconds=ATTEMPT_SECONDS,
                policy=policy,
                replayable=False,
            )
    assert str(caught.value) == "tool order timed out after 0.2s (2 attempts)"
    assert caught.value.outcome == "timeout"
