"""Chat completions as a thin encoder of the loop's events: one JSON answer, or SSE chunks.

The engine runs a request as typed events (`agent_runtime.events`); this module turns them
into Mistral's (and OpenAI's) `chat.completion` body or `chat.completion.chunk` stream, and
records what the request did in its `RequestStats` on the way.

A stream opens at its first event a client would see (a tool starting, text, the answer, or
an error) or after `KEEPALIVE_SECONDS`, whichever comes first: a request refused before then
is still an HTTP error with its status; after it, the status line is sent and a failure ends
the stream with an error chunk. Tool calls are not part of this API's chunks, so each tool's
start and end is an SSE comment line (`: tool.started {...}`, `: tool.finished {...}`) that
the SDKs skip and a raw reader sees; a keep-alive comment follows every quiet interval.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from agent_runtime.engine import EventStream
from agent_runtime.errors import loop_error_status
from agent_runtime.events import (
    Event,
    Failed,
    Final,
    TextDelta,
    ToolFinished,
    ToolStarted,
    UsageReported,
)
from agent_runtime.model import Usage
from agent_runtime.protocol import (
    AssistantMessage,
    ChatCompletionChunk,
    ChatCompletionResponse,
    Choice,
    ChunkChoice,
    ChunkDelta,
    StreamError,
    UsageInfo,
)
from agent_runtime.sse import KEEPALIVE, KEEPALIVE_SECONDS, Comment, ticking
from agent_runtime.stats import RequestStats

#: An event of the request, or None for a quiet interval (`sse.ticking`).
Tick: TypeAlias = Event | None


@dataclass
class Opening:
    """What a stream saw before it opened, and the ticking events it goes on with."""

    seen: list[Tick]
    ticks: AsyncGenerator[Tick]


def progress(event: ToolStarted | ToolFinished) -> Comment:
    """The comment line that tells a raw reader a tool started or finished."""
    if isinstance(event, ToolStarted):
        return Comment("tool.started " + json.dumps({"call_id": event.call_id, "name": event.name}))
    body = {"call_id": event.call_id, "name": event.name, "outcome": event.outcome}
    return Comment("tool.finished " + json.dumps(body))


def usage_info(usage: Usage) -> UsageInfo:
    return UsageInfo(
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens,
    )


@dataclass
class ChatEncoder:
    """Encodes one request's events as a chat completion, recording its stats."""

    model: str
    stats: RequestStats
    log_content: bool = False
    #: Seconds of silence before a keep-alive, and the longest wait before a stream opens.
    keepalive_seconds: float = KEEPALIVE_SECONDS
    id: str = field(default_factory=lambda: f"chatcmpl-{uuid.uuid4().hex}")
    created: int = field(default_factory=lambda: int(time.time()))
    _answer: list[str] = field(default_factory=list)

    def _record(self, event: Event) -> None:
        if isinstance(event, UsageReported):
            self.stats.record_usage(event.total)
        elif isinstance(event, TextDelta) and self.log_content:
            self._answer.append(event.text)
        elif isinstance(event, Final):
            self.stats.record_usage(event.usage)
            self.stats.finish_reason = event.finish_reason
        elif isinstance(event, Failed):
            self.stats.error_code = event.error.code

    def _finish(self, events: EventStream, answer: str | None = None) -> None:
        self.stats.model_calls = events.model_calls
        self.stats.tool_calls = events.tool_calls
        if self.log_content:
            self.stats.content["answer"] = answer if answer is not None else "".join(self._answer)

    # Plain ------------------------------------------------------------------------------------
    async def answer(self, events: EventStream) -> ChatCompletionResponse:
        """The whole answer; raises the `LoopError` the request failed with."""
        final: Final | None = None
        try:
            async for event in events:
                self._record(event)
                if isinstance(event, Failed):
                    raise event.error
                if isinstance(event, Final):
                    final = event
                    break
        finally:
            await events.aclose()
            self._finish(events, final.content if final is not None else None)
        if final is None:
            raise RuntimeError("the engine's events ended without an answer")
        return ChatCompletionResponse(
            id=self.id,
            created=self.created,
            model=self.model,
            choices=[
                Choice(
                    message=AssistantMessage(content=final.content),
                    finish_reason=final.finish_reason,
                )
            ],
            usage=usage_info(final.usage),
        )

    # Streamed ---------------------------------------------------------------------------------
    async def opening(self, events: EventStream) -> Opening:
        """The events up to the first a client would see, or a quiet interval; raises if
        that one is an error."""
        ticks = ticking(events, self.keepalive_seconds)
        seen: list[Tick] = []
        try:
            async for event in ticks:
                seen.append(event)
                if isinstance(event, Failed):
                    self._record(event)
                    raise event.error
                if not isinstance(event, UsageReported):
                    break
        except BaseException:
            await ticks.aclose()
            await events.aclose()
            self._finish(events)
            raise
        return Opening(seen, ticks)

    async def chunks(
        self, opening: Opening, events: EventStream
    ) -> AsyncGenerator[dict[str, Any] | Comment]:
        """The `chat.completion.chunk` objects and comments of the stream, `opening` first."""
        started = False
        try:
            async with aclosing(self._all(opening)) as ticks:
                async for event in ticks:
                    if event is None:
                        yield KEEPALIVE
                        continue
                    self._record(event)
                    if isinstance(event, ToolStarted | ToolFinished):
                        yield progress(event)
                        continue
                    if not started and isinstance(event, TextDelta | Final):
                        started = True
                        yield self._chunk(ChunkDelta(role="assistant", content=""))
                    if isinstance(event, TextDelta):
                        yield self._chunk(ChunkDelta(content=event.text))
                    elif isinstance(event, Final):
                        yield self._chunk(
                            ChunkDelta(), event.finish_reason, usage=usage_info(event.usage)
                        )
                    elif isinstance(event, Failed):
                        yield self._error_chunk(event)
        finally:
            await opening.ticks.aclose()
            await events.aclose()
            self._finish(events)

    @staticmethod
    async def _all(opening: Opening) -> AsyncGenerator[Tick]:
        for event in opening.seen:
            yield event
        async for event in opening.ticks:
            yield event

    def _error_chunk(self, failed: Failed) -> dict[str, Any]:
        error = failed.error
        status = loop_error_status(error)
        return self._chunk(
            ChunkDelta(),
            "error",
            error=StreamError(code=error.code, message=error.message, status_code=status),
        )

    def _chunk(
        self,
        delta: ChunkDelta,
        finish_reason: str | None = None,
        *,
        usage: UsageInfo | None = None,
        error: StreamError | None = None,
    ) -> dict[str, Any]:
        return ChatCompletionChunk(
            id=self.id,
            created=self.created,
            model=self.model,
            choices=[ChunkChoice(delta=delta, finish_reason=finish_reason)],
            usage=usage,
            error=error,
        ).wire()
