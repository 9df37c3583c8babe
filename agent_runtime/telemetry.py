"""Traces and metrics of the runtime: OpenTelemetry spans and Prometheus metric objects.

Spans follow the OpenTelemetry GenAI semantic conventions (`invoke_agent {agent}`,
`chat {model}`, `execute_tool {tool}`) so any GenAI-aware backend renders a request as a
tree. Every Prometheus metric the runtime exposes lives in `Metrics`, which owns its own
`CollectorRegistry`: tests build a fresh one, the service exposes `registry` at /metrics.
Labels carry names and outcomes only, never content or secrets.
"""

from __future__ import annotations

from typing import Final

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from prometheus_client import CollectorRegistry, Counter, Histogram

from agent_runtime.config import RuntimeConfig

#: `gen_ai.system` for every model span: the runtime only talks to Mistral-compatible APIs.
GEN_AI_SYSTEM: Final = "mistral_ai"
#: The instrumentation scope name of the runtime's spans.
TRACER_NAME: Final = "agent_runtime"
#: Buckets for model and tool latencies: LLM calls range from tens of ms to a minute.
LATENCY_BUCKETS: Final = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


def configure_tracing(config: RuntimeConfig) -> TracerProvider | None:
    """A tracer provider exporting over OTLP/HTTP, or None when no endpoint is configured.

    The caller decides whether to make it global (`trace.set_tracer_provider`) or to pass it
    to `Agent`; the provider must be shut down on exit to flush spans.
    """
    endpoint = config.observability.otlp_endpoint
    if not endpoint:
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    service = config.observability.service_name or f"agent-{config.agent.name}"
    resource = Resource.create(
        {
            "service.name": service,
            "service.namespace": config.agent.namespace,
            "gen_ai.agent.name": config.agent.name,
        }
    )
    provider = TracerProvider(resource=resource)
    exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def get_tracer(provider: trace.TracerProvider | None = None) -> trace.Tracer:
    """The runtime's tracer from a given provider, else from the global one."""
    if provider is None:
        return trace.get_tracer(TRACER_NAME)
    return provider.get_tracer(TRACER_NAME)


class Metrics:
    """Every Prometheus metric of the runtime, registered in one registry."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
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
