"""HTTP tools: query or JSON body, retries with backoff, Retry-After, secret headers."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent_runtime.config import RetryPolicy
from agent_runtime.testing import free_port
from agent_runtime.tools.base import ToolError
from agent_runtime.tools.http import backoff_seconds, retry_after_seconds
from tests.runtime_engine.fixtures import ToolServer, call_http_tool

FAST = {"attempts": 3, "initialBackoffSeconds": 0.01, "maxBackoffSeconds": 0.05}


async def call(
    url: str, arguments: dict[str, Any], retried: list[str] | None = None, **http: Any
) -> Any:
    return await call_http_tool({"url": url, "retry": FAST, **http}, arguments, retried=retried)


async def test_get_arguments_become_the_query(tool_server: ToolServer) -> None:
    answer = await call(f"{tool_server.url}/find", {"city": "Paris", "days": 3}, method="GET")
    assert answer == {"method": "GET", "query": {"city": "Paris", "days": "3"}, "body": None}


async def test_post_arguments_become_a_json_body(tool_server: ToolServer) -> None:
    answer = await call(f"{tool_server.url}/find", {"city": "Paris", "days": 3})
    assert answer == {"method": "POST", "query": {}, "body": {"city": "Paris", "days": 3}}


async def test_a_text_answer_is_returned_as_text(tool_server: ToolServer) -> None:
    assert await call(f"{tool_server.url}/text", {}) == "plain words"


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_retryable_statuses_are_retried_until_success(
    tool_server: ToolServer, status: int
) -> None:
    tool_server.fail_next(status, times=2)
    retried: list[str] = []
    answer = await call(f"{tool_server.url}/find", {"q": "x"}, retried, method="GET")
    assert answer["query"] == {"q": "x"}
    assert len(tool_server.seen("/find")) == 3
    assert len(retried) == 2


async def test_a_tool_failing_on_every_attempt_says_how_it_failed(tool_server: ToolServer) -> None:
    tool_server.fail_next(502, times=3)
    with pytest.raises(ToolError) as caught:
        await call(f"{tool_server.url}/find", {}, method="GET")
    assert str(caught.value) == "tool lookup answered HTTP 502 (3 attempts)"
    assert caught.value.outcome == "error"


async def test_a_client_error_is_not_retried(tool_server: ToolServer) -> None:
    tool_server.fail_next(400)
    with pytest.raises(ToolError, match="tool lookup answered HTTP 400"):
        await call(f"{tool_server.url}/find", {})
    assert len(tool_server.seen("/find")) == 1


async def test_connection_errors_are_retried_then_reported() -> None:
    retried: list[str] = []
    with pytest.raises(ToolError) as caught:
        await call(f"http://127.0.0.1:{free_port()}/find", {}, retried)
    assert str(caught.value) == "tool lookup connection failed: ConnectError (3 attempts)"
    assert len(retried) == 2


async def test_timeouts_are_retried_then_reported_as_timeout(tool_server: ToolServer) -> None:
    with pytest.raises(ToolError) as caught:
        await call(f"{tool_server.url}/slow?seconds=5", {}, timeoutSeconds=0.1, method="GET")
    assert caught.value.outcome == "timeout"
    assert len(tool_server.seen("/slow")) == 3


def test_retry_after_is_read_as_seconds_or_as_an_http_date() -> None:
    def response(value: str) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": value})

    assert retry_after_seconds(response("2")) == 2.0
    assert retry_after_seconds(response("Thu, 01 Jan 1970 00:00:00 GMT")) == 0.0
    assert (retry_after_seconds(response("Fri, 01 Jan 2100 00:00:00 GMT")) or 0) > 3600
    assert retry_after_seconds(response("soon")) is None


def test_backoff_is_full_jitter_under_an_exponential_ceiling_capped_by_the_maximum() -> None:
    policy = RetryPolicy(attempts=5, initial_backoff_seconds=0.5, max_backoff_seconds=3)
    for retry, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 3.0), (8, 3.0)]:
        delays = [backoff_seconds(policy, retry) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling / 2  # spread over the range, not pinned at zero


async def test_a_secret_header_is_read_from_its_file_at_call_time(
    tool_server: ToolServer, tmp_path: Path
) -> None:
    token = tmp_path / "token"
    token.write_text("Bearer s3cr3t-one")
    headers = [{"name": "Authorization", "valueFrom": {"file": str(token)}}]
    await call(f"{tool_server.url}/find", {}, headers=headers)
    token.write_text("Bearer s3cr3t-two")
    await call(f"{tool_server.url}/find", {}, headers=headers)
    assert [r.headers["authorization"] for r in tool_server.seen("/find")] == [
        "Bearer s3cr3t-one",
        "Bearer s3cr3t-two",
    ]


async def test_a_missing_secret_fails_the_call_naming_the_file_only(tmp_path: Path) -> None:
    headers = [{"name": "X-Key", "valueFrom": {"file": str(tmp_path / "gone")}}]
    with pytest.raises(ToolError) as caught:
        await call("http://127.0.0.1:9/x", {}, headers=headers)
    assert str(caught.value).startswith(f"tool lookup: header X-Key: secret file {tmp_path}/gone")


async def test_a_secret_header_never_appears_in_errors_or_logs(
    tool_server: ToolServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    token = tmp_path / "token"
    token.write_text("s3cr3t-value")
    headers = [{"name": "X-Key", "valueFrom": {"file": str(token)}}]
    tool_server.fail_next(500, times=3)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ToolError) as caught:
        await call(f"{tool_server.url}/find", {}, headers=headers)
    assert tool_server.seen("/find")[0].headers["x-key"] == "s3cr3t-value"
    assert "s3cr3t" not in str(caught.value)
    assert "s3cr3t" not in repr(caught.value)
    assert "s3cr3t" not in caplog.text


@pytest.mark.parametrize(
    ("retry_after", "slept"),
    [("0.02", 0.02), ("30", 0.05), ("Thu, 01 Jan 1970 00:00:00 GMT", 0.0)],
)
async def test_retry_after_sets_the_wait_capped_by_the_maximum_backoff(
    tool_server: ToolServer, retry_after: str, slept: float
) -> None:
    from agent_runtime.tools.http import send_with_retries

    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    tool_server.fail_next(429, retry_after=retry_after)
    policy = RetryPolicy(attempts=2, initial_backoff_seconds=0.01, max_backoff_seconds=0.05)
    async with httpx.AsyncClient() as client:
        response = await send_with_retries(
            client,
            lambda: client.build_request("GET", f"{tool_server.url}/find"),
            tool="lookup",
            attempt_seconds=5,
            policy=policy,
            replayable=True,
            sleep=record,
        )
    assert response.status_code == 200
    assert waits == [slept]
