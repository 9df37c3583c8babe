"""Spans of a request: invoke_agent, then chat and execute_tool children, GenAI attributes."""

from __future__ import annotations

from pathlib import Path

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agent_runtime.config import RuntimeConfig
from agent_runtime.loop import LoopError
from agent_runtime.mockllm import MockLLM
from agent_runtime.telemetry import configure_tracing
from tests.runtime_engine.fixtures import AgentFactory, ConfigFactory, ToolServer
from tests.runtime_engine.test_loop_turns import USER, weather_tool


def by_name(spans: tuple[ReadableSpan, ...]) -> dict[str, ReadableSpan]:
    return {span.name: span for span in spans}


async def test_a_tool_request_makes_a_span_tree_with_genai_attributes(
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
    spans = exporter.get_finished_spans()
    assert sorted(s.name for s in spans) == [
        "chat mock-large",
        "chat mock-large",
        "execute_tool get_weather",
        "invoke_agent weather",
    ]
    root = by_name(spans)["invoke_agent weather"]
    assert root.parent is None
    assert all(
        s.parent is not None and s.parent.span_id == root.context.span_id
        for s in spans
        if s is not root
    )
    chat = next(s for s in spans if s.name == "chat mock-large")
    assert chat.attributes is not None
    assert chat.attributes["gen_ai.operation.name"] == "chat"
    assert chat.attributes["gen_ai.provider.name"] == "mistral_ai"
    assert chat.attributes["gen_ai.request.model"] == "mock-large"
    assert chat.attributes["gen_ai.response.model"] == "mock-large"
    assert isinstance(chat.attributes["gen_ai.usage.input_tokens"], int)
    assert chat.attributes["gen_ai.usage.input_tokens"] > 0
    tool = by_name(spans)["execute_tool get_weather"]
    assert tool.attributes is not None
    assert tool.attributes["gen_ai.tool.name"] == "get_weather"
    assert str(tool.attributes["gen_ai.tool.call.id"]).startswith("call")
    assert root.attributes is not None
    assert root.attributes["gen_ai.agent.name"] == "weather"


async def test_content_stays_out_of_spans_unless_log_content_is_on(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    tools = [weather_tool(f"{tool_server.url}/weather")]
    quiet = await make_agent(make_config(tools=tools), tracer_provider=provider)
    await quiet.complete(USER)
    assert not any("Paris" in str(s.attributes) for s in exporter.get_finished_spans())
    exporter.clear()
    chatty = await make_agent(
        make_config(tools=tools, observability={"logContent": True}), tracer_provider=provider
    )
    await chatty.complete(USER)
    spans = by_name(exporter.get_finished_spans())
    assert "Paris" in str(spans["chat mock-large"].attributes)
    assert "Paris" in str(spans["execute_tool get_weather"].attributes)


async def test_failures_mark_spans_with_error_type(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    mock_llm.fail_next(status=500, times=3)
    agent = await make_agent(make_config(), tracer_provider=provider)
    with pytest.raises(LoopError):
        await agent.complete(USER)
    spans = by_name(exporter.get_finished_spans())
    assert spans["invoke_agent weather"].attributes["error.type"] == "model_error"  # type: ignore[index]
    assert spans["chat mock-large"].attributes["error.type"] == "http"  # type: ignore[index]


async def test_secrets_never_reach_spans_even_with_content_logging(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
    tmp_path: Path,
) -> None:
    (tmp_path / "key").write_text("model-s3cr3t")
    (tmp_path / "token").write_text("tool-s3cr3t")
    headers = [{"name": "X-Key", "valueFrom": {"file": str(tmp_path / "token")}}]
    config = make_config(
        model={"apiKey": {"file": str(tmp_path / "key")}},
        tools=[weather_tool(f"{tool_server.url}/weather", headers=headers)],
        observability={"logContent": True},
    )
    agent = await make_agent(config, tracer_provider=provider)
    await agent.complete(USER)
    assert tool_server.seen("/weather")[0].headers["x-key"] == "tool-s3cr3t"
    for span in exporter.get_finished_spans():
        assert "s3cr3t" not in span.to_json()


def test_tracing_is_off_without_an_otlp_endpoint() -> None:
    config = RuntimeConfig.model_validate({"agent": {"name": "a"}, "model": {"name": "m"}})
    assert configure_tracing(config) is None


def test_tracing_exports_over_otlp_when_an_endpoint_is_set() -> None:
    config = RuntimeConfig.model_validate(
        {
            "agent": {"name": "a", "namespace": "ns"},
            "model": {"name": "m"},
            "observability": {"otlpEndpoint": "http://127.0.0.1:4318"},
        }
    )
    provider = configure_tracing(config)
    assert provider is not None
    assert provider.resource.attributes["service.name"] == "agent-a"
    assert provider.resource.attributes["service.namespace"] == "ns"
    provider.shutdown()
