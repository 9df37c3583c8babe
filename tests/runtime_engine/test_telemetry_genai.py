"""The GenAI conventions, current: names checked upstream, the old name on request, metrics."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes
from opentelemetry.semconv._incubating.metrics import gen_ai_metrics

import agent_runtime
from agent_runtime import telemetry
from agent_runtime.loop import Agent, LoopError
from agent_runtime.mockllm import MockLLM
from agent_runtime.telemetry import Metrics
from tests.runtime_engine.fixtures import AgentFactory, ConfigFactory, ToolServer
from tests.runtime_engine.test_loop_turns import USER, weather_tool


def documented_names(module: object) -> dict[str, str]:
    """Each name a conventions module defines, with the docstring that follows it."""
    tree = ast.parse(inspect.getsource(module))  # type: ignore[arg-type]
    found: dict[str, str] = {}
    body = tree.body
    for statement, following in zip(body, [*body[1:], None], strict=True):
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.value, ast.Constant):
            doc = ""
            if isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
                doc = str(following.value.value)
            found[str(statement.value.value)] = doc
    return found


def test_every_gen_ai_name_the_runtime_emits_is_current_in_the_conventions() -> None:
    upstream = documented_names(gen_ai_attributes) | documented_names(gen_ai_metrics)
    assert telemetry.GEN_AI_NAMES, "the runtime names no gen_ai attribute"
    for name in telemetry.GEN_AI_NAMES:
        assert name in upstream, f"{name} is not a GenAI convention name any more"
        if name != telemetry.SYSTEM:
            assert "Replaced by" not in upstream[name], f"{name}: {upstream[name]}"
    # The one old name kept is the one the conventions replaced by the provider name.
    assert f"Replaced by `{telemetry.PROVIDER_NAME}`" in upstream[telemetry.SYSTEM]


def test_no_gen_ai_name_is_spelled_outside_the_telemetry_module() -> None:
    package = Path(agent_runtime.__file__).parent
    spelled = [
        f"{path.relative_to(package)}:{number}"
        for path in package.rglob("*.py")
        if path.name != "telemetry.py"
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if '"gen_ai.' in line or "'gen_ai." in line
    ]
    assert spelled == []


def test_the_stability_opt_in_is_read_as_a_comma_separated_list() -> None:
    assert not telemetry.latest_names_only({})
    assert telemetry.latest_names_only(
        {"OTEL_SEMCONV_STABILITY_OPT_IN": "gen_ai_latest_experimental"}
    )
    assert telemetry.latest_names_only(
        {"OTEL_SEMCONV_STABILITY_OPT_IN": "http, gen_ai_latest_experimental"}
    )
    assert not telemetry.latest_names_only({"OTEL_SEMCONV_STABILITY_OPT_IN": "http/dup"})


@pytest.mark.parametrize(
    ("opt_in", "old_name_sent"),
    [(None, True), ("gen_ai_latest_experimental", False)],
)
async def test_spans_carry_the_provider_name_and_the_old_system_name_unless_opted_out(
    opt_in: str | None,
    old_name_sent: bool,
    monkeypatch: pytest.MonkeyPatch,
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    make_agent: AgentFactory,
    tool_server: ToolServer,
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    if opt_in is None:
        monkeypatch.delenv("OTEL_SEMCONV_STABILITY_OPT_IN", raising=False)
    else:
        monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", opt_in)
    config = make_config(tools=[weather_tool(f"{tool_server.url}/weather")])
    agent = await make_agent(config, tracer_provider=provider)
    await agent.complete(USER)
    spans = exporter.get_finished_spans()
    assert {s.name.split()[0] for s in spans} == {"invoke_agent", "chat", "execute_tool"}
    for span in spans:
        attributes = dict(span.attributes or {})
        assert attributes["gen_ai.provider.name"] == "mistral_ai"
        assert ("gen_ai.system" in attributes) is old_name_sent


@pytest.fixture
def reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
def genai_metrics(reader: InMemoryMetricReader) -> Metrics:
    """Metrics whose OpenTelemetry histograms are read back from memory."""
    return Metrics(meter_provider=MeterProvider(metric_readers=[reader]))


def attrs(point: HistogramDataPoint) -> dict[str, Any]:
    return dict(point.attributes or {})


def points(reader: InMemoryMetricReader, name: str) -> list[HistogramDataPoint]:
    data = reader.get_metrics_data()
    assert data is not None
    return [
        point
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == name
        for point in metric.data.data_points
        if isinstance(point, HistogramDataPoint)
    ]


async def test_token_usage_and_operation_duration_are_recorded_as_genai_histograms(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    tool_server: ToolServer,
    genai_metrics: Metrics,
    reader: InMemoryMetricReader,
) -> None:

    config = make_config(tools=[weather_tool(f"{tool_server.url}/weather")])
    agent = Agent(config, metrics=genai_metrics)
    try:
        result = await agent.complete(USER)
    finally:
        await agent.aclose()
    tokens = points(reader, "gen_ai.client.token.usage")
    by_type: dict[Any, HistogramDataPoint] = {attrs(p)["gen_ai.token.type"]: p for p in tokens}
    assert set(by_type) == {"input", "output"}
    assert by_type["input"].count == 2  # two model calls: the tool call, then the answer
    assert by_type["input"].sum == result.usage.prompt_tokens
    assert by_type["output"].sum == result.usage.completion_tokens
    assert by_type["input"].explicit_bounds[:3] == (1.0, 4.0, 16.0)
    for point in tokens:
        assert attrs(point)["gen_ai.operation.name"] == "chat"
        assert attrs(point)["gen_ai.provider.name"] == "mistral_ai"
        assert attrs(point)["gen_ai.request.model"] == "mock-large"
        assert attrs(point)["gen_ai.response.model"] == "mock-large"
        assert attrs(point)["server.address"] == "127.0.0.1"
    (duration,) = points(reader, "gen_ai.client.operation.duration")
    assert duration.count == 2
    assert duration.sum > 0
    assert duration.explicit_bounds[:3] == (0.01, 0.02, 0.04)
    assert "error.type" not in attrs(duration)


async def test_a_failed_model_call_is_recorded_with_its_error_type(
    mock_llm: MockLLM,
    make_config: ConfigFactory,
    genai_metrics: Metrics,
    reader: InMemoryMetricReader,
) -> None:

    mock_llm.fail_next(status=400)
    agent = Agent(make_config(), metrics=genai_metrics)
    try:
        with pytest.raises(LoopError):
            await agent.complete(USER)
    finally:
        await agent.aclose()
    (duration,) = points(reader, "gen_ai.client.operation.duration")
    assert attrs(duration)["error.type"] == "http"
    assert points(reader, "gen_ai.client.token.usage") == []
