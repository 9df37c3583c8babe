"""Tools are sent the W3C trace context of their `execute_tool` span.

An HTTP tool and an MCP server each record the `traceparent` header they receive; it must name
the trace of the request and, as parent, the span of that very tool call, so a backend draws the
tool's own spans under it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.types import ASGIApp, Receive, Scope, Send

from agent_runtime.mockllm import MockLLM
from agent_runtime.testing import running_app
from tests.runtime_engine.fixtures import (
    AgentFactory,
    ConfigFactory,
    ToolServer,
    sent_span_context,
)
from tests.runtime_engine.test_loop_turns import USER, weather_tool
from tests.runtime_engine.test_tools_mcp import docs_server, mcp_tool


@dataclass
class HeaderRecorder:
    """An ASGI wrapper that keeps the headers of every HTTP request it passes on."""

    app: ASGIApp
    seen: list[dict[str, str]] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.seen.append({k.decode(): v.decode() for k, v in scope["headers"]})
        await self.app(scope, receive, send)


@pytest.fixture
def recorded_mcp() -> Iterator[tuple[str, HeaderRecorder]]:
    """The docs MCP server on 127.0.0.1, recording each request's headers."""
    app = docs_server().streamable_http_app(stateless_http=True, json_response=True)
    recorder = HeaderRecorder(app)
    with running_app(recorder) as url:
        yield f"{url}/mcp", recorder


def tool_span_of(exporter: InMemorySpanExporter, name: str) -> tuple[int, int]:
    (span,) = [s for s in exporter.get_finished_spans() if s.name == f"execute_tool {name}"]
    assert span.context is not None
    return span.context.trace_id, span.context.span_id


async def test_an_http_tool_is_sent_the_trace_context_of_its_tool_call(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    config = make_config(tools=[weather_tool(f"{tool_server.url}/weather")])
    agent = await make_agent(config, tracer_provider=provider)
    await agent.complete(USER)
    (request,) = tool_server.seen("/weather")
    sent = sent_span_context(request.headers)
    assert sent.is_valid
    assert (sent.trace_id, sent.span_id) == tool_span_of(exporter, "get_weather")


async def test_an_mcp_server_is_sent_the_trace_context_of_the_call_only(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    recorded_mcp: tuple[str, HeaderRecorder],
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    url, recorder = recorded_mcp
    agent = await make_agent(make_config(tools=[mcp_tool(url)]), tracer_provider=provider)
    listed = len(recorder.seen)
    mock_llm.reply_tool_calls(("search_docs", {"query": "probes"}))
    await agent.complete(USER)
    at_start = [sent_span_context(h) for h in recorder.seen[:listed]]
    during_call = [sent_span_context(h) for h in recorder.seen[listed:]]
    assert listed > 0
    assert not any(context.is_valid for context in at_start), "no trace before any request"
    assert during_call
    expected = tool_span_of(exporter, "search_docs")
    assert {(context.trace_id, context.span_id) for context in during_call} == {expected}
