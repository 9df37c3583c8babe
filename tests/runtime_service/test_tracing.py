"""Each API request is a server span, continuing the caller's trace, around the agent's span."""

import httpx
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

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
