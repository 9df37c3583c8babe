"""What the service needs of an engine: the contract between `app` and `loop.Agent`.

The service starts and closes the engine in its lifespan, asks it whether it is ready, and
runs each request as a stream of typed events (`agent_runtime.events`), whose model and tool
call counts it reads for the request's log line, even when the client left early. Tests
serve the app with other engines that keep this contract.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

from agent_runtime.config import RuntimeConfig
from agent_runtime.events import Event
from agent_runtime.loop import RequestOptions
from agent_runtime.telemetry import Metrics


class EventStream(Protocol):
    """One request's events, closable, with the calls it has made so far."""

    def __aiter__(self) -> AsyncIterator[Event]: ...
    async def __anext__(self) -> Event: ...
    async def aclose(self) -> None: ...
    @property
    def model_calls(self) -> int: ...
    @property
    def tool_calls(self) -> int: ...


class Engine(Protocol):
    """An agent the service serves (`agent_runtime.loop.Agent`)."""

    async def start(self) -> None: ...
    async def aclose(self) -> None: ...
    def readiness(self) -> list[str]: ...
    def run(
        self, messages: list[dict[str, Any]], options: RequestOptions, *, stream: bool
    ) -> EventStream: ...


#: Builds the engine in the lifespan from the config and the service's metrics.
EngineFactory = Callable[[RuntimeConfig, Metrics], Engine]
