"""The service's ASGI middleware, one concern each, outermost first as `create_app` adds them.

- `TracingMiddleware`: the server span of each request, continuing the caller's trace;
- `RequestLogMiddleware`: one JSON log line per request, inside that span;
- `MetricsMiddleware`: the count and duration of the requests that run the agent;
- `CrashGuardMiddleware`: an unexpected exception becomes a generic 500 and one log line;
  it also records the status every outer middleware reports;
- `BodyLimitMiddleware`: a body over the limit is a 413, before anything reads it.

Probes and scrapes (`QUIET_PATHS`) get no span and log at DEBUG.
"""

from __future__ import annotations

import logging
import time
from typing import Final

from opentelemetry import propagate, trace
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent_runtime.errors import error_response
from agent_runtime.logs import logger
from agent_runtime.stats import stats_of
from agent_runtime.telemetry import Metrics

#: The route of chat completions.
CHAT_PATH: Final = "/v1/chat/completions"
#: The route of OpenAI's Responses API (`agent_runtime.responses`).
RESPONSES_PATH: Final = "/v1/responses"
#: The A2A JSON-RPC endpoint (`agent_runtime.a2a_server`), named in the agent card.
A2A_PATH: Final = "/a2a"
#: What each route that runs the agent serves, in its log line; the metrics count them all.
AGENT_PATHS: Final = {
    CHAT_PATH: "chat completion",
    RESPONSES_PATH: "response",
    A2A_PATH: "A2A request",
}
#: Routes that probes and scrapers call every few seconds: logged at DEBUG, no span.
QUIET_PATHS: Final = frozenset({"/healthz", "/readyz", "/metrics"})
#: Paths named in span names; any other path (a 404, say) is left out to bound cardinality.
SPAN_PATHS: Final = frozenset({*AGENT_PATHS, "/v1/models"})
#: Methods whose body is read (and bounded) before routing.
BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})
#: The generic message of a 500: the cause is logged, never answered.
INTERNAL_ERROR_MESSAGE: Final = "the agent runtime failed unexpectedly; the error is logged"


class TracingMiddleware:
    """Open the server span of each request (not of probes), continuing the caller's trace."""

    def __init__(self, app: ASGIApp, *, tracer: trace.Tracer) -> None:
        self.app = app
        self.tracer = tracer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in QUIET_PATHS:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        method: str = scope["method"]
        carrier = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        with self.tracer.start_as_current_span(
            f"{method} {path}" if path in SPAN_PATHS else method,
            context=propagate.extract(carrier),
            kind=trace.SpanKind.SERVER,
            attributes={"http.request.method": method, "url.path": path},
        ) as span:
            await self.app(scope, receive, send)
            span.set_attribute("http.response.status_code", stats_of(scope).status)


class RequestLogMiddleware:
    """Log one line per request, with what the route recorded in its `RequestStats`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        stats = stats_of(scope)
        await self.app(scope, receive, send)
        path: str = scope["path"]
        fields = {
            "method": scope["method"],
            "path": path,
            "status": stats.status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 3),
            **stats.fields(),
        }
        level = logging.DEBUG if path in QUIET_PATHS else logging.INFO
        logger.log(level, describe(path, stats.status), extra={"fields": fields})


def describe(path: str, status: int) -> str:
    """The log message of a request: capitalised, past tense, naming what was served."""
    if status >= 400:
        return f"Refused request to {path}" if status < 500 else f"Failed request to {path}"
    if path in AGENT_PATHS:
        return f"Served {AGENT_PATHS[path]}"
    return f"Served {path}"


class MetricsMiddleware:
    """Count the requests that run the agent (every API alike) by status, and time them."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in AGENT_PATHS:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        await self.app(scope, receive, send)
        self.metrics.requests.labels(status=str(stats_of(scope).status)).inc()
        self.metrics.request_duration.observe(time.perf_counter() - started)


class CrashGuardMiddleware:
    """Answer an unexpected exception with a generic 500 (when nothing was sent yet), log it.

    It records the response status in the request's stats, for the middleware around it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        stats = stats_of(scope)
        response_started = False

        async def send_recording(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                stats.status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording)
        except Exception:
            logger.exception(
                "Failed to serve request",
                extra={"fields": {"method": scope["method"], "path": scope["path"]}},
            )
            stats.error_code = stats.error_code or "internal_error"
            if not response_started:
                response = error_response(500, INTERNAL_ERROR_MESSAGE, code="internal_error")
                await response(scope, receive, send_recording)


class BodyLimitMiddleware:
    """Read a POST's body up to `max_body_bytes`, then hand the route the buffered copy.

    A larger declared Content-Length is refused before reading anything, a larger streamed
    body as soon as the count passes the limit. Every body of this API is JSON, whatever the
    client labels it (`curl -d` says form-urlencoded), so it is parsed as JSON: bad JSON is a
    400, not a type error.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large(scope, receive, send)
            return
        body = await self._read(scope, receive, send)
        if body is None:
            return
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

        await self.app(scope, replay, send)

    async def _read(self, scope: Scope, receive: Receive, send: Send) -> bytes | None:
        """The whole body; None when the client left or a 413 was answered instead."""
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
                return b"".join(chunks)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413,
            f"the request body is larger than the limit of {self.max_body_bytes} bytes",
            code="request_too_large",
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)
