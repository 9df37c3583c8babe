"""The tool registry: builds an agent's tools from its config and finds them by name.

HTTP and agent tools are fixed by the config; MCP entries expand into the tools their server
lists, refreshed in the background. Names are what the model sees: an MCP tool whose name is
already taken is offered as `{entry}_{name}`, so two servers cannot shadow each other.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence

import httpx

from agent_runtime.config import ToolConfig
from agent_runtime.egress import EgressPolicy
from agent_runtime.tools.agent import AgentTool
from agent_runtime.tools.base import Tool
from agent_runtime.tools.http import HttpTool
from agent_runtime.tools.mcp import McpServer


class ToolRegistry:
    """The tools of one agent."""

    def __init__(
        self,
        configs: Sequence[ToolConfig],
        *,
        http: httpx.AsyncClient,
        egress: EgressPolicy,
        on_retry: Callable[[str], None] = lambda tool: None,
    ) -> None:
        self._fixed: list[Tool] = []
        self.mcp_servers: list[McpServer] = []
        self._refresher: asyncio.Task[None] | None = None
        for config in configs:
            retried = _bind(on_retry, config.name)
            if config.http is not None:
                self._fixed.append(HttpTool(config, http=http, egress=egress, on_retry=retried))
            elif config.agent is not None:
                self._fixed.append(AgentTool(config, http=http, egress=egress, on_retry=retried))
            elif config.mcp is not None:
                self.mcp_servers.append(McpServer(config.name, config.mcp, egress=egress))

    async def start(self) -> None:
        """List every MCP server once, then keep the lists fresh in the background."""
        await self.refresh()
        if self.mcp_servers and self._refresher is None:
            self._refresher = asyncio.create_task(self._refresh_forever())

    async def refresh(self) -> None:
        """List every MCP server now (failures are recorded, not raised)."""
        await asyncio.gather(*(server.refresh() for server in self.mcp_servers))

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(min(s.next_refresh_seconds for s in self.mcp_servers))
            await self.refresh()

    async def aclose(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
            self._refresher = None

    def tools(self) -> dict[str, Tool]:
        """Every tool by the name the model sees."""
        by_name: dict[str, Tool] = {tool.name: tool for tool in self._fixed}
        for server in self.mcp_servers:
            for tool in server.tools:
                name = tool.remote_name
                if name in by_name:
                    name = f"{server.entry}_{name}"
                tool.name = name
                by_name[name] = tool
        return by_name

    def get(self, name: str) -> Tool | None:
        return self.tools().get(name)

    def definitions(self) -> list[dict[str, object]]:
        """The Mistral `tools` parameter."""
        return [tool.definition() for tool in self.tools().values()]

    def readiness(self) -> list[str]:
        """Why some tools are unavailable; [] when every MCP server answered its last listing."""
        return [
            f"mcp tool {server.entry!r}: {server.error}"
            for server in self.mcp_servers
            if server.error is not None
        ]


def _bind(on_retry: Callable[[str], None], name: str) -> Callable[[], None]:
    """`on_retry` with the tool's name bound."""
    return lambda: on_retry(name)
