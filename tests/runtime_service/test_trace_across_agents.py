"""One trace across two Agents and a tool server, over real HTTP on 127.0.0.1.

A caller asks `front` with a W3C `traceparent`; `front` asks `billing` through its `agent` tool;
`billing` calls an HTTP tool that records the headers it receives. Each runtime exports its
spans to its own in-memory exporter, as two processes would: every span of both is in the
caller's trace, each server span hangs under the span that called it, and the tool server is
handed the span of the tool call that reached it.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agent_runtime.config import RuntimeConfig
from agent_runtime.testing import running_app
from tests.runtime_engine.fixtures import ToolServer, provider_into, sent_span_context
from tests.runtime_service.conftest import AGENT, ConfigFactory, serving, weather_tool_at

CALLER_TRACE_ID = 0x0AF7651916CD43DD8448EB211C80319C
CALLER_SPAN_ID = 0xB7AD6B7169203331
TRACEPARENT = f"00-{CALLER_TRACE_ID:032x}-{CALLER_SPAN_ID:016x}-01"
SERVER_SPAN = "POST /v1/chat/completions"


@pytest.fixture
def recording_tool() -> Iterator[ToolServer]:
    """An HTTP tool on 127.0.0.1 that keeps every request's headers."""
    server = ToolServer()
    with running_app(server.app()) as url:
        server.url = url
        yield server


@pytest.fixture
def billing_spans() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    """The second runtime's tracer provider and its spans, apart from the first one's."""
    exporter = InMemorySpanExporter()
    provider = provider_into(exporter)
    yield provider, exporter
    provider.shutdown()
    exporter.shutdown()


def billing_config(make_config: ConfigFactory, tool: ToolServer) -> RuntimeConfig:
    tools = [weather_tool_at(tool.url)]
    return make_config(agent={"name": "billing", "namespace": "demo"}, tools=tools)


def ask_front_through_billing(
    make_config: ConfigFactory,
    tool: ToolServer,
    front_provider: TracerProvider,
    billing_provider: TracerProvider | None,
) -> httpx.Response:
    """Serve billing and front; ask front once, as a caller in the trace `TRACEPARENT`."""
    with serving(billing_config(make_config, tool), tracer_provider=billing_provider) as billing:
        ask_billing = {
            "name": "ask_billing",
            "agent": {"url": billing.url, "agentName": "billing", "retry": {"attempts": 1}},
        }
        front_config = make_config(tools=[ask_billing])
        with serving(front_config, tracer_provider=front_provider) as front:
            return httpx.post(
                f"{front.url}/v1/chat/completions",
                json={"model": AGENT, "messages": [{"role": "user", "content": "Paris?"}]},
                headers={"traceparent": TRACEPARENT},
                timeout=30,
            )


def named(spans: tuple[ReadableSpan, ...], name: str) -> ReadableSpan:
    (span,) = [s for s in spans if s.name == name]
    return span


def ids(span: ReadableSpan) -> tuple[int, int]:
    """The span's trace id and the id of its parent span."""
    assert span.context is not None
    assert span.parent is not None, f"{span.name} has no parent"
    return span.context.trace_id, span.parent.span_id


def span_id(span: ReadableSpan) -> int:
    assert span.context is not None
    return int(span.context.span_id)


def test_two_agents_and_a_tool_server_share_the_callers_trace(
    make_config: ConfigFactory,
    recording_tool: ToolServer,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
    billing_spans: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    billing_provider, billing_exporter = billing_spans
    response = ask_front_through_billing(make_config, recording_tool, provider, billing_provider)
    assert response.status_code == 200
    assert "get_weather" in response.json()["choices"][0]["message"]["content"]
    front, billing = exporter.get_finished_spans(), billing_exporter.get_finished_spans()
    assert {s.context.trace_id for s in front + billing if s.context} == {CALLER_TRACE_ID}
    assert ids(named(front, SERVER_SPAN)) == (CALLER_TRACE_ID, CALLER_SPAN_ID)
    asked_billing = span_id(named(front, "execute_tool ask_billing"))
    assert ids(named(billing, SERVER_SPAN)) == (CALLER_TRACE_ID, asked_billing)
    (request,) = recording_tool.seen("/weather")
    sent = sent_span_context(request.headers)
    called_tool = span_id(named(billing, "execute_tool get_weather"))
    assert (sent.trace_id, sent.span_id) == (CALLER_TRACE_ID, called_tool)


def test_an_agent_that_records_no_spans_still_hands_the_trace_on(
    make_config: ConfigFactory,
    recording_tool: ToolServer,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    response = ask_front_through_billing(make_config, recording_tool, provider, None)
    assert response.status_code == 200
    (request,) = recording_tool.seen("/weather")
    assert sent_span_context(request.headers).trace_id == CALLER_TRACE_ID
