"""HTTP tools: a declared endpoint called through the runtime's shared `httpx.AsyncClient`.

Arguments become the query string (GET, DELETE) or a JSON body. Header values that come
from secrets are read at call time, so a rotated Secret is used on the next call, and never
appear in a message. Connection errors, timeouts, 429 and 5xx are retried with exponential
backoff and full jitter, honouring `Retry-After` (seconds or an HTTP date) capped by the
policy's `maxBackoffSeconds`. `send_with_retries` is shared with the agent tool.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from agent_runtime.config import Header, RetryPolicy, SecretUnavailableError, readable_values
from agent_runtime.config import Tool as ToolConfig
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


async def send_with_retries(
    http: httpx.AsyncClient,
    build: Callable[[], httpx.Request],
    *,
    tool: str,
    attempt_seconds: float,
    policy: RetryPolicy,
    on_retry: Callable[[], None] = lambda: None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> httpx.Response:
    """Send a request, retrying what may heal; return the first final response (any status)."""
    problem = ""
    for attempt in range(policy.attempts):
        delay: float | None = None
        try:
            request = build()
            request.extensions["timeout"] = httpx.Timeout(attempt_seconds).as_dict()
            response = await http.send(request)
        except httpx.TimeoutException:
            problem = f"timed out after {attempt_seconds:g}s"
        except httpx.TransportError as exc:
            problem = f"connection failed: {type(exc).__name__}"
        else:
            if response.status_code != 429 and response.status_code < 500:
                return response
            problem = f"answered HTTP {response.status_code}"
            delay = retry_after_seconds(response)
            await response.aclose()
        if attempt + 1 == policy.attempts:
            break
        on_retry()
        if delay is None:
            delay = backoff_seconds(policy, attempt)
        await sleep(min(delay, policy.max_backoff_seconds))
    outcome: ToolOutcome = "timeout" if problem.startswith("timed out") else "error"
    raise ToolError(
        f"tool {tool} {problem} ({_attempts(policy.attempts)})",
        outcome=outcome,
    )


def _attempts(n: int) -> str:
    return f"{n} attempt" if n == 1 else f"{n} attempts"


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

    def secret_values(self) -> list[str]:
        return readable_values(header.value_from for header in self.endpoint.headers)

    async def call(self, arguments: dict[str, Any]) -> Any:
        spec = self.endpoint
        try:
            self._egress.check(spec.url)
        except EgressDeniedError as exc:
            raise ToolError(f"tool {self.name}: {exc}", outcome="denied") from None
        headers = {**resolve_headers(spec.headers, tool=self.name), **trace_headers()}
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
