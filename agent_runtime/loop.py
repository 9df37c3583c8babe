"""The tool-calling loop: one request's conversation between the model and the tools.

`Agent` is one configured agent. `complete` sends the conversation and the tool definitions
to the model; every tool call in the answer is validated against the tool's JSON Schema, run
(calls of one answer concurrently), its output checked against `outputSchema`, and the result
appended as a tool message; then the model is asked again, until it answers or a limit
(`maxTurns`, `maxToolCalls`, `requestTimeoutSeconds`) stops it with a `LoopError`.

A tool that fails never fails the request: the model receives `{"error": "..."}` that says
what went wrong, and may try again or answer without it. A configured `responseFormat` is
sent to the model and the final answer validated against its schema, with one repair round.

`stream` runs the same loop but streams each turn from the model, forwarding the answer's
tokens as they arrive. Failures before the first chunk raise `LoopError`; after it, the
stream ends with an error chunk (see `error_chunk`).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncGenerator, Awaitable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Status, StatusCode

from agent_runtime.config import RuntimeConfig, redact
from agent_runtime.egress import EgressPolicy
from agent_runtime.model import ModelClient, ModelError, ModelReply, Usage
from agent_runtime.schemas import SchemaViolationError, parse_json, validate
from agent_runtime.telemetry import GEN_AI_SYSTEM, Metrics, default_metrics, get_tracer
from agent_runtime.tools import Tool, ToolError, ToolOutcome, ToolRegistry

__all__ = [
    "Agent",
    "LoopError",
    "LoopResult",
    "LoopStream",
    "RequestOptions",
    "Usage",
    "error_chunk",
]

T = TypeVar("T")

#: HTTP status of each model failure kind, as the service answers it.
_MODEL_ERROR_STATUS = {
    "denied": (503, "egress_denied"),
    "unavailable": (503, "model_unavailable"),
    "timeout": (504, "model_timeout"),
}


@dataclass(frozen=True)
class LoopResult:
    """The outcome of one request."""

    message: dict[str, Any]
    finish_reason: str
    usage: Usage
    model_calls: int
    tool_calls: int


class LoopError(Exception):
    """A request the loop could not finish; the service maps it to an HTTP error."""

    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(status_code, code, message)
        self.status_code = status_code
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass(frozen=True)
class RequestOptions:
    """Per-request overrides from the client; None keeps the agent's setting."""

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    response_format: dict[str, Any] | None = None
    stop: list[str] | None = None
    random_seed: int | None = None


@dataclass
class _Run:
    """The state of one request while the loop runs."""

    messages: list[dict[str, Any]]
    usage: Usage = field(default_factory=Usage)
    model_calls: int = 0
    tool_calls: int = 0
    repaired: bool = False


def error_chunk(chunk_id: str, model: str, error: LoopError) -> dict[str, Any]:
    """The last chunk of a stream that failed after it started.

    An ordinary chunk whose choice ends with `finish_reason: "error"`, plus a top-level
    `error` object (`code`, `message`, `status_code`), so clients that ignore unknown keys
    still see the stream end, and clients that look can tell why.
    """
    return {
        "id": chunk_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": {}, "finish_reason": "error"}],
        "error": {"code": error.code, "message": error.message, "status_code": error.status_code},
    }


class LoopStream:
    """The chunks of one streamed request, and the calls it has made so far.

    It iterates like the async generator it wraps (`anext`, `async for`, `aclose`), and tells
    the service, once the stream has ended, how many model and tool calls it took.
    """

    def __init__(self, chunks: AsyncGenerator[dict[str, Any]], run: _Run) -> None:
        self._chunks = chunks
        self._run = run

    def __aiter__(self) -> LoopStream:
        return self

    async def __anext__(self) -> dict[str, Any]:
        return await anext(self._chunks)

    async def aclose(self) -> None:
        await self._chunks.aclose()

    @property
    def model_calls(self) -> int:
        return self._run.model_calls

    @property
    def tool_calls(self) -> int:
        return self._run.tool_calls


class Agent:
    """One configured agent: owns the SDK client, the shared httpx.AsyncClient, the tools."""

    def __init__(
        self,
        config: RuntimeConfig,
        *,
        http: httpx.AsyncClient | None = None,
        metrics: Metrics | None = None,
        tracer_provider: trace.TracerProvider | None = None,
    ) -> None:
        self.config = config
        self.name = config.agent.name
        self.metrics = metrics if metrics is not None else default_metrics()
        self._tracer = get_tracer(tracer_provider)
        self._owns_http = http is None
        self._http = http if http is not None else httpx.AsyncClient()
        self.egress = EgressPolicy(config.egress.allow_hosts)
        self.model = ModelClient(
            config.model,
            egress=self.egress,
            metrics=self.metrics,
            tracer=self._tracer,
            log_content=config.observability.log_content,
        )
        retries = self.metrics.retries
        self.tools = ToolRegistry(
            config.tools,
            http=self._http,
            egress=self.egress,
            on_retry=lambda tool: retries.labels(target=f"tool:{tool}").inc(),
        )
        self._format = config.response_format

    # Lifecycle --------------------------------------------------------------------------------
    async def start(self) -> None:
        """List MCP tools; an unreachable server becomes a readiness reason, not an error."""
        await self.tools.start()

    async def refresh_tools(self) -> None:
        """List MCP tools again now."""
        await self.tools.refresh()

    async def aclose(self) -> None:
        await self.tools.aclose()
        await self.model.aclose()
        if self._owns_http:
            await self._http.aclose()

    def readiness(self) -> list[str]:
        """Reasons the agent is not ready; [] when ready."""
        return self.model.readiness() + self.tools.readiness()

    # Requests ---------------------------------------------------------------------------------
    async def complete(
        self, messages: list[dict[str, Any]], options: RequestOptions = RequestOptions()
    ) -> LoopResult:
        """Run the loop to the final answer."""
        span = self._request_span()
        with trace.use_span(span, end_on_exit=True, record_exception=False):
            context = trace.set_span_in_context(span)
            run = _Run(messages=self._conversation(messages))
            limit = self.config.limits.request_timeout_seconds
            try:
                try:
                    async with asyncio.timeout(limit):
                        result = await self._run(run, options, context)
                except TimeoutError:
                    raise self._timeout_error() from None
            except LoopError as exc:
                self._fail_span(span, run, exc)
                raise
            self._end_span(span, run, result.finish_reason)
            return result

    def stream(
        self, messages: list[dict[str, Any]], options: RequestOptions = RequestOptions()
    ) -> LoopStream:
        """Run the loop, streaming the final answer's tokens as the model produces them."""
        run = _Run(messages=self._conversation(messages))
        return LoopStream(self._stream(run, options), run)

    async def _stream(self, run: _Run, options: RequestOptions) -> AsyncGenerator[dict[str, Any]]:
        span = self._request_span()
        context = trace.set_span_in_context(span)
        deadline = asyncio.get_running_loop().time() + self.config.limits.request_timeout_seconds
        chunk_id = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())

        def chunk(delta: dict[str, Any], finish: str | None, **extra: Any) -> dict[str, Any]:
            return {
                "id": chunk_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": self.name,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                **extra,
            }

        started = False
        try:
            if self._format is not None:
                # A structured answer is validated (and maybe repaired) before anyone sees it.
                result = await self._within(deadline, self._run(run, options, context))
                started = True
                yield chunk({"role": "assistant", "content": result.message["content"]}, None)
                yield chunk({}, result.finish_reason, usage=result.usage.as_dict())
                self._end_span(span, run, result.finish_reason)
                return
            extra = self._model_params(options)
            while True:
                self._check_turns(run)
                run.model_calls += 1
                turn = self.model.stream(run.messages, extra, parent=context)
                reply: ModelReply | None = None
                try:
                    while reply is None:
                        try:
                            item = await self._within(deadline, anext(turn))
                        except StopAsyncIteration:
                            break
                        if isinstance(item, ModelReply):
                            reply = item
                        elif item:
                            if not started:
                                started = True
                                yield chunk({"role": "assistant", "content": ""}, None)
                            yield chunk({"content": item}, None)
                except ModelError as exc:
                    raise _model_loop_error(exc) from None
                finally:
                    await turn.aclose()
                if reply is None:
                    raise LoopError(502, "model_error", "the model's stream ended early")
                run.usage = run.usage + reply.usage
                if reply.tool_calls:
                    await self._within(deadline, self._run_tools(run, reply, context))
                    continue
                if not started:
                    started = True
                    yield chunk({"role": "assistant", "content": ""}, None)
                yield chunk({}, reply.finish_reason, usage=run.usage.as_dict())
                self._end_span(span, run, reply.finish_reason)
                return
        except LoopError as exc:
            self._fail_span(span, run, exc)
            if not started:
                raise
            yield error_chunk(chunk_id, self.name, exc)
        finally:
            span.end()

    # The loop ---------------------------------------------------------------------------------
    async def _run(self, run: _Run, options: RequestOptions, context: Context) -> LoopResult:
        extra = self._model_params(options)
        while True:
            self._check_turns(run)
            run.model_calls += 1
            try:
                reply = await self.model.complete(run.messages, extra, parent=context)
            except ModelError as exc:
                raise _model_loop_error(exc) from None
            run.usage = run.usage + reply.usage
            if reply.tool_calls:
                await self._run_tools(run, reply, context)
                continue
            if self._answer_needs_repair(run, reply):
                continue
            message = {"role": "assistant", "content": reply.message["content"], "tool_calls": None}
            return LoopResult(
                message, reply.finish_reason, run.usage, run.model_calls, run.tool_calls
            )

    def _check_turns(self, run: _Run) -> None:
        limit = self.config.limits.max_turns
        if run.model_calls >= limit:
            raise LoopError(
                422,
                "max_turns_exceeded",
                f"the model did not finish within limits.maxTurns={limit} model calls",
            )

    def _answer_needs_repair(self, run: _Run, reply: ModelReply) -> bool:
        """Validate a structured answer; ask once for a repair; fail if that is invalid too."""
        if self._format is None:
            return False
        try:
            value = parse_json(reply.message["content"], what="the answer")
            validate(value, self._format.schema_, what="the answer")
        except SchemaViolationError as exc:
            if run.repaired:
                raise LoopError(
                    422,
                    "invalid_structured_output",
                    f"the answer does not match response format {self._format.name!r} "
                    f"after one repair: {exc.detail}",
                ) from None
            run.repaired = True
            run.messages.append({"role": "assistant", "content": reply.message["content"]})
            run.messages.append(
                {
                    "role": "user",
                    "content": f"Your answer does not match the required JSON schema "
                    f"{self._format.name!r}: {exc}. Answer again with only the corrected JSON.",
                }
            )
            return True
        return False

    async def _run_tools(self, run: _Run, reply: ModelReply, context: Context) -> None:
        calls = reply.tool_calls
        limit = self.config.limits.max_tool_calls
        if run.tool_calls + len(calls) > limit:
            raise LoopError(
                422,
                "max_tool_calls_exceeded",
                f"the model asked for more than limits.maxToolCalls={limit} tool calls",
            )
        run.tool_calls += len(calls)
        run.messages.append(
            {
                "role": "assistant",
                "content": reply.message.get("content") or "",
                "tool_calls": calls,
            }
        )
        results = await asyncio.gather(*(self._execute(call, context) for call in calls))
        run.messages.extend(results)

    async def _execute(self, call: dict[str, Any], context: Context) -> dict[str, Any]:
        """Run one tool call; always returns a tool message, an error one if it failed."""
        function = call.get("function") or {}
        name = str(function.get("name", ""))
        call_id = str(call.get("id") or "")
        log = self.config.observability.log_content
        span = self._tracer.start_span(f"execute_tool {name}", context=context)
        span.set_attribute("gen_ai.operation.name", "execute_tool")
        span.set_attribute("gen_ai.system", GEN_AI_SYSTEM)
        span.set_attribute("gen_ai.tool.name", name)
        span.set_attribute("gen_ai.tool.call.id", call_id)
        if log:
            span.set_attribute("gen_ai.tool.call.arguments", str(function.get("arguments", "")))
        # A tool that echoes the secret header or token it was sent must not hand it on to the
        # model, a span or a log line: its answer and its errors are redacted.
        tool = self.tools.get(name)
        secrets = tool.secret_values() if tool is not None else []
        started = time.perf_counter()
        outcome: ToolOutcome = "ok"
        try:
            # Current while the tool runs, so that its outgoing calls carry this span onward.
            with trace.use_span(span, record_exception=False, set_status_on_exception=False):
                result = await self._invoke(name, function.get("arguments"))
            content = redact(result if isinstance(result, str) else json.dumps(result), secrets)
        except ToolError as exc:
            outcome = exc.outcome
            message = redact(str(exc), secrets)
            content = json.dumps({"error": message})
            span.set_attribute("error.type", outcome)
            span.set_status(Status(StatusCode.ERROR, message))
        finally:
            self.metrics.tool_calls.labels(tool=name, outcome=outcome).inc()
            self.metrics.tool_call_duration.labels(tool=name).observe(time.perf_counter() - started)
        if log:
            span.set_attribute("gen_ai.tool.call.result", content)
        span.end()
        return {"role": "tool", "tool_call_id": call_id, "name": name, "content": content}

    async def _invoke(self, name: str, raw_arguments: Any) -> Any:
        tool = self.tools.get(name)
        if tool is None:
            known = ", ".join(sorted(self.tools.tools())) or "none"
            raise ToolError(f"unknown tool {name!r}; the available tools are: {known}")
        arguments = self._arguments(tool, raw_arguments)
        try:
            async with asyncio.timeout(tool.budget_seconds):
                result = await tool.call(arguments)
        except TimeoutError:
            raise ToolError(
                f"tool {name} timed out after {tool.budget_seconds:g}s", outcome="timeout"
            ) from None
        except ToolError:
            raise
        except Exception as exc:
            raise ToolError(f"tool {name} failed: {type(exc).__name__}") from None
        if tool.output_schema is not None:
            try:
                validate(result, tool.output_schema, what=f"the output of tool {name}")
            except SchemaViolationError as exc:
                raise ToolError(str(exc), outcome="invalid_output") from None
        return result

    @staticmethod
    def _arguments(tool: Tool, raw: Any) -> dict[str, Any]:
        what = f"the arguments of tool {tool.name}"
        try:
            value = parse_json(raw, what=what) if isinstance(raw, str) else raw
            if raw in ("", None):
                value = {}
            if not isinstance(value, dict):
                raise SchemaViolationError(what, "not a JSON object")
            validate(value, tool.parameters, what=what)
        except SchemaViolationError as exc:
            raise ToolError(f"{exc}; call the tool again with valid arguments") from None
        return value

    # Helpers ----------------------------------------------------------------------------------
    def _conversation(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The agent's instructions as a leading system message, then the client's messages."""
        leading = []
        if self.config.instructions:
            leading.append({"role": "system", "content": self.config.instructions})
        return leading + [dict(m) for m in messages]

    def _model_params(self, options: RequestOptions) -> dict[str, Any]:
        model = self.config.model
        params: dict[str, Any] = {
            "temperature": _first(options.temperature, model.temperature),
            "top_p": _first(options.top_p, model.top_p),
            "max_tokens": _first(options.max_tokens, model.max_tokens),
            "stop": options.stop,
            "random_seed": options.random_seed,
            "response_format": options.response_format,
        }
        if self._format is not None:
            params["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": self._format.name,
                    "schema": self._format.schema_,
                    "strict": self._format.strict,
                },
            }
        definitions = self.tools.definitions()
        if definitions:
            params["tools"] = definitions
        return params

    async def _within(self, deadline: float, awaitable: Awaitable[T]) -> T:
        try:
            async with asyncio.timeout_at(deadline):
                return await awaitable
        except TimeoutError:
            raise self._timeout_error() from None

    def _timeout_error(self) -> LoopError:
        limit = self.config.limits.request_timeout_seconds
        return LoopError(
            504, "request_timeout", f"the request exceeded limits.requestTimeoutSeconds={limit:g}"
        )

    def _request_span(self) -> trace.Span:
        span = self._tracer.start_span(f"invoke_agent {self.name}")
        span.set_attribute("gen_ai.operation.name", "invoke_agent")
        span.set_attribute("gen_ai.system", GEN_AI_SYSTEM)
        span.set_attribute("gen_ai.agent.name", self.name)
        span.set_attribute("gen_ai.request.model", self.config.model.name)
        return span

    def _end_span(self, span: trace.Span, run: _Run, finish_reason: str) -> None:
        span.set_attribute("gen_ai.response.finish_reasons", [finish_reason])
        span.set_attribute("gen_ai.usage.input_tokens", run.usage.prompt_tokens)
        span.set_attribute("gen_ai.usage.output_tokens", run.usage.completion_tokens)

    def _fail_span(self, span: trace.Span, run: _Run, error: LoopError) -> None:
        span.set_attribute("error.type", error.code)
        span.set_attribute("gen_ai.usage.input_tokens", run.usage.prompt_tokens)
        span.set_attribute("gen_ai.usage.output_tokens", run.usage.completion_tokens)
        span.set_status(Status(StatusCode.ERROR, error.message))


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _model_loop_error(exc: ModelError) -> LoopError:
    status, code = _MODEL_ERROR_STATUS.get(exc.kind, (502, "model_error"))
    return LoopError(status, code, str(exc))
