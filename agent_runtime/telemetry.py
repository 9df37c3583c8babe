"""Traces and metrics of the runtime: OpenTelemetry spans and Prometheus metric objects.

Spans follow the OpenTelemetry GenAI semantic conventions (`invoke_agent {agent}`,
`chat {model}`, `execute_tool {tool}`) so any GenAI-aware backend renders a request as a
tree; every call to a tool or another Agent carries the trace onward (`trace_headers`). Every
`gen_ai.*` name the runtime emits is a constant here, taken from the
`opentelemetry-semantic-conventions` package, so a rename upstream shows in one place (and a
test checks each against that package). `gen_ai.provider.name` replaced `gen_ai.system`; the
old name is still sent beside it unless `OTEL_SEMCONV_STABILITY_OPT_IN` lists
`gen_ai_latest_experimental`, as the OpenTelemetry instrumentations do.

Every Prometheus metric the runtime exposes lives in `Metrics`, which owns its own
`CollectorRegistry`: tests build a fresh one, the service exposes `registry` at /metrics.
Beside them, the conventions' own metrics (`gen_ai.client.token.usage`,
`gen_ai.client.operation.duration`) are OpenTelemetry histograms, exported over OTLP when an
endpoint is configured. Labels carry names and outcomes only, never content or secrets.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Final

from opentelemetry import metrics as otel_metrics
from opentelemetry import propagate, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as gen_ai
from opentelemetry.semconv._incubating.metrics import gen_ai_metrics
from opentelemetry.semconv.attributes import error_attributes, server_attributes
from prometheus_client import CollectorRegistry, Counter, Histogram

from agent_runtime.config import RuntimeConfig

# The names the runtime emits, each from the package that defines it --------------------------
OPERATION_NAME: Final = gen_ai.GEN_AI_OPERATION_NAME
PROVIDER_NAME: Final = gen_ai.GEN_AI_PROVIDER_NAME
#: The deprecated name `gen_ai.provider.name` replaced, sent beside it by default.
SYSTEM: Final = gen_ai.GEN_AI_SYSTEM
AGENT_NAME: Final = gen_ai.GEN_AI_AGENT_NAME
REQUEST_MODEL: Final = gen_ai.GEN_AI_REQUEST_MODEL
REQUEST_TEMPERATURE: Final = gen_ai.GEN_AI_REQUEST_TEMPERATURE
REQUEST_TOP_P: Final = gen_ai.GEN_AI_REQUEST_TOP_P
REQUEST_MAX_TOKENS: Final = gen_ai.GEN_AI_REQUEST_MAX_TOKENS
RESPONSE_MODEL: Final = gen_ai.GEN_AI_RESPONSE_MODEL
RESPONSE_ID: Final = gen_ai.GEN_AI_RESPONSE_ID
RESPONSE_FINISH_REASONS: Final = gen_ai.GEN_AI_RESPONSE_FINISH_REASONS
USAGE_INPUT_TOKENS: Final = gen_ai.GEN_AI_USAGE_INPUT_TOKENS
USAGE_OUTPUT_TOKENS: Final = gen_ai.GEN_AI_USAGE_OUTPUT_TOKENS
INPUT_MESSAGES: Final = gen_ai.GEN_AI_INPUT_MESSAGES
OUTPUT_MESSAGES: Final = gen_ai.GEN_AI_OUTPUT_MESSAGES
TOOL_NAME: Final = gen_ai.GEN_AI_TOOL_NAME
TOOL_CALL_ID: Final = gen_ai.GEN_AI_TOOL_CALL_ID
TOOL_CALL_ARGUMENTS: Final = gen_ai.GEN_AI_TOOL_CALL_ARGUMENTS
TOOL_CALL_RESULT: Final = gen_ai.GEN_AI_TOOL_CALL_RESULT
TOKEN_TYPE: Final = gen_ai.GEN_AI_TOKEN_TYPE
ERROR_TYPE: Final = error_attributes.ERROR_TYPE
SERVER_ADDRESS: Final = server_attributes.SERVER_ADDRESS
TOKEN_USAGE_METRIC: Final = gen_ai_metrics.GEN_AI_CLIENT_TOKEN_USAGE
OPERATION_DURATION_METRIC: Final = gen_ai_metrics.GEN_AI_CLIENT_OPERATION_DURATION

#: Every `gen_ai.*` attribute and metric name above, for the test that checks them upstream.
GEN_AI_NAMES: Final = tuple(
    value
    for key, value in dict(globals()).items()
    if key.isupper() and str(value).startswith("gen_ai.")
)

#: `gen_ai.provider.name` of every span: the runtime only talks to Mistral-compatible APIs.
PROVIDER: Final = gen_ai.GenAiProviderNameValues.MISTRAL_AI.value
#: The variable OpenTelemetry instrumentations read to choose between old and new names.
STABILITY_OPT_IN_ENV: Final = "OTEL_SEMCONV_STABILITY_OPT_IN"
#: The value of it that asks for the latest GenAI names only.
GEN_AI_LATEST: Final = "gen_ai_latest_experimental"
#: The conventions' bucket advice for `gen_ai.client.token.usage` (powers of 4).
TOKEN_USAGE_BUCKETS: Final = tuple(float(4**i) for i in range(14))
#: The conventions' bucket advice for `gen_ai.client.operation.duration` (doubling from 10 ms).
OPERATION_DURATION_BUCKETS: Final = tuple(0.01 * 2**i for i in range(14))
#: How often OTel metrics are pushed over OTLP: the SDK's default, a minute, is too coarse.
METRIC_EXPORT_MILLIS: Final = 15_000
#: The instrumentation scope name of the runtime's spans.
TRACER_NAME: Final = "agent_runtime"
#: Buckets for model and tool latencies: LLM calls range from tens of ms to a minute.
LATENCY_BUCKETS: Final = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


def latest_names_only(environ: Mapping[str, str] | None = None) -> bool:
    """Whether `OTEL_SEMCONV_STABILITY_OPT_IN` asks for the latest GenAI names only."""
    value = (environ if environ is not None else os.environ).get(STABILITY_OPT_IN_ENV, "")
    return GEN_AI_LATEST in {part.strip() for part in value.split(",")}


def provider_attributes(latest_only: bool) -> dict[str, str]:
    """`gen_ai.provider.name`, and the deprecated `gen_ai.system` unless asked not to."""
    if latest_only:
        return {PROVIDER_NAME: PROVIDER}
    return {PROVIDER_NAME: PROVIDER, SYSTEM: PROVIDER}


def _resource(config: RuntimeConfig) -> Resource:
    service = config.observability.service_name or f"agent-{config.agent.name}"
    return Resource.create(
        {
            "service.name": service,
            "service.namespace": config.agent.namespace,
            AGENT_NAME: config.agent.name,
        }
    )


def configure_metrics(config: RuntimeConfig) -> MeterProvider | None:
    """A meter provider exporting over OTLP/HTTP, or None when no endpoint is configured."""
    endpoint = config.observability.otlp_endpoint
    if not endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

    exporter = OTLPMetricExporter(endpoint=endpoint.rstrip("/") + "/v1/metrics")
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=METRIC_EXPORT_MILLIS)
    return MeterProvider(resource=_resource(config), metric_readers=[reader])


def configure_tracing(config: RuntimeConfig) -> TracerProvider | None:
    """A tracer provider exporting over OTLP/HTTP, or None when no endpoint is configured.

    The caller decides whether to make it global (`trace.set_tracer_provider`) or to pass it
    to `Agent`; the provider must be shut down on exit to flush spans.
    """
    endpoint = config.observability.otlp_endpoint
    if not endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider = TracerProvider(resource=_resource(config))
    exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def get_tracer(provider: trace.TracerProvider | None = None) -> trace.Tracer:
    """The runtime's tracer from a given provider, else from the global one."""
    if provider is None:
        return trace.get_tracer(TRACER_NAME)
    return provider.get_tracer(TRACER_NAME)


def trace_headers() -> dict[str, str]:
    """The current span's W3C trace context, as headers for an outgoing call.

    Written by OpenTelemetry's configured propagator (W3C `traceparent`, `tracestate` and
    baggage by default), so a tool, an MCP server or another Agent continues the caller's
    trace; empty when there is no current span.
    """
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


class Metrics:
    """Every metric of the runtime: Prometheus ones in one registry, and the GenAI histograms.

    The GenAI histograms come from `meter_provider`, else from the global one (a no-op until
    one is set), so a test reads them back with an in-memory reader.
    """

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        *,
        meter_provider: otel_metrics.MeterProvider | None = None,
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self._genai_histograms(meter_provider)
        self.requests = Counter(
            "agent_requests",
            "Requests that ran the agent (chat completions, Responses, A2A), by HTTP status.",
            ["status"],
            registry=r,
        )
        self.request_duration = Histogram(
            "agent_request_duration_seconds",
            "Time to serve a request that ran the agent, whatever its API.",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.model_calls = Counter(
            "agent_model_calls",
            "Calls to the model, by outcome (ok or an error kind).",
            ["model", "outcome"],
            registry=r,
        )
        self.model_call_duration = Histogram(
            "agent_model_call_duration_seconds",
            "Duration of one model call, retries included.",
            ["model"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.tokens = Counter(
            "agent_tokens",
            "Tokens reported by the model, by direction (input/output).",
            ["direction"],
            registry=r,
        )
        self.tool_calls = Counter(
            "agent_tool_calls",
            "Tool calls, by outcome (ok, error, timeout, invalid_output, denied).",
            ["tool", "outcome"],
            registry=r,
        )
        self.tool_call_duration = Histogram(
            "agent_tool_call_duration_seconds",
            "Duration of one tool call, retries included.",
            ["tool"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.retries = Counter(
            "agent_retries",
            "Retried attempts of downstream calls, by target (model or tool).",
            ["target"],
            registry=r,
        )

        self.approvals = Counter(
            "agent_tool_approvals",
            "Tool calls held for a person (held), and the decisions taken (allow, deny).",
            ["tool", "decision"],
            registry=r,
        )
        self.budget_tokens = Counter(
            "agent_budget_tokens",
            "Tokens counted against the agent's budgets in its conversation store.",
            ["agent"],
            registry=r,
        )

    def _genai_histograms(self, meter_provider: otel_metrics.MeterProvider | None) -> None:
        """The OTel GenAI client metrics the semantic conventions define, beside Prometheus'."""
        provider = (
            meter_provider if meter_provider is not None else otel_metrics.get_meter_provider()
        )
        meter = provider.get_meter(TRACER_NAME)
        self.gen_ai_token_usage = meter.create_histogram(
            TOKEN_USAGE_METRIC,
            unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=list(TOKEN_USAGE_BUCKETS),
        )
        self.gen_ai_operation_duration = meter.create_histogram(
            OPERATION_DURATION_METRIC,
            unit="s",
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=list(OPERATION_DURATION_BUCKETS),
        )

    def value(self, name: str, labels: dict[str, str] | None = None) -> float:
        """The current value of one sample (0.0 if never observed); handy in tests and probes."""
        found = self.registry.get_sample_value(name, labels or {})
        return found if found is not None else 0.0


_default_metrics: Metrics | None = None


def default_metrics() -> Metrics:
    """The process-wide `Metrics`, created on first use."""
    global _default_metrics
    if _default_metrics is None:
        _default_metrics = Metrics()
    return _default_metrics
