"""Each API request is a server span, continuing the caller's trace, around the agent's span."""

import time

import httpx
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from agent_runtime.testing import SERVER_WAIT_SECONDS
from tests.runtime_service.conftest import AGENT, ConfigFactory, serving

TRACE_ID = 0x4BF92F3577B34DA6A3CE929D0E0E4736
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_a_completion_is_a_server_span_around_the_agents_span(
    make_config: ConfigFactory, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    with serving(make_config(), tracer_provider=provider) as runtime:
        response = httpx.post(
            f"{runtime.url}/v1/chat/completions",
            json={"model": AGENT, "messages": [{"role": "user", "content": "hi"}]},
            headers={"traceparent": TRACEPARENT},
            timeout=30,
        )
        httpx.get(f"{runtime.url}/healthz", timeout=10)
    assert response.status_code == 200
    spans = {span.name: span for span in exporter.get_finished_spans()}
    server = spans["POST /v1/chat/completions"]
    agent = spans[f"invoke_agent {AGENT}"]
    assert server.kind == SpanKind.SERVER
    assert server.context is not None
    assert server.context.trace_id == TRACE_ID
    assert server.attributes is not None
    assert server.attributes["http.response.status_code"] == 200
    assert agent.parent is not None
    assert agent.parent.span_id == server.context.span_id
    assert not [name for name in spans if "healthz" in name or name == "GET"]


def finished_spans(exporter: InMemorySpanExporter, *names: str) -> dict[str, ReadableSpan]:
    """The finished spans by name, once all of `names` are: a span ends after its answer."""
    deadline = time.monotonic() + SERVER_WAIT_SECONDS
    while True:
        spans = {span.name: span for span in exporter.get_finished_spans()}
        if set(names) <= set(spans) or time.monotonic() > deadline:
            return spans
        time.sleep(0.01)


def test_a_response_and_an_a2a_message_are_server_spans_around_the_agents_span(
    make_config: ConfigFactory, provider: TracerProvider, exporter: InMemorySpanExporter
) -> None:
    message = {"role": "ROLE_USER", "messageId": "m1", "parts": [{"text": "hi"}]}
    calls = {
        "/v1/responses": {"model": AGENT, "input": "hi"},
        "/a2a": {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "SendMessage",
            "params": {"message": message},
        },
    }
    with serving(make_config(), tracer_provider=provider) as runtime:
        for path, body in calls.items():
            exporter.clear()
            response = httpx.post(
                f"{runtime.url}{path}",
                json=body,
                headers={"traceparent": TRACEPARENT, "A2A-Version": "1.0"},
                timeout=30,
            )
            assert response.status_code == 200
            spans = finished_spans(exporter, f"POST {path}", f"invoke_agent {AGENT}")
            server = spans[f"POST {path}"]
            agent = spans[f"invoke_agent {AGENT}"]
            assert server.context is not None
            assert server.context.trace_id == TRACE_ID
            assert agent.parent is not None
            assert agent.parent.span_id == server.context.span_id
