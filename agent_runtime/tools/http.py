"""HTTP tools: a declared endpoint called through the runtime's shared `httpx.AsyncClient`.

Arguments become the query string (GET, DELETE) or a JSON body. Header values that come
from secrets are read at call time, so a rotated Secret is used on the next call, and never
appear in a message. Failures that may heal are retried with exponential backoff and full
jitter, honouring `Retry-After` (seconds or an HTTP date) capped by the policy's
`maxBackoffSeconds`; `send_with_retries` is shared with the agent tool.

A call is never run twice by accident: a failure after which the server may have acted (a
timeout, a connection dropped after sending, a 5xx) is retried only for a GET, or for a tool
that opts in with `retry.unsafe` or declares an idempotency key header (then each call sends a
fresh key, the same on all its retries). A refused connection (nothing was sent) and a 429
with `Retry-After` (the server refused, and says when to come back) are retried for any method.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from agent_runtime.config import (
    Header,
    RetryPolicy,
    SecretUnavailableError,
    ToolConfig,
    readable_values,
)
from agent_runtime.egress import EgressDeniedError, EgressPolicy
from agent_runtime.telemetry import trace_headers
from agent_runtime.tools.base import Tool, ToolError, ToolOutcome

#: Longest error body quoted back to the model: enough to explain, not enough to flood.
ERROR_BODY_CHARS = 300


def resolve_headers(headers: Sequence[Header], *, tool: str) -> dict[str, str]:
    """Header values, secrets read now; a missing secret fails the call, naming where."""
    resolved: dict[str, str] = {}
    for header in headers:
        if header.value is not None:
            resolved[header.name] = header.value
            continue
        assert header.value_from is not None
        try:
            resolved[header.name] = header.value_from.read()
        except SecretUnavailableError as exc:
            raise ToolError(f"tool {tool}: header {header.name}: {exc}") from None
    return resolved


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The delay a `Retry-After` header asks for, in seconds, or None."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def backoff_seconds(policy: RetryPolicy, retry: int) -> float:
    """Full jitter: uniform in [0, min(max, initial * 2**retry)] (retry counts from 0)."""
    ceiling = min(policy.max_backoff_seconds, policy.initial_backoff_seconds * 2**retry)
    return random.uniform(0, ceiling)  # noqa: S311 - jitter, not cryptography


#: Slack on top of a call's own bounds before the loop's guard cuts it short: the tool's
#: own timeout should speak first, because its message is more precise.
BUDGET_SLACK_SECONDS = 1.0


def retry_budget(timeout: float, policy: RetryPolicy) -> float:
    """The longest a call with retries may take: every attempt, every backoff, some slack."""
    backoffs = policy.max_backoff_seconds * (policy.attempts - 1)
    return timeout * policy.attempts + backoffs + BUDGET_SLACK_SECONDS


#: Transport errors raised before any byte of the request left: safe to retry for any method.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
#: The methods retried after a fault that may come after the server acted: RFC 9110's safe
#: methods. PUT and DELETE are idempotent by the RFC, but real endpoints often are not.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class _Failure:
    """One attempt that did not end in a final answer, and whether sending it again is safe."""

    problem: str
    may_have_run: bool
    delay: float | None = None


async def _attempt(http: httpx.AsyncClient, request: httpx.Request) -> httpx.Response | _Failure:
    """Send once: a final response (anything but 429 and 5xx), or what went wrong."""
    seconds = request.extensions["timeout"]["read"]
    try:
        response = await http.send(request)
    except httpx.TimeoutException as exc:
        sent = not isinstance(exc, NOT_SENT)
        return _Failure(f"timed out after {seconds:g}s", may_have_run=sent)
    except httpx.TransportError as exc:
        sent = not isinstance(exc, NOT_SENT)
        return _Failure(f"connection failed: {type(exc).__name__}", may_have_run=sent)
    if response.status_code != 429 and response.status_code < 500:
        return response
    await response.aclose()
    delay = retry_after_seconds(response)
    # A 429 that says when to come back was refused, not run; any other answer may have run.
    told_to_wait = response.status_code == 429 and delay is not None
    return _Failure(f"answered HTTP {response.status_code}", not told_to_wait, delay)


async def send_with_retries(
    http: httpx.AsyncClient,
    build: Callable[[], httpx.Request],
    *,
    tool: str,
    attempt_seconds: float,
    policy: RetryPolicy,
    replayable: bool,
    on_retry: Callable[[], None] = lambda: None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> httpx.Response:
    """Send a request, retrying what may heal; return the first final response (any status).

    A failure after which the server may have acted (a timeout, a dropped connection, a 5xx)
    is retried only when the request is `replayable`; a refused connection and a 429 with
    `Retry-After` are retried always.
    """
    for attempt in range(policy.attempts):
        request = build()
        request.extensions["timeout"] = httpx.Timeout(attempt_seconds).as_dict()
        result = await _attempt(http, request)
        if isinstance(result, httpx.Response):
            return result
        if attempt + 1 == policy.attempts:
            raise _failed(tool, result, _attempts(policy.attempts))
        if result.may_have_run and not replayable:
            tried = _attempts(attempt + 1)
            raise _failed(tool, result, f"{tried}; a {request.method} {NOT_REPLAYED}")
        on_retry()
        delay = result.delay if result.delay is not None else backoff_seconds(policy, attempt)
        await sleep(min(delay, policy.max_backoff_seconds))
    raise AssertionError("unreachable: a policy makes one attempt at least")


#: Why a call that may have run was not sent again, for the model (and whoever reads its logs).
NOT_REPLAYED = "is retried only when the tool allows it, as it may have run"


def _attempts(n: int) -> str:
    return f"{n} attempt" if n == 1 else f"{n} attempts"


def _failed(tool: str, failure: _Failure, attempts: str) -> ToolError:
    outcome: ToolOutcome = "timeout" if failure.problem.startswith("timed out") else "error"
    return ToolError(f"tool {tool} {failure.problem} ({attempts})", outcome=outcome)


def decode_body(response: httpx.Response) -> Any:
    """JSON if the response is JSON, else its text."""
    if "json" in response.headers.get("content-type", ""):
        try:
            return response.json()
        except ValueError:
            pass
    return response.text


class HttpTool(Tool):
    """A tool backed by one HTTP endpoint."""

    kind = "http"

    def __init__(
        self,
        config: ToolConfig,
        *,
        http: httpx.AsyncClient,
        egress: EgressPolicy,
        on_retry: Callable[[], None] = lambda: None,
    ) -> None:
        assert config.http is not None
        super().__init__(
            name=config.name,
            description=config.description,
            parameters=config.parameters,
            output_schema=config.output_schema,
        )
        self.endpoint = config.http
        self._http = http
        self._egress = egress
        self._on_retry = on_retry

    @property
    def budget_seconds(self) -> float:
        return retry_budget(self.endpoint.timeout_seconds, self.endpoint.retry)

    @property
    def replayable(self) -> bool:
        """Whether a call that may have reached the server can be sent again."""
        spec = self.endpoint
        return (
            spec.method in SAFE_METHODS
            or spec.retry.unsafe
            or spec.idempotency_key_header is not None
        )

    def secret_values(self) -> list[str]:
        return readable_values(header.value_from for header in self.endpoint.headers)

    async def call(self, arguments: dict[str, Any]) -> Any:
        spec = self.endpoint
        try:
            self._egress.check(spec.url)
        except EgressDeniedError as exc:
            raise ToolError(f"tool {self.name}: {exc}", outcome="denied") from None
        headers = {**resolve_headers(spec.headers, tool=self.name), **trace_headers()}
        if spec.idempotency_key_header is not None:  # one key per call, kept on its retries
            headers[spec.idempotency_key_header] = uuid.uuid4().hex
        as_query = spec.method in ("GET", "DELETE")

        def build() -> httpx.Request:
            return self._http.build_request(
                spec.method,
                spec.url,
                params=_query(arguments) if as_query else None,
                json=None if as_query else arguments,
                headers=headers,
            )

        response = await send_with_retries(
            self._http,
            build,
            tool=self.name,
            attempt_seconds=spec.timeout_seconds,
            policy=spec.retry,
            replayable=self.replayable,
            on_retry=self._on_retry,
        )
        if response.status_code >= 400:
            raise ToolError(
                f"tool {self.name} answered HTTP {response.status_code}: "
                f"{response.text[:ERROR_BODY_CHARS]}"
            )
        return decode_body(response)


def _query(arguments: Mapping[str, Any]) -> dict[str, str | list[str]]:
    """Arguments as query parameters: scalars as text, lists repeated, objects dropped."""
    params: dict[str, str | list[str]] = {}
    for key, value in arguments.items():
        if isinstance(value, list):
            params[key] = [_scalar(v) for v in value]
        elif not isinstance(value, dict) and value is not None:
            params[key] = _scalar(value)
    return params


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
