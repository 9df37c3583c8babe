"""The model client: Mistral's official SDK, configured from the agent's `model` section.

It owns one `Mistral` client (v2 API) pointed at `model.endpoint`, with an explicit
per-call timeout and the SDK's own `RetryConfig` (429 and 5xx retried, `Retry-After`
honoured by the SDK). Three things the SDK does not do are added around its HTTP client:
the retry policy's `attempts` is enforced exactly, every retry is counted in
`agent_retries_total{target="model"}`, and a connection dropped mid-response is treated as
the network error it is (so it is retried too). The API key is a callable that reads the
mounted secret on every request, so a rotated key is used without a restart.

Responses come back as plain Mistral-shaped dicts, so the loop never touches SDK types.
"""

from __future__ import annotations

import contextvars
import json
import time
from collections.abc import AsyncGenerator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

import httpx2
import pydantic
from mistralai.client import Mistral
from mistralai.client.errors import MistralError, NoResponseError
from mistralai.client.utils import BackoffStrategy, RetryConfig
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Status, StatusCode

from agent_runtime import telemetry as otel
from agent_runtime.config import ModelConfig, SecretUnavailableError, readable_values, redact
from agent_runtime.egress import EgressDeniedError, EgressPolicy
from agent_runtime.telemetry import Metrics

#: The longest error body quoted in a model error: enough to explain, never a flood.
ERROR_BODY_CHARS = 300

#: What went wrong with a model call; decides the HTTP status the service answers.
ModelErrorKind = Literal["timeout", "http", "connection", "malformed", "unavailable", "denied"]

#: The SDK's (un)marshalling models, built once per type: bounded, the types are few.
_SDK_MODELS: dict[Any, Any] = {}
_SDK_MODELS_MAX = 1024

#: The request parameters a chat span records, by the conventions' attribute names.
_REQUEST_ATTRIBUTES: dict[str, str] = {
    "temperature": otel.REQUEST_TEMPERATURE,
    "top_p": otel.REQUEST_TOP_P,
    "max_tokens": otel.REQUEST_MAX_TOKENS,
}


def _reuse_sdk_models() -> None:
    """Make the SDK build each of its (un)marshalling models once, not on every call.

    mistralai's `serializers.unmarshal` and `marshal_json` call pydantic's `create_model` for
    every request and every response; under load that was a third of the runtime's CPU (and
    milliseconds of latency per model call). The model depends only on its name, its field
    type and its config, so one built is kept; anything unhashable is built as before.
    """
    from mistralai.client.utils import serializers

    build = pydantic.create_model

    def create_model(name: str, /, **fields: Any) -> Any:
        try:
            key = (
                name,
                tuple(
                    (k, tuple(sorted(v.items())) if k == "__config__" else v)
                    for k, v in sorted(fields.items(), key=lambda item: item[0])
                ),
            )
            model = _SDK_MODELS.get(key)
        except TypeError:
            return build(name, **fields)
        if model is None:
            model = build(name, **fields)
            if len(_SDK_MODELS) < _SDK_MODELS_MAX:
                _SDK_MODELS[key] = model
        return model

    serializers.create_model = create_model  # type: ignore[attr-defined]


_reuse_sdk_models()


@dataclass(frozen=True)
class Usage:
    """Token counts; summed over all model calls of a request by the loop."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens,
            self.completion_tokens + other.completion_tokens,
            self.total_tokens + other.total_tokens,
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }


@dataclass(frozen=True)
class ModelReply:
    """One model answer: the assistant message (Mistral shape), why it ended, its usage."""

    message: dict[str, Any]
    finish_reason: str
    usage: Usage
    model: str
    id: str = ""

    @property
    def tool_calls(self) -> list[dict[str, Any]]:
        return list(self.message.get("tool_calls") or [])


class ModelError(Exception):
    """A model call that failed for good (after retries); never carries the API key."""

    def __init__(self, kind: ModelErrorKind, message: str, *, status: int | None = None) -> None:
        super().__init__(kind, message)
        self.kind: ModelErrorKind = kind
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message


class _RetriesExhaustedError(Exception):
    """Raised inside the SDK's retry loop to stop it once `attempts` have been made."""


@dataclass
class _CallState:
    """Attempts of one model call, shared between the SDK's retry loop and our client."""

    limit: int
    attempts: int = 0
    last_problem: str = ""
    last_kind: ModelErrorKind = "http"
    last_status: int | None = None


_CALL: contextvars.ContextVar[_CallState | None] = contextvars.ContextVar(
    "agent_runtime_model_call", default=None
)


class _CountingClient(httpx2.AsyncClient):
    """The SDK's HTTP client: caps attempts, counts retries, makes dropped connections retryable."""

    def __init__(self, *, on_retry: Callable[[], None]) -> None:
        # Redirects are not followed: the egress allowlist checked the endpoint's host, and a
        # redirect could lead anywhere. A 3xx is answered as the HTTP error it then is.
        super().__init__(follow_redirects=False)
        self._on_retry = on_retry

    async def send(self, request: httpx2.Request, **kwargs: Any) -> httpx2.Response:
        state = _CALL.get()
        if state is not None:
            if state.attempts >= state.limit:
                raise _RetriesExhaustedError
            state.attempts += 1
            if state.attempts > 1:
                self._on_retry()
        try:
            response = await super().send(request, **kwargs)
        except httpx2.TimeoutException:
            _note(state, "timeout", "timed out", None)
            raise
        except httpx2.RemoteProtocolError as exc:
            _note(state, "connection", "dropped the connection", None)
            raise httpx2.ReadError(str(exc), request=request) from exc
        except httpx2.TransportError as exc:
            _note(state, "connection", f"could not be reached ({type(exc).__name__})", None)
            raise
        if response.status_code >= 400:
            _note(state, "http", f"answered HTTP {response.status_code}", response.status_code)
        return response


def _note(state: _CallState | None, kind: ModelErrorKind, problem: str, status: int | None) -> None:
    if state is not None:
        state.last_kind, state.last_problem, state.last_status = kind, problem, status


def _text(content: Any) -> str:
    """Message content as text: a string, or the text chunks of a chunk list joined."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    parts: list[str] = []
    for chunk in content:
        text = chunk.get("text") if isinstance(chunk, Mapping) else getattr(chunk, "text", None)
        if isinstance(text, str):
            parts.append(text)
    return "".join(parts)


def _arguments(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _tool_call(call: Any) -> dict[str, Any]:
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.function.name, "arguments": _arguments(call.function.arguments)},
    }


def _usage(info: Any) -> Usage:
    if info is None:
        return Usage()
    prompt = int(info.prompt_tokens or 0)
    completion = int(info.completion_tokens or 0)
    return Usage(prompt, completion, int(info.total_tokens or prompt + completion))


class ModelClient:
    """Chat completions against the configured Mistral model, with retries and telemetry."""

    def __init__(
        self,
        config: ModelConfig,
        *,
        egress: EgressPolicy,
        metrics: Metrics,
        tracer: trace.Tracer,
        log_content: bool = False,
    ) -> None:
        self.config = config
        self._egress = egress
        self._metrics = metrics
        self._tracer = tracer
        self._provider = otel.provider_attributes(otel.latest_names_only())
        self._log_content = log_content
        self._http = _CountingClient(on_retry=lambda: metrics.retries.labels(target="model").inc())
        policy = config.retry
        backoff = BackoffStrategy(
            initial_interval=int(policy.initial_backoff_seconds * 1000),
            max_interval=int(policy.max_backoff_seconds * 1000),
            exponent=2.0,
            # `attempts` is the real bound (enforced by _CountingClient); this is a backstop.
            max_elapsed_time=int(
                (config.timeout_seconds + policy.max_backoff_seconds) * policy.attempts * 1000
            ),
            jitter_ms=int(policy.initial_backoff_seconds * 1000),
        )
        source = config.api_key
        self._sdk = Mistral(
            api_key=(lambda: source.read()) if source is not None else None,
            server_url=config.endpoint,
            async_client=self._http,
            retry_config=RetryConfig("backoff", backoff, retry_connection_errors=True),
            timeout_ms=int(config.timeout_seconds * 1000),
        )

    @property
    def url(self) -> str:
        return self.config.endpoint or "https://api.mistral.ai"

    def readiness(self) -> list[str]:
        try:
            self._egress.check(self.url)
        except EgressDeniedError as exc:
            return [f"model {self.config.name}: {exc}"]
        return []

    async def aclose(self) -> None:
        await self._http.aclose()

    def _params(self, messages: list[dict[str, Any]], extra: Mapping[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {"model": self.config.name, "messages": messages}
        params.update({k: v for k, v in extra.items() if v is not None})
        return params

    def _start_span(self, parent: Context | None, params: Mapping[str, Any]) -> trace.Span:
        span = self._tracer.start_span(f"chat {self.config.name}", context=parent)
        span.set_attributes(self._operation_attributes())
        for key, name in _REQUEST_ATTRIBUTES.items():
            if params.get(key) is not None:
                span.set_attribute(name, params[key])
        if self._log_content:
            span.set_attribute(otel.INPUT_MESSAGES, json.dumps(params["messages"]))
        return span

    def _operation_attributes(self) -> dict[str, Any]:
        """What every chat span and GenAI metric of this model carries."""
        return {
            otel.OPERATION_NAME: "chat",
            **self._provider,
            otel.REQUEST_MODEL: self.config.name,
            otel.SERVER_ADDRESS: urlsplit(self.url).hostname or "",
        }

    def _finish_span(self, span: trace.Span, reply: ModelReply) -> None:
        span.set_attribute(otel.RESPONSE_MODEL, reply.model)
        span.set_attribute(otel.RESPONSE_ID, reply.id)
        span.set_attribute(otel.RESPONSE_FINISH_REASONS, [reply.finish_reason])
        span.set_attribute(otel.USAGE_INPUT_TOKENS, reply.usage.prompt_tokens)
        span.set_attribute(otel.USAGE_OUTPUT_TOKENS, reply.usage.completion_tokens)
        if self._log_content:
            span.set_attribute(otel.OUTPUT_MESSAGES, json.dumps([reply.message]))

    def _record(self, started: float, outcome: str, reply: ModelReply | None) -> None:
        model = self.config.name
        elapsed = time.perf_counter() - started
        self._metrics.model_calls.labels(model=model, outcome=outcome).inc()
        self._metrics.model_call_duration.labels(model=model).observe(elapsed)
        attributes = self._operation_attributes()
        if reply is None:
            attributes[otel.ERROR_TYPE] = outcome
        else:
            attributes[otel.RESPONSE_MODEL] = reply.model
        self._metrics.gen_ai_operation_duration.record(elapsed, attributes)
        if reply is not None:
            usage = reply.usage
            self._metrics.tokens.labels(direction="input").inc(usage.prompt_tokens)
            self._metrics.tokens.labels(direction="output").inc(usage.completion_tokens)
            tokens = self._metrics.gen_ai_token_usage
            tokens.record(usage.prompt_tokens, {**attributes, otel.TOKEN_TYPE: "input"})
            tokens.record(usage.completion_tokens, {**attributes, otel.TOKEN_TYPE: "output"})

    def _error(self, exc: BaseException, state: _CallState) -> ModelError:
        """Translate whatever the SDK raised into a `ModelError` with a human reason."""
        name = self.config.name
        tries = f"after {state.attempts} attempt{'s' if state.attempts != 1 else ''}"
        if isinstance(exc, SecretUnavailableError):
            return ModelError("unavailable", f"model {name}: API key unavailable: {exc}")
        if isinstance(exc, _RetriesExhaustedError | httpx2.TransportError | NoResponseError):
            problem = state.last_problem or "could not be reached"
            if state.last_kind == "timeout":
                problem = f"timed out after {self.config.timeout_seconds:g}s"
            return ModelError(
                state.last_kind, f"model {name} {problem} {tries}", status=state.last_status
            )
        if isinstance(exc, MistralError):
            status = exc.status_code
            if 200 <= status < 300:
                return ModelError("malformed", f"model {name} sent a malformed response")
            body = redact(exc.body or "", readable_values([self.config.api_key]))
            body = body[:ERROR_BODY_CHARS]
            return ModelError(
                "http", f"model {name} answered HTTP {status} {tries}: {body}", status=status
            )
        if isinstance(exc, ValueError):  # pydantic validation of a body that is not a completion
            return ModelError("malformed", f"model {name} sent a malformed response")
        return ModelError("connection", f"model {name} failed: {type(exc).__name__}")

    def _check_egress(self) -> None:
        try:
            self._egress.check(self.url)
        except EgressDeniedError as exc:
            raise ModelError("denied", f"model {self.config.name}: {exc}") from None

    async def complete(
        self,
        messages: list[dict[str, Any]],
        extra: Mapping[str, Any],
        *,
        parent: Context | None = None,
    ) -> ModelReply:
        """One non-streamed model call; raises `ModelError`."""
        self._check_egress()
        params = self._params(messages, extra)
        span = self._start_span(parent, {"messages": messages, **extra})
        state = _CallState(limit=self.config.retry.attempts)
        token = _CALL.set(state)
        started = time.perf_counter()
        try:
            reply = await self._complete_once(params, span)
        except Exception as exc:
            raise self._fail(span, started, exc, state) from None
        finally:
            _CALL.reset(token)
        self._done(span, started, reply)
        return reply

    async def stream(
        self,
        messages: list[dict[str, Any]],
        extra: Mapping[str, Any],
        *,
        parent: Context | None = None,
    ) -> AsyncGenerator[str | ModelReply, None]:
        """One streamed model call: content deltas as they come, then the whole reply.

        Tool calls arriving in pieces are accumulated; the final `ModelReply` holds the whole
        message, so the loop can continue whether the turn answered or called tools.
        """
        self._check_egress()
        params = self._params(messages, extra)
        span = self._start_span(parent, {"messages": messages, **extra})
        state = _CallState(limit=self.config.retry.attempts)
        started = time.perf_counter()
        acc = self._accumulator(params, span)
        try:
            token = _CALL.set(state)
            try:
                events = await self._open_stream(params)
            finally:
                _CALL.reset(token)
            async with events:
                async for event in events:
                    delta_text = acc.add(event.data)
                    if delta_text:
                        yield delta_text
        except Exception as exc:
            raise self._fail(span, started, exc, state) from None
        reply = acc.reply()
        self._done(span, started, reply)
        yield reply

    # What differs between APIs: the call, its stream and how a stream's events add up ----------
    async def _complete_once(self, params: dict[str, Any], span: trace.Span) -> ModelReply:
        """One chat completion, as a `ModelReply`."""
        response = await self._sdk.chat.complete_async(**params)
        choice = response.choices[0]
        if choice.message is None:
            raise ValueError("a completion without a message")
        message: dict[str, Any] = {
            "role": "assistant",
            "content": _text(choice.message.content),
            "tool_calls": [_tool_call(c) for c in choice.message.tool_calls or []] or None,
        }
        return ModelReply(
            message=message,
            finish_reason=str(choice.finish_reason),
            usage=_usage(response.usage),
            model=response.model or self.config.name,
            id=response.id or "",
        )

    async def _open_stream(self, params: dict[str, Any]) -> Any:
        return await self._sdk.chat.stream_async(**params)

    def _accumulator(self, params: dict[str, Any], span: trace.Span) -> StreamAccumulator:
        return _StreamAccumulator(model=self.config.name)

    def _fail(
        self, span: trace.Span, started: float, exc: BaseException, state: _CallState
    ) -> ModelError:
        """Record and trace a failed call; the `ModelError` to raise."""
        error = exc if isinstance(exc, ModelError) else self._error(exc, state)
        self._record(started, error.kind, None)
        span.set_attribute(otel.ERROR_TYPE, error.kind)
        span.set_status(Status(StatusCode.ERROR, str(error)))
        span.end()
        return error

    def _done(self, span: trace.Span, started: float, reply: ModelReply) -> None:
        self._record(started, "ok", reply)
        self._finish_span(span, reply)
        span.end()


class StreamAccumulator(Protocol):
    """What a streamed call said so far: takes its events in, then makes the reply."""

    def add(self, data: Any) -> str:
        """Take one event in; return the text it adds to the answer."""
        ...

    def reply(self) -> ModelReply: ...


@dataclass
class _StreamAccumulator:
    """What a chat-completions stream said so far: text, tool calls, finish reason, usage."""

    model: str
    id: str = ""
    finish_reason: str = "stop"
    usage: Usage = field(default_factory=Usage)
    content: list[str] = field(default_factory=list)
    calls: dict[int, dict[str, Any]] = field(default_factory=dict)

    def add(self, chunk: Any) -> str:
        self.id = chunk.id or self.id
        self.model = chunk.model or self.model
        if chunk.usage is not None:
            self.usage = _usage(chunk.usage)
        text = ""
        calls = self.calls
        for choice in chunk.choices:
            delta = choice.delta
            if isinstance(delta.content, str | list):
                text += _text(delta.content)
            for call in delta.tool_calls or []:
                index = call.index if isinstance(call.index, int) else len(calls)
                slot = calls.setdefault(
                    index,
                    {"id": "", "type": "function", "function": {"name": "", "arguments": ""}},
                )
                if call.id and call.id != "null":
                    slot["id"] = call.id
                slot["function"]["name"] += call.function.name or ""
                slot["function"]["arguments"] += _arguments(call.function.arguments)
            if choice.finish_reason is not None:
                self.finish_reason = str(choice.finish_reason)
        self.content.append(text)
        return text

    def reply(self) -> ModelReply:
        calls = self.calls
        tool_calls = [calls[i] for i in sorted(calls)] or None
        message = {"role": "assistant", "content": "".join(self.content), "tool_calls": tool_calls}
        return ModelReply(message, self.finish_reason, self.usage, self.model, self.id)
