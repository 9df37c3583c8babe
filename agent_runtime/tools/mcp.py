"""MCP tools: the tools of a remote MCP server, over streamable HTTP with the `mcp` SDK.

An `McpServer` lists the server's tools (at start, then every `refreshSeconds`; sooner
while the server is unreachable) and exposes those that `include` selects, each as an
`McpRemoteTool`. Each listing and each call opens its own short session, so a server that
restarts or comes back after an outage works again on the next call with no reconnect logic.
An unreachable server is a readiness reason, never a crash.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx2
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client

from agent_runtime.config import McpToolConfig, readable_values
from agent_runtime.egress import EgressDeniedError, EgressPolicy
from agent_runtime.telemetry import trace_headers
from agent_runtime.tools.base import Tool, ToolError
from agent_runtime.tools.http import resolve_headers

#: How soon a server that could not be listed is tried again (capped by refreshSeconds).
UNREACHABLE_RETRY_SECONDS = 5.0


class McpUnavailableError(Exception):
    """The MCP server could not be reached or listed."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(url, reason)
        self.url = url
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.url} unreachable: {self.reason}"


def _describe(exc: BaseException) -> str:
    """A one-line reason, looking inside exception groups raised by anyio task groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class McpServer:
    """One configured MCP server (a `tools[]` entry with `mcp:`) and its discovered tools."""

    def __init__(self, entry: str, config: McpToolConfig, *, egress: EgressPolicy) -> None:
        self.entry = entry
        self.config = config
        self._egress = egress
        self.tools: list[McpRemoteTool] = []
        self.error: str | None = None
        self.listed = False

    @property
    def next_refresh_seconds(self) -> float:
        """When to list again: soon while unreachable, else every refreshSeconds."""
        if self.error is not None:
            return min(UNREACHABLE_RETRY_SECONDS, self.config.refresh_seconds)
        return self.config.refresh_seconds

    @asynccontextmanager
    async def session(self) -> AsyncIterator[ClientSession]:
        """A fresh, initialised session; raises `McpUnavailableError` if it cannot be opened."""
        try:
            self._egress.check(self.config.url)
        except EgressDeniedError as exc:
            raise McpUnavailableError(self.config.url, str(exc)) from None
        headers = {**resolve_headers(self.config.headers, tool=self.entry), **trace_headers()}
        timeout = httpx2.Timeout(self.config.timeout_seconds)
        async with (
            httpx2.AsyncClient(headers=headers, timeout=timeout) as client,
            streamable_http_client(self.config.url, http_client=client) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            yield session

    async def refresh(self) -> None:
        """List the server's tools; on failure keep the last list and record the reason."""
        try:
            async with self.session() as session:
                listed = await session.list_tools()
        except Exception as exc:
            self.error = str(
                exc
                if isinstance(exc, McpUnavailableError)
                else McpUnavailableError(self.config.url, _describe(exc))
            )
            return
        include = set(self.config.include)
        self.tools = [
            McpRemoteTool(
                self,
                remote_name=t.name,
                description=t.description or "",
                parameters=t.input_schema or {"type": "object", "properties": {}},
                output_schema=t.output_schema,
            )
            for t in listed.tools
            if not include or t.name in include
        ]
        self.error = None
        self.listed = True

    async def call(self, remote_name: str, arguments: dict[str, Any], *, tool: str) -> Any:
        """Call one tool on a fresh session; structured content if any, else the text."""
        try:
            async with self.session() as session:
                result = await session.call_tool(remote_name, arguments)
        except ToolError:
            raise
        except McpUnavailableError as exc:
            raise ToolError(f"tool {tool}: mcp server {exc}") from None
        except Exception as exc:
            raise ToolError(f"tool {tool}: mcp call failed: {_describe(exc)}") from None
        text = "\n".join(getattr(block, "text", "") for block in result.content).strip()
        if result.is_error:
            raise ToolError(f"tool {tool} failed: {text or 'no detail'}")
        if result.structured_content is not None:
            return result.structured_content
        try:
            return json.loads(text)
        except ValueError:
            return text


class McpRemoteTool(Tool):
    """One tool of an MCP server, as the model sees it."""

    kind = "mcp"

    def __init__(
        self,
        server: McpServer,
        *,
        remote_name: str,
        description: str,
        parameters: Mapping[str, Any],
        output_schema: Mapping[str, Any] | None,
    ) -> None:
        super().__init__(
            name=remote_name,
            description=description,
            parameters=parameters,
            output_schema=output_schema,
        )
        self.server = server
        self.remote_name = remote_name

    @property
    def budget_seconds(self) -> float:
        # Connect, initialise and call: three round trips at most, each bounded by the timeout.
        return self.server.config.timeout_seconds * 3

    def secret_values(self) -> list[str]:
        return readable_values(header.value_from for header in self.server.config.headers)

    async def call(self, arguments: dict[str, Any]) -> Any:
        return await self.server.call(self.remote_name, arguments, tool=self.name)
