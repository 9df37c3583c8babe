"""Server-sent events: JSON objects as `data:` lines, ended by `data: [DONE]`; comments too.

The encoding Mistral's and OpenAI's streaming APIs share. The objects are written as they
come (no buffering by a proxy: `X-Accel-Buffering: no`); the source is closed however the
stream ends, a client leaving early included.

A `Comment` is an SSE comment line (`: text`): the SSE standard has every client skip it, and
the `openai` and `mistralai` SDKs do, while a raw reader sees it. The runtime sends its
progress (a tool started or finished) and its keep-alives this way, so a plain client reads
the stream it always did. A named `event:` would not do: both SDKs parse its data as a chunk.
`ticking` turns a slow source into one that also says "nothing yet" every interval, which an
encoder sends as a keep-alive so that a proxy does not cut an idle connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from starlette.responses import StreamingResponse

T = TypeVar("T")

#: The last event of every stream, as both APIs send it.
DONE: Final = b"data: [DONE]\n\n"
#: Headers that keep a proxy from buffering or caching the stream.
STREAM_HEADERS: Final = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
#: Seconds of silence after which a stream sends a keep-alive: well under the idle timeouts
#: of common proxies and load balancers (60 s for nginx and most cloud ones, 30 s for some).
KEEPALIVE_SECONDS: Final = 15.0


@dataclass(frozen=True)
class Comment:
    """An SSE comment line: skipped by every client, seen by a raw reader; one line only."""

    text: str

    def encode(self) -> bytes:
        return f": {' '.join(self.text.splitlines())}\n\n".encode()


#: The comment sent when nothing else was for `KEEPALIVE_SECONDS`.
KEEPALIVE: Final = Comment("keep-alive")


async def encode(items: AsyncGenerator[dict[str, Any] | Comment]) -> AsyncIterator[bytes]:
    """`data: {object}` lines and comments, then `data: [DONE]`; `items` is closed in any case."""
    async with aclosing(items) as source:
        async for item in source:
            if isinstance(item, Comment):
                yield item.encode()
            else:
                yield f"data: {json.dumps(item, ensure_ascii=False)}\n\n".encode()
    yield DONE


def event_stream(items: AsyncGenerator[dict[str, Any] | Comment]) -> StreamingResponse:
    """The response that streams `items` as server-sent events."""
    return StreamingResponse(
        encode(items), media_type="text/event-stream", headers=dict(STREAM_HEADERS)
    )


async def _next(source: AsyncIterator[T]) -> tuple[bool, T | None]:
    try:
        return True, await anext(source)
    except StopAsyncIteration:
        return False, None


async def ticking(source: AsyncIterator[T], interval: float) -> AsyncGenerator[T | None]:
    """The items of `source`, and None each time `interval` seconds pass without one.

    The wait for the next item is never interrupted by a tick; closing this generator cancels
    it. `source` itself is the caller's to close.
    """
    pending: asyncio.Task[tuple[bool, T | None]] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(_next(source))
            done, _ = await asyncio.wait({pending}, timeout=interval)
            if not done:
                yield None
                continue
            more, item = pending.result()
            pending = None
            if not more:
                return
            yield item
    finally:
        if pending is not None and not pending.done():
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pending
