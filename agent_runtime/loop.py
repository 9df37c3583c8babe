"""The tool-calling loop: one request's conversation between the model and the tools.

`Agent` is one configured agent. `run` sends the conversation and the tool definitions to
the model; every tool call in the answer is validated against the tool's JSON Schema, run
(calls of one answer concurrently), its output checked against `outputSchema`, and the result
appended as a tool message; then the model is asked again, until it answers or a limit
(`maxTurns`, `maxToolCalls`, `requestTimeoutSeconds`) stops it with a `LoopError`.

A request is one stream of typed events (`agent_runtime.events`): text, tool calls started
and finished, usage per model call, then one `Final` answer or one `Failed` error. Streamed
or not, it is the same turn function (`Agent._turns`); with `stream=True` each model turn is
streamed and its text yielded as it arrives. `complete` runs it to the `LoopResult`.

A tool declared `requireApproval` runs only once a person allows it: a request that asks for
approvals (`RequestOptions.hold_for_approval`, a stored conversation) ends with the calls held
(`HeldForApproval`), and the request that carries the decisions (`RequestOptions.decisions`)
runs the allowed ones and reports the denied ones to the model as refused, before its first
model call; any other request reports such a call to the model as refused. A `Meter` (the
token budget) is asked before each model call and told each call's tokens after it.

A tool that fails never fails the request: the model receives `{"error": "..."}` that says
what went wrong, and may try again or answer without it. A configured `responseFormat` is
sent to the model and the final answer validated against its schema, with one repair round.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncGenerator, Awaitable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import httpx
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Status, StatusCode

from agent_runtime import telemetry as otel
from agent_runtime.config import RuntimeConfig, redact
from agent_runtime.conversations_model import ConversationsModelClient
from agent_runtime.egress import EgressPolicy
from agent_runtime.events import (
    Event,
    Failed,
    Final,
    HeldForApproval,
    LoopError,
    LoopErrorCode,
    TextDelta,
    ToolFinished,
    ToolStarted,
    UsageReported,
)
from agent_runtime.model import ModelClient, ModelError, ModelErrorKind, ModelReply, Usage
from agent_runtime.schemas import SchemaViolationError, parse_json, validate
from agent_runtime.telemetry import Metrics, default_metrics, get_tracer
from agent_runtime.tools import Tool, ToolError, ToolOutcome, ToolRegistry

__all__ = [
    "Agent",
    "LoopError",
    "LoopResult",
    "LoopStream",
    "Meter",
    "RequestOptions",
    "ToolDecision",
    "Usage",
]

T = TypeVar("T")

#: The error code of each model failure kind; any other kind is a `model_error`.
_MODEL_ERROR_CODES: dict[ModelErrorKind, LoopErrorCode] = {
    "denied": "egress_denied",
    "unavailable": "model_unavailable",
    "timeout": "model_timeout",
}


@dataclass(frozen=True)
class LoopResult:
    """The outcome of one request."""

    message: dict[str, Any]
    finish_reason: str
    usage: Usage
    model_calls: int
    tool_calls: int


class Meter(Protocol):
    """A token budget the loop consults: before each model call, and with each call's tokens."""

    async def check(self) -> None:
        """Raise `LoopError` (`budget_exceeded`) when no further model call may start."""
        ...

    async def spend(self, tokens: int) -> None:
        """Count the tokens one model call used."""
        ...


@dataclass(frozen=True)
class ToolDecision:
    """A person's decision on a held tool call: run it, or report it to the model as refused."""

    call_id: str
    name: str
    arguments: str
    allow: bool
    reason: str | None = None


@dataclass(frozen=True)
class RequestOptions:
    """Per-request overrides from the client; None keeps the agent's setting."""

    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    response_format: dict[str, Any] | None = None
    stop: list[str] | None = None
    random_seed: int | None = None
    #: `auto`, `none`, `any`, `required`, or `{"type": "function", "function": {"name": ...}}`.
    tool_choice: str | dict[str, Any] | None = None
    #: Hold calls of tools that require approval (ending with `HeldForApproval`), not refuse them.
    hold_for_approval: bool = False
    #: Held calls a person decided, run or refused before the first model call.
    decisions: tuple[ToolDecision, ...] = ()
    #: The token budget, checked before each model call and told each call's tokens.
    meter: Meter | None = None


@dataclass
class _Run:
    """The state of one request while the loop runs."""

    messages: list[dict[str, Any]]
    tool_choice: str | dict[str, Any] | None = None
    usage: Usage = field(default_factory=Usage)
    model_calls: int = 0
    tool_calls: int = 0
    repaired: bool = False
    hold_for_approval: bool = False


class LoopStream:
    """The events of one request, and the calls it has made so far.

    It iterates like the async generator it wraps (`anext`, `async for`, `aclose`), and tells
    the service, even when the client left early, how many model and tool calls it took.
    """

    def __init__(self, events: AsyncGenerator[Event], run: _Run) -> None:
        self._events = events
        self._run = run

    def __aiter__(self) -> LoopStream:
        return self

    async def __anext__(self) -> Event:
        return await anext(self._events)

    async def aclose(self) -> None:
        await self._events.aclose()

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
        self._provider = otel.provider_attributes(otel.latest_names_only())
        self._owns_http = http is None
        self._http = http if http is not None else httpx.AsyncClient()
        self.egress = EgressPolicy(config.egress.allow_hosts)
        self.model = _model_client(config, self.egress, self.metrics, self._tracer)
        retries = self.metrics.retries
        self.tools = ToolRegistry(
            config.tools,
            http=self._http,
            egress=self.egress,
            on_retry=lambda tool: retries.labels(target=f"tool:{tool}").inc(),
        )
        self._format = config.response_format
        self._needs_approval = frozenset(t.name for t in config.tools if t.require_approval)

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
    def run(
        self,
        messages: list[dict[str, Any]],
        options: RequestOptions = RequestOptions(),
        *,
        stream: bool = False,
    ) -> LoopStream:
        """Run the loop as a stream of events, ending with one `Final` or one `Failed`.

        With `stream`, each model turn is streamed and its text yielded as it arrives;
        without, each turn's text is yielded whole. Either way it is the same turn logic.
        """
        run = _Run(
            messages=self._conversation(messages),
            tool_choice=options.tool_choice,
            hold_for_approval=options.hold_for_approval,
        )
        return LoopStream(self._request(run, options, stream=stream), run)

    async def complete(
        self, messages: list[dict[str, Any]], options: RequestOptions = RequestOptions()
    ) -> LoopResult:
        """Run the loop to the final answer; raises `LoopError`."""
        async with aclosing(self.run(messages, options)) as events:
            async for event in events:
                if isinstance(event, Failed):
                    raise event.error
                if isinstance(event, Final):
                    message = {"role": "assistant", "content": event.content, "tool_calls": None}
                    return LoopResult(
                        message,
                        event.finish_reason,
                        event.usage,
                        event.model_calls,
                        event.tool_calls,
                    )
        raise AssertionError("the loop ended without a final event")  # pragma: no cover

    def stream(
        self, messages: list[dict[str, Any]], options: RequestOptions = RequestOptions()
    ) -> LoopStream:
        """Run the loop, streaming each turn's text as the model produces it."""
        return self.run(messages, options, stream=True)

    async def _request(
        self, run: _Run, options: RequestOptions, *, stream: bool
    ) -> AsyncGenerator[Event]:
        """One request's span around its turns; a `LoopError` becomes the `Failed` event."""
        span = self._request_span()
        context = trace.set_span_in_context(span)
        deadline = asyncio.get_running_loop().time() + self.config.limits.request_timeout_seconds
        try:
            self._check_tool_choice(options.tool_choice)
            if options.decisions:
                decided = self._run_decided(run, options.decisions, context, deadline)
                async with aclosing(decided):
                    async for event in decided:
                        yield event
            turns = self._turns(run, options, context, deadline, stream=stream)
            async with aclosing(turns):
                async for event in turns:
                    if isinstance(event, Final):
                        self._end_span(span, run, event.finish_reason)
                    yield event
        except LoopError as exc:
            self._fail_span(span, run, exc)
            yield Failed(exc)
        finally:
            span.end()

    # The loop ---------------------------------------------------------------------------------
    async def _turns(
        self,
        run: _Run,
        options: RequestOptions,
        context: Context,
        deadline: float,
        *,
        stream: bool,
    ) -> AsyncGenerator[Event]:
        """The one turn logic: ask the model, run its tool calls, until it answers."""
        # A strict structured answer is held to its schema by the model as it decodes, so it
        # streams as produced (and is still validated at the end); a loose one is validated,
        # and maybe repaired, before anyone sees it, so its turns are not streamed.
        stream = stream and (self._format is None or self._format.strict)
        while True:
            self._check_turns(run)
            await self._metered(deadline, options.meter, None)
            extra = self._model_params(options, first=run.model_calls == 0)
            run.model_calls += 1
            reply: ModelReply | None = None
            if stream:
                # Closed at once when the client leaves, and with it the model's stream.
                async with aclosing(self._streamed_turn(run, extra, context, deadline)) as items:
                    async for item in items:
                        if isinstance(item, ModelReply):
                            reply = item
                        else:
                            yield TextDelta(item)
            else:
                reply = await self._within(deadline, self._model_turn(run, extra, context))
            assert reply is not None  # _streamed_turn ends with the reply or raises
            run.usage = run.usage + reply.usage
            await self._metered(deadline, options.meter, reply.usage.total_tokens)
            yield UsageReported(reply.usage, run.usage)
            if reply.tool_calls:
                async with aclosing(self._run_tools(run, reply, context, deadline)) as tools:
                    async for event in tools:
                        yield event
                        if isinstance(event, HeldForApproval):
                            return
                continue
            if self._answer_needs_repair(run, reply, streamed=stream):
                continue
            content = str(reply.message.get("content") or "")
            if not stream and content:
                yield TextDelta(content)
            yield Final(content, reply.finish_reason, run.usage, run.model_calls, run.tool_calls)
            return

    async def _model_turn(self, run: _Run, extra: dict[str, Any], context: Context) -> ModelReply:
        try:
            return await self.model.complete(run.messages, extra, parent=context)
        except ModelError as exc:
            raise _model_loop_error(exc) from None

    async def _streamed_turn(
        self, run: _Run, extra: dict[str, Any], context: Context, deadline: float
    ) -> AsyncGenerator[str | ModelReply]:
        """One streamed model call: its text as it comes, then the whole reply."""
        turn = self.model.stream(run.messages, extra, parent=context)
        try:
            while True:
                try:
                    item = await self._within(deadline, anext(turn))
                except StopAsyncIteration:
                    raise LoopError("model_error", "the model's stream ended early") from None
                if item:
                    yield item
                if isinstance(item, ModelReply):
                    return
        except ModelError as exc:
            raise _model_loop_error(exc) from None
        finally:
            await turn.aclose()

    def _check_turns(self, run: _Run) -> None:
        limit = self.config.limits.max_turns
        if run.model_calls >= limit:
            raise LoopError(
                "max_turns_exceeded",
                f"the model did not finish within limits.maxTurns={limit} model calls",
            )

    def _answer_needs_repair(self, run: _Run, reply: ModelReply, *, streamed: bool) -> bool:
        """Validate a structured answer; ask once for a repair; fail if that is invalid too.

        A streamed answer was seen as it came, so it cannot be taken back: it fails at once.
        """
        if self._format is None:
            return False
        try:
            value = parse_json(reply.message["content"], what="the answer")
            validate(value, self._format.schema_, what="the answer")
        except SchemaViolationError as exc:
            if run.repaired or streamed:
                when = "after one repair" if run.repaired else "as it streamed"
                raise LoopError(
                    "invalid_structured_output",
                    f"the answer does not match response format {self._format.name!r} "
                    f"{when}: {exc.detail}",
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

    async def _run_tools(
        self, run: _Run, reply: ModelReply, context: Context, deadline: float
    ) -> AsyncGenerator[Event]:
        """Run the calls of one answer concurrently; their results join the conversation."""
        calls = reply.tool_calls
        limit = self.config.limits.max_tool_calls
        if run.tool_calls + len(calls) > limit:
            raise LoopError(
                "max_tool_calls_exceeded",
                f"the model asked for more than limits.maxToolCalls={limit} tool calls",
            )
        run.tool_calls += len(calls)
        # Anything else the reply carries (the Conversations API's conversation id) stays on it.
        run.messages.append(
            {**reply.message, "content": reply.message.get("content") or "", "tool_calls": calls}
        )
        started = [_started(call) for call in calls]
        for start in started:
            yield start
        held = {s.call_id for s in started if self._held(run, s.name)}
        runnable = [call for call, s in zip(calls, started, strict=True) if s.call_id not in held]
        allowed = run.tool_choice != "none"
        results = await self._within(
            deadline, asyncio.gather(*(self._execute(call, context, allowed) for call in runnable))
        )
        for event in _results(run, results):
            yield event
        if held:
            yield HeldForApproval(
                tuple(s for s in started if s.call_id in held),
                run.usage,
                run.model_calls,
                run.tool_calls,
            )

    async def _metered(self, deadline: float, meter: Meter | None, tokens: int | None) -> None:
        """Ask the budget before a model call (`tokens` None), or count a call's tokens."""
        if meter is not None:
            await self._within(deadline, meter.check() if tokens is None else meter.spend(tokens))

    def _held(self, run: _Run, name: str) -> bool:
        return run.hold_for_approval and name in self._needs_approval

    async def _run_decided(
        self, run: _Run, decisions: tuple[ToolDecision, ...], context: Context, deadline: float
    ) -> AsyncGenerator[Event]:
        """Run the held calls a person allowed; report the denied ones to the model as refused."""
        run.tool_calls += len(decisions)
        for decision in decisions:
            yield ToolStarted(decision.call_id, decision.name, decision.arguments)

        async def decided(decision: ToolDecision) -> tuple[dict[str, Any], ToolOutcome]:
            call = {
                "id": decision.call_id,
                "function": {"name": decision.name, "arguments": decision.arguments},
            }
            if decision.allow:
                return await self._execute(call, context, approved=True)
            because = f": {decision.reason}" if decision.reason else ""
            self.metrics.tool_calls.labels(tool=decision.name, outcome="denied").inc()
            refused = json.dumps({"error": f"a person refused this tool call{because}"})
            message = {
                "role": "tool",
                "tool_call_id": decision.call_id,
                "name": decision.name,
                "content": refused,
            }
            return message, "denied"

        results = await self._within(deadline, asyncio.gather(*map(decided, decisions)))
        for event in _results(run, results):
            yield event

    async def _execute(
        self, call: dict[str, Any], context: Context, allowed: bool = True, approved: bool = False
    ) -> tuple[dict[str, Any], ToolOutcome]:
        """Run one tool call; always returns a tool message (an error one if it failed)."""
        function = call.get("function") or {}
        name = str(function.get("name", ""))
        call_id = str(call.get("id") or "")
        log = self.config.observability.log_content
        span = self._tracer.start_span(f"execute_tool {name}", context=context)
        span.set_attributes(
            {
                otel.OPERATION_NAME: "execute_tool",
                **self._provider,
                otel.TOOL_NAME: name,
                otel.TOOL_CALL_ID: call_id,
            }
        )
        if log:
            span.set_attribute(otel.TOOL_CALL_ARGUMENTS, str(function.get("arguments", "")))
        # A tool that echoes the secret header or token it was sent must not hand it on to the
        # model, a span or a log line: its answer and its errors are redacted.
        tool = self.tools.get(name)
        secrets = tool.secret_values() if tool is not None else []
        started = time.perf_counter()
        outcome: ToolOutcome = "ok"
        try:
            if not allowed:
                raise ToolError("tool_choice is none: no tool may run in this request")
            if name in self._needs_approval and not approved:
                raise ToolError(
                    f"tool {name} runs only once a person allows it, which needs a stored"
                    " conversation; it was not run",
                    outcome="denied",
                )
            # Current while the tool runs, so that its outgoing calls carry this span onward.
            with trace.use_span(span, record_exception=False, set_status_on_exception=False):
                result = await self._invoke(name, function.get("arguments"))
            content = redact(result if isinstance(result, str) else json.dumps(result), secrets)
        except ToolError as exc:
            outcome = exc.outcome
            message = redact(str(exc), secrets)
            content = json.dumps({"error": message})
            span.set_attribute(otel.ERROR_TYPE, outcome)
            span.set_status(Status(StatusCode.ERROR, message))
        finally:
            self.metrics.tool_calls.labels(tool=name, outcome=outcome).inc()
            self.metrics.tool_call_duration.labels(tool=name).observe(time.perf_counter() - started)
        if log:
            span.set_attribute(otel.TOOL_CALL_RESULT, content)
        span.end()
        answer = {"role": "tool", "tool_call_id": call_id, "name": name, "content": content}
        return answer, outcome

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
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                value: Any = {}
            else:
                value = parse_json(raw, what=what) if isinstance(raw, str) else raw
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

    def _check_tool_choice(self, choice: str | dict[str, Any] | None) -> None:
        """Refuse a `tool_choice` this agent cannot honour: a tool it lacks, or none at all."""
        if choice is None or choice in ("auto", "none"):
            return
        names = sorted(self.tools.tools())
        if not names:
            raise LoopError(
                "invalid_tool_choice",
                f"agent {self.name} has no tools; tool_choice {json.dumps(choice)} needs one",
            )
        if isinstance(choice, dict):
            name = str((choice.get("function") or {}).get("name", ""))
            if name not in names:
                raise LoopError(
                    "invalid_tool_choice",
                    f"tool_choice names the function {name!r}, which agent {self.name} lacks; "
                    f"its tools are: {', '.join(names)}",
                )

    def _model_params(self, options: RequestOptions, *, first: bool = True) -> dict[str, Any]:
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
        choice = options.tool_choice
        definitions = self.tools.definitions()
        if definitions and choice != "none":
            params["tools"] = definitions
            # A forced choice holds for the first turn only: forced on every turn, the model
            # could never answer after its tool results.
            if choice is not None:
                params["tool_choice"] = choice if first or choice == "auto" else "auto"
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
            "request_timeout", f"the request exceeded limits.requestTimeoutSeconds={limit:g}"
        )

    def _request_span(self) -> trace.Span:
        span = self._tracer.start_span(f"invoke_agent {self.name}")
        span.set_attributes(
            {
                otel.OPERATION_NAME: "invoke_agent",
                **self._provider,
                otel.AGENT_NAME: self.name,
                otel.REQUEST_MODEL: self.config.model.name,
            }
        )
        return span

    def _end_span(self, span: trace.Span, run: _Run, finish_reason: str) -> None:
        span.set_attribute(otel.RESPONSE_FINISH_REASONS, [finish_reason])
        self._usage_on_span(span, run)

    def _fail_span(self, span: trace.Span, run: _Run, error: LoopError) -> None:
        span.set_attribute(otel.ERROR_TYPE, error.code)
        self._usage_on_span(span, run)
        span.set_status(Status(StatusCode.ERROR, error.message))

    @staticmethod
    def _usage_on_span(span: trace.Span, run: _Run) -> None:
        span.set_attribute(otel.USAGE_INPUT_TOKENS, run.usage.prompt_tokens)
        span.set_attribute(otel.USAGE_OUTPUT_TOKENS, run.usage.completion_tokens)


def _model_client(
    config: RuntimeConfig, egress: EgressPolicy, metrics: Metrics, tracer: trace.Tracer
) -> ModelClient:
    """Chat completions; the Conversations API when the agent offers a Mistral built-in."""
    log = config.observability.log_content
    builtins = [t.builtin_definition() for t in config.tools if t.builtin is not None]
    if builtins:
        return ConversationsModelClient(
            config.model,
            builtins=builtins,
            egress=egress,
            metrics=metrics,
            tracer=tracer,
            log_content=log,
        )
    return ModelClient(config.model, egress=egress, metrics=metrics, tracer=tracer, log_content=log)


def _started(call: dict[str, Any]) -> ToolStarted:
    function = call.get("function") or {}
    return ToolStarted(
        str(call.get("id") or ""),
        str(function.get("name", "")),
        str(function.get("arguments") or ""),
    )


def _results(run: _Run, results: list[tuple[dict[str, Any], ToolOutcome]]) -> list[ToolFinished]:
    """Add the tool messages to the conversation; their `ToolFinished` events."""
    finished = []
    for message, outcome in results:
        run.messages.append(message)
        finished.append(
            ToolFinished(message["tool_call_id"], message["name"], outcome, message["content"])
        )
    return finished


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _model_loop_error(exc: ModelError) -> LoopError:
    return LoopError(_MODEL_ERROR_CODES.get(exc.kind, "model_error"), str(exc))
