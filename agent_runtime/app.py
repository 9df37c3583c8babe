"""The HTTP service of one agent: a FastAPI app with a Mistral/OpenAI-compatible API.

`create_app(config)` builds the app; its `lifespan` builds the shared state (the engine, the
auth check, the metrics) so tests enter it with `with TestClient(app):` and a server builds
it once per worker. Routes:

- `POST /v1/chat/completions`: runs the agent's whole tool loop, answers the final assistant
  message, or streams it as server-sent events in Mistral's chunk format;
- `GET /v1/models`, `GET /v1/models/{id}`: the agent, as one model;
- `GET /healthz` (the process answers), `GET /readyz` (the engine is ready), `GET /metrics`.

Every error is answered in Mistral's error shape (`protocol.ErrorBody`): bad input is a 4xx,
never a 5xx; an unexpected exception is a 500 with a generic message and one log line.
`ServiceMiddleware` bounds the request body, opens the server span, and logs one JSON line
and updates the metrics per request.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from opentelemetry import propagate, trace
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent_runtime.auth import AuthUnavailable, BearerAuth, Unauthorized
from agent_runtime.config import RuntimeConfig
from agent_runtime.logs import logger
from agent_runtime.loop import Agent, LoopError, LoopResult, RequestOptions
from agent_runtime.protocol import (
    AssistantMessage,
    ChatCompletionRequest,
    ChatCompletionResponse,
    Choice,
    ErrorBody,
    Health,
    ModelCard,
    ModelList,
    UsageInfo,
    ValidationDetail,
)
from agent_runtime.telemetry import Metrics, get_tracer

#: The one route that runs the agent: the metrics count its requests.
CHAT_PATH: Final = "/v1/chat/completions"
#: Routes that probes and scrapers call every few seconds: logged at DEBUG, no span.
QUIET_PATHS: Final = frozenset({"/healthz", "/readyz", "/metrics"})
#: The scope key under which `ServiceMiddleware` hands each request its `RequestStats`.
STATS_KEY: Final = "agent_runtime.stats"
#: Paths named in span names; any other path (a 404, say) is left out to bound cardinality.
SPAN_PATHS: Final = frozenset({CHAT_PATH, "/v1/models"})
#: Methods whose body is read (and bounded) before routing.
BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})
#: The generic message of a 500: the cause is logged, never answered.
INTERNAL_ERROR_MESSAGE: Final = "the agent runtime failed unexpectedly; the error is logged"

#: An error's `type` by status, as Mistral's and OpenAI's APIs name them; any other 4xx is an
#: `invalid_request_error`, any 5xx an `api_error`.
ERROR_TYPES: Final[Mapping[int, str]] = {
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}


class Engine(Protocol):
    """What the service needs of the engine (`agent_runtime.loop.Agent`)."""

    async def start(self) -> None: ...
    async def aclose(self) -> None: ...
    def readiness(self) -> list[str]: ...
    async def complete(
        self, messages: list[dict[str, Any]], options: RequestOptions
    ) -> LoopResult: ...
    def stream(
        self, messages: list[dict[str, Any]], options: RequestOptions
    ) -> AsyncIterator[dict[str, Any]]: ...


#: Builds the engine in the lifespan from the config and the service's metrics.
EngineFactory = Callable[[RuntimeConfig, Metrics], Engine]


class ModelNotFound(Exception):
    """A request named a model other than this agent."""

    def __init__(self, requested: str, served: str) -> None:
        super().__init__(requested)
        self.requested = requested
        self.served = served

    def __str__(self) -> str:
        return f"model {self.requested!r} is not served here; this runtime serves {self.served!r}"


@dataclass
class RequestStats:
    """What one request did, filled by the route and logged by `ServiceMiddleware`."""

    status: int = 0
    stream: bool | None = None
    model_calls: int | None = None
    tool_calls: int | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    finish_reason: str | None = None
    error_code: str | None = None
    content: dict[str, Any] = field(default_factory=dict)

    def record_usage(self, usage: Mapping[str, Any]) -> None:
        """Take the token counts of a usage mapping (`prompt_tokens`, `completion_tokens`, ...)."""
        self.prompt_tokens = int(usage.get("prompt_tokens") or 0)
        self.completion_tokens = int(usage.get("completion_tokens") or 0)
        self.total_tokens = int(usage.get("total_tokens") or 0)

    def fields(self) -> dict[str, Any]:
        """The log fields: only what is known, never content unless it was recorded."""
        known = {
            "stream": self.stream,
            "model_calls": self.model_calls,
            "tool_calls": self.tool_calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "finish_reason": self.finish_reason,
            "error_code": self.error_code,
        }
        out = {k: v for k, v in known.items() if v is not None}
        out.update(self.content)
        return out


def error_type(status: int) -> str:
    """The `type` of an error body, as Mistral's and OpenAI's APIs name them."""
    if status >= 500:
        return "api_error"
    return ERROR_TYPES.get(status, "invalid_request_error")


def error_response(
    status: int,
    message: str,
    *,
    code: str | None = None,
    param: str | None = None,
    detail: list[ValidationDetail] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """An error in Mistral's shape, which OpenAI's SDK also reads."""
    body = ErrorBody(
        message=message, type=error_type(status), param=param, code=code, detail=detail
    )
    # `param` and `code` are always present (null when not known), as in Mistral's and
    # OpenAI's own error bodies; `detail` only on a 422.
    return JSONResponse(
        body.model_dump(exclude={"detail"} if detail is None else set()),
        status_code=status,
        headers=dict(headers or {}),
    )


class ServiceMiddleware:
    """Per request: bound the body, open the server span, log one line, count, catch crashes.

    The body of a POST is read here, up to `max_body_bytes`: a larger declared
    Content-Length is refused before reading anything, a larger streamed body as soon as the
    count passes the limit. The route then reads the buffered copy.
    """

    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, metrics: Metrics, tracer: trace.Tracer
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.metrics = metrics
        self.tracer = tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        method: str = scope["method"]
        stats = RequestStats()
        scope[STATS_KEY] = stats
        started = time.perf_counter()
        if path in QUIET_PATHS:
            await self._serve(scope, receive, send, stats)
            self._account(method, path, stats, time.perf_counter() - started)
            return
        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        with self.tracer.start_as_current_span(
            f"{method} {path}" if path in SPAN_PATHS else method,
            context=propagate.extract(carrier),
            kind=trace.SpanKind.SERVER,
            attributes={"http.request.method": method, "url.path": path},
        ) as span:
            await self._serve(scope, receive, send, stats)
            span.set_attribute("http.response.status_code", stats.status)
            # Logged inside the span, so that the line carries its trace and span ids.
            self._account(method, path, stats, time.perf_counter() - started)

    async def _serve(self, scope: Scope, receive: Receive, send: Send, stats: RequestStats) -> None:
        """Run the app on the bounded body; answer a crash with a generic 500."""
        response_started = False

        async def send_recording(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                stats.status = message["status"]
            await send(message)

        try:
            replay = await self._read_body(scope, receive, send_recording)
            if replay is not None:
                await self.app(scope, replay, send_recording)
        except Exception:
            logger.exception(
                "Failed to serve request",
                extra={"fields": {"method": scope["method"], "path": scope["path"]}},
            )
            stats.error_code = stats.error_code or "internal_error"
            if not response_started:
                response = error_response(500, INTERNAL_ERROR_MESSAGE, code="internal_error")
                await response(scope, receive, send_recording)

    def _account(self, method: str, path: str, stats: RequestStats, duration: float) -> None:
        """Count a chat completion in the metrics and log one line for any request."""
        if path == CHAT_PATH:
            self.metrics.requests.labels(status=str(stats.status)).inc()
            self.metrics.request_duration.observe(duration)
        fields = {
            "method": method,
            "path": path,
            "status": stats.status,
            "duration_ms": round(duration * 1000, 3),
            **stats.fields(),
        }
        level = logging.DEBUG if path in QUIET_PATHS else logging.INFO
        logger.log(level, describe(path, stats.status), extra={"fields": fields})

    async def _read_body(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """A receive that replays the bounded body; None when a 413 was answered instead."""
        if scope["method"] not in BODY_METHODS:
            return receive
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large(scope, receive, send)
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await self._too_large(scope, receive, send)
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        # Every body of this API is JSON, whatever the client labels it (`curl -d` says
        # form-urlencoded): parse it as JSON, so that bad JSON is a 400, not a type error.
        scope["headers"] = [
            (name, value) for name, value in scope["headers"] if name != b"content-type"
        ] + [(b"content-type", b"application/json")]
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return replay

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413,
            f"the request body is larger than the limit of {self.max_body_bytes} bytes",
            code="request_too_large",
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


def describe(path: str, status: int) -> str:
    """The log message of a request: capitalised, past tense, naming what was served."""
    if status >= 400:
        return f"Refused request to {path}" if status < 500 else f"Failed request to {path}"
    if path == CHAT_PATH:
        return "Served chat completion"
    return f"Served {path}"


def create_app(
    config: RuntimeConfig,
    *,
    engine_factory: EngineFactory | None = None,
    metrics: Metrics | None = None,
    tracer_provider: trace.TracerProvider | None = None,
) -> FastAPI:
    """The service of one agent; the engine is built and started in the lifespan.

    By default the engine is `loop.Agent`, sharing the service's metrics and tracer provider.
    """
    metrics = metrics if metrics is not None else Metrics()

    def default_engine(config: RuntimeConfig, metrics: Metrics) -> Engine:
        return Agent(config, metrics=metrics, tracer_provider=tracer_provider)

    build_engine = engine_factory if engine_factory is not None else default_engine
    auth = BearerAuth(config.auth.bearer_token)
    agent_name = config.agent.name
    created_at = int(time.time())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = build_engine(config, metrics)
        await engine.start()
        app.state.engine = engine
        logger.info(
            "Started agent runtime",
            extra={"fields": {"agent": agent_name, "namespace": config.agent.namespace}},
        )
        try:
            yield
        finally:
            await engine.aclose()
            logger.info("Stopped agent runtime", extra={"fields": {"agent": agent_name}})

    app = FastAPI(
        title=f"Agent {agent_name}",
        description="A Mistral/OpenAI-compatible chat completions API served by one agent.",
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(
        ServiceMiddleware,
        max_body_bytes=config.limits.max_request_bytes,
        metrics=metrics,
        tracer=get_tracer(tracer_provider),
    )
    install_error_handlers(app, auth)

    def engine_of(request: Request) -> Engine:
        engine: Engine = request.app.state.engine
        return engine

    # `async def` although it never waits: FastAPI runs a plain `def` dependency on a worker
    # thread, a thread hop on every request for a string comparison.
    async def require_token(request: Request) -> None:
        auth.check(request.headers.get("authorization"))

    def stats_of(request: Request) -> RequestStats:
        stats = request.scope.get(STATS_KEY)
        return stats if isinstance(stats, RequestStats) else RequestStats()

    error_responses: dict[int | str, dict[str, Any]] = {
        status: {"model": ErrorBody, "description": text}
        for status, text in {
            400: "The body is not valid JSON.",
            401: "A bearer token is required, or the one sent is not valid.",
            404: "The model named is not this agent.",
            413: "The body is larger than the configured limit.",
            422: "A field is missing, of the wrong type, or unknown.",
        }.items()
    }

    @app.post(
        CHAT_PATH,
        response_model=ChatCompletionResponse,
        responses={
            200: {
                "content": {"text/event-stream": {"description": "Chunks, when stream is true."}}
            },
            **error_responses,
        },
        dependencies=[Depends(require_token)],
        summary="Run the agent on a conversation and answer its final message.",
    )
    async def chat_completions(body: ChatCompletionRequest, request: Request) -> Response:
        if body.model is not None and body.model != agent_name:
            raise ModelNotFound(body.model, agent_name)
        engine = engine_of(request)
        stats = stats_of(request)
        stats.stream = body.stream
        messages = body.engine_messages()
        options = RequestOptions(
            temperature=body.temperature,
            top_p=body.top_p,
            max_tokens=body.effective_max_tokens(),
            response_format=body.response_format_dict(),
            stop=[body.stop] if isinstance(body.stop, str) else body.stop,
            random_seed=body.effective_seed(),
            tool_choice=body.engine_tool_choice(),
        )
        if config.observability.log_content:
            stats.content["request_messages"] = messages
        if body.stream:
            return await start_stream(engine.stream(messages, options), stats)
        result = await engine.complete(messages, options)
        stats.model_calls = result.model_calls
        stats.tool_calls = result.tool_calls
        stats.finish_reason = result.finish_reason
        usage = UsageInfo(
            prompt_tokens=result.usage.prompt_tokens,
            completion_tokens=result.usage.completion_tokens,
            total_tokens=result.usage.total_tokens,
        )
        stats.record_usage(usage.model_dump())
        content = result.message.get("content") or ""
        if config.observability.log_content:
            stats.content["answer"] = content
        answer = ChatCompletionResponse(
            id=f"chatcmpl-{uuid.uuid4().hex}",
            created=int(time.time()),
            model=agent_name,
            choices=[
                Choice(
                    message=AssistantMessage(content=str(content)),
                    finish_reason=result.finish_reason,
                )
            ],
            usage=usage,
        )
        return JSONResponse(answer.model_dump(mode="json"))

    async def start_stream(
        chunks: AsyncIterator[dict[str, Any]], stats: RequestStats
    ) -> StreamingResponse:
        """Wait for the first chunk, so an error before any token is still an HTTP error."""
        try:
            first: dict[str, Any] | None = await anext(chunks)
        except StopAsyncIteration:
            first = None
        except BaseException:
            await aclose_quietly(chunks)
            raise
        return StreamingResponse(
            server_sent_events(first, chunks, stats),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    async def server_sent_events(
        first: dict[str, Any] | None, chunks: AsyncIterator[dict[str, Any]], stats: RequestStats
    ) -> AsyncIterator[bytes]:
        """`data: {chunk}` lines, then `data: [DONE]`.

        A failure after the first chunk arrives as the engine's error chunk (`finish_reason:
        "error"` and an `error` object), passed on as is: the status line is already sent.
        """
        log_content = config.observability.log_content
        answer: list[str] = []
        try:
            async with aclosing(chunks) as rest:  # type: ignore[type-var]
                pending = first
                while pending is not None:
                    pending["model"] = agent_name
                    usage = pending.get("usage")
                    if isinstance(usage, Mapping):
                        stats.record_usage(usage)
                    error = pending.get("error")
                    if isinstance(error, Mapping):
                        stats.error_code = str(error.get("code"))
                    for choice in pending.get("choices") or []:
                        if choice.get("finish_reason"):
                            stats.finish_reason = str(choice["finish_reason"])
                        delta = choice.get("delta") or {}
                        if log_content and isinstance(delta.get("content"), str):
                            answer.append(delta["content"])
                    yield f"data: {json.dumps(pending, ensure_ascii=False)}\n\n".encode()
                    try:
                        pending = await anext(rest)
                    except StopAsyncIteration:
                        pending = None
        finally:
            # The engine's stream (`loop.LoopStream`) tells how many calls it made, even when
            # the client left early; another engine may not, and then nothing is logged.
            for name in ("model_calls", "tool_calls"):
                count = getattr(chunks, name, None)
                if isinstance(count, int):
                    setattr(stats, name, count)
        if log_content:
            stats.content["answer"] = "".join(answer)
        yield b"data: [DONE]\n\n"

    @app.get("/v1/models", response_model=ModelList, dependencies=[Depends(require_token)])
    async def list_models() -> ModelList:
        return ModelList(data=[model_card()])

    @app.get(
        "/v1/models/{model_id}",
        response_model=ModelCard,
        responses={404: error_responses[404]},
        dependencies=[Depends(require_token)],
    )
    async def retrieve_model(model_id: str) -> ModelCard:
        if model_id != agent_name:
            raise ModelNotFound(model_id, agent_name)
        return model_card()

    def model_card() -> ModelCard:
        return ModelCard(
            id=agent_name,
            created=created_at,
            owned_by=config.agent.namespace,
            name=agent_name,
            description=f"The agent {config.agent.namespace}/{agent_name}.",
            capabilities={"completion_chat": True, "function_calling": False},
        )

    @app.get("/healthz", response_model=Health)
    async def healthz() -> Health:
        return Health(status="ok")

    @app.get("/readyz", response_model=Health, responses={503: {"model": Health}})
    async def readyz(request: Request) -> Response:
        reasons = engine_of(request).readiness()
        if reasons:
            body = Health(status="not ready", reasons=reasons)
            return JSONResponse(body.model_dump(), status_code=503)
        return JSONResponse(Health(status="ready").model_dump())

    @app.get("/metrics", response_class=Response)
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app


async def aclose_quietly(chunks: AsyncIterator[dict[str, Any]]) -> None:
    """Close an async generator if it is one."""
    aclose: Callable[[], Awaitable[None]] | None = getattr(chunks, "aclose", None)
    if aclose is not None:
        await aclose()


def unreadable_body(cause: BaseException) -> str:
    """Why a body could not be read as JSON at all, in words."""
    if isinstance(cause, UnicodeDecodeError):
        return "the body is not valid JSON: it is not UTF-8 text"
    if isinstance(cause, RecursionError):
        return "the body is not valid JSON: it is nested too deeply"
    return f"the body is not valid JSON: {type(cause).__name__}"


def install_error_handlers(app: FastAPI, auth: BearerAuth | None = None) -> None:
    """Answer every known failure in the error shape, with the right status.

    FastAPI parses the body before it runs the auth dependency, so a request that fails
    validation has its token checked here first: an anonymous caller gets a 401, never a
    description of what the API expects.
    """

    async def on_http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 400 and exc.__cause__ is not None:
            # FastAPI could not decode the body (not UTF-8, nested too deeply): no JSON error.
            return error_response(400, unreadable_body(exc.__cause__), code="invalid_json")
        if exc.status_code == 404:
            message = f"no route {request.url.path}"
        elif exc.status_code == 405:
            message = f"method {request.method} is not allowed on {request.url.path}"
        else:
            message = str(exc.detail)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code)
        return error_response(exc.status_code, message, code=code, headers=exc.headers)

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if auth is not None:  # every route that validates input is a guarded one
            try:
                auth.check(request.headers.get("authorization"))
            except Unauthorized as refused:
                return await on_unauthorized(request, refused)
            except AuthUnavailable as unavailable:
                return await on_auth_unavailable(request, unavailable)
        errors = list(exc.errors())
        for error in errors:
            if error.get("type") == "json_invalid":
                reason = (error.get("ctx") or {}).get("error", "JSON decode error")
                return error_response(
                    400, f"the body is not valid JSON: {reason}", code="invalid_json"
                )
        detail = [
            ValidationDetail(
                loc=[str(p) if not isinstance(p, int) else p for p in error.get("loc", ())],
                msg=str(error.get("msg", "")),
                type=str(error.get("type", "")),
            )
            for error in errors
        ]
        first = detail[0] if detail else None
        param = ".".join(str(p) for p in first.loc[1:]) if first is not None else None
        message = "; ".join(
            f"{'.'.join(str(p) for p in d.loc[1:]) or 'body'}: {d.msg}" for d in detail
        )
        return error_response(
            422,
            message or "the request is not valid",
            code=first.type if first is not None else None,
            param=param or None,
            detail=detail,
        )

    async def on_loop_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoopError)
        stats = request.scope.get(STATS_KEY)
        if isinstance(stats, RequestStats):
            stats.error_code = exc.code
        return error_response(exc.status_code, exc.message, code=exc.code)

    async def on_unauthorized(request: Request, exc: Exception) -> Response:
        return error_response(
            401, str(exc), code="invalid_api_key", headers={"WWW-Authenticate": "Bearer"}
        )

    async def on_auth_unavailable(request: Request, exc: Exception) -> Response:
        logger.error("Failed to read the API token", extra={"fields": {"reason": str(exc)}})
        return error_response(503, "the API token is not available", code="auth_unavailable")

    async def on_model_not_found(request: Request, exc: Exception) -> Response:
        return error_response(404, str(exc), code="model_not_found", param="model")

    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(LoopError, on_loop_error)
    app.add_exception_handler(Unauthorized, on_unauthorized)
    app.add_exception_handler(AuthUnavailable, on_auth_unavailable)
    app.add_exception_handler(ModelNotFound, on_model_not_found)
