"""Fixtures of the engine tests: the fake model, a tool server, and agent configs.

Every server is real uvicorn on a free port of 127.0.0.1 in a background thread, started and
stopped with bounded waits. The real `mistralai` SDK talks to the fake model over HTTP.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanContext
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from agent_runtime.config import RuntimeConfig, ToolConfig
from agent_runtime.egress import EgressPolicy
from agent_runtime.loop import Agent
from agent_runtime.mockllm import MockLLM, running_mock_llm
from agent_runtime.telemetry import Metrics
from agent_runtime.testing import running_app
from agent_runtime.tools.http import HttpTool

#: Longest a rendezvous waits for its partner: a sequential loop fails the test, never hangs it.
RENDEZVOUS_SECONDS = 5.0

ConfigFactory = Callable[..., RuntimeConfig]
AgentFactory = Callable[..., Awaitable[Agent]]


@dataclass
class SeenRequest:
    path: str
    method: str
    headers: dict[str, str]
    query: dict[str, str]
    body: Any


@dataclass
class ToolServer:
    """A small HTTP server for tools: records requests, injects faults, meets in pairs."""

    url: str = ""
    requests: list[SeenRequest] = field(default_factory=list)
    faults: deque[tuple[int, str | None]] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _arrived: int = 0
    _together: asyncio.Event | None = None

    def fail_next(self, status: int, *, retry_after: str | None = None, times: int = 1) -> None:
        with self._lock:
            self.faults.extend([(status, retry_after)] * times)

    def seen(self, path: str) -> list[SeenRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def app(self) -> Starlette:
        async def handle(request: Request) -> Response:
            raw = await request.body()
            body = None
            if raw:
                try:
                    body = await request.json()
                except ValueError:
                    body = raw.decode()
            seen = SeenRequest(
                request.url.path,
                request.method,
                dict(request.headers),
                dict(request.query_params),
                body,
            )
            with self._lock:
                self.requests.append(seen)
                fault = self.faults.popleft() if self.faults else None
            if fault is not None:
                status, retry_after = fault
                headers = {"Retry-After": retry_after} if retry_after is not None else {}
                return JSONResponse({"detail": "injected"}, status_code=status, headers=headers)
            path = request.url.path
            if path == "/text":
                return PlainTextResponse("plain words")
            if path == "/slow":
                await asyncio.sleep(float(request.query_params.get("seconds", "5")))
            if path == "/rendezvous":
                return JSONResponse({"together": await self._meet()})
            return JSONResponse({"method": request.method, "query": seen.query, "body": body})

        return Starlette(routes=[Route("/{path:path}", handle, methods=["GET", "POST"])])

    async def _meet(self) -> bool:
        """Wait until two requests are here at once (bounded): proof they ran concurrently."""
        if self._together is None:
            self._together = asyncio.Event()
        self._arrived += 1
        if self._arrived >= 2:
            self._together.set()
        try:
            async with asyncio.timeout(RENDEZVOUS_SECONDS):
                await self._together.wait()
        except TimeoutError:
            return False
        return True


async def call_http_tool(
    http: dict[str, Any],
    arguments: dict[str, Any],
    *,
    name: str = "lookup",
    retried: list[str] | None = None,
) -> Any:
    """Call the HTTP tool that `http` declares once, on a fresh client; `retried` counts retries."""
    config = ToolConfig.model_validate({"name": name, "http": http})
    async with httpx.AsyncClient() as client:
        tool = HttpTool(
            config,
            http=client,
            egress=EgressPolicy(),
            on_retry=lambda: (retried if retried is not None else []).append("retry"),
        )
        return await tool.call(arguments)


def sent_span_context(headers: Mapping[str, str]) -> SpanContext:
    """The span context a request's W3C `traceparent` header names (invalid when it has none)."""
    carrier = {"traceparent": headers.get("traceparent", "")}
    return trace.get_current_span(
        TraceContextTextMapPropagator().extract(carrier)
    ).get_span_context()


@pytest.fixture(scope="session")
def _mock_llm_server() -> Iterator[MockLLM]:
    with running_mock_llm() as mock:
        yield mock


@pytest.fixture
def mock_llm(_mock_llm_server: MockLLM) -> Iterator[MockLLM]:
    """The fake Mistral model on 127.0.0.1, with an empty script and no faults."""
    _mock_llm_server.reset()
    _mock_llm_server.latency_seconds = 0.0
    _mock_llm_server.token_latency_seconds = 0.0
    yield _mock_llm_server
    _mock_llm_server.reset()


@pytest.fixture
def tool_server() -> Iterator[ToolServer]:
    """A tool server on 127.0.0.1 (see `ToolServer`)."""
    server = ToolServer()
    with running_app(server.app()) as url:
        server.url = url
        yield server


@pytest.fixture
def metrics() -> Metrics:
    """A fresh metrics registry, so counts start at zero."""
    return Metrics()


@pytest.fixture
def make_config(mock_llm: MockLLM) -> ConfigFactory:
    """A config for an agent on the fake model, with fast retries; keyword overrides merge in."""

    def make(**overrides: Any) -> RuntimeConfig:
        model = {
            "name": "mock-large",
            "endpoint": mock_llm.url,
            "timeoutSeconds": 5,
            "retry": {"attempts": 3, "initialBackoffSeconds": 0.01, "maxBackoffSeconds": 0.05},
        }
        model.update(overrides.pop("model", {}))
        data: dict[str, Any] = {"agent": {"name": "weather", "namespace": "demo"}, "model": model}
        data.update(overrides)
        return RuntimeConfig.model_validate(data)

    return make


@pytest.fixture
async def make_agent(metrics: Metrics) -> AsyncIterator[AgentFactory]:
    """Build and start agents (closed at the end of the test) that share `metrics`."""
    agents: list[Agent] = []
    http = httpx.AsyncClient()

    async def make(config: RuntimeConfig, **kwargs: Any) -> Agent:
        agent = Agent(config, http=http, metrics=metrics, **kwargs)
        agents.append(agent)
        await agent.start()
        return agent

    yield make
    for agent in agents:
        await agent.aclose()
    await http.aclose()


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    """Spans finished during the test, kept in memory to be read back."""
    exporter = InMemorySpanExporter()
    yield exporter
    exporter.shutdown()


def provider_into(exporter: InMemorySpanExporter) -> TracerProvider:
    """A tracer provider that sends every span to `exporter` as it ends."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> Iterator[TracerProvider]:
    """A tracer provider that sends every span to `exporter` as it ends."""
    provider = provider_into(exporter)
    yield provider
    provider.shutdown()
