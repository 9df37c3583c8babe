"""Server-sent events: a stream of JSON objects as `data:` lines, ended by `data: [DONE]`.

The encoding Mistral's and OpenAI's streaming APIs share. The objects are written as they
come (no buffering by a proxy: `X-Accel-Buffering: no`); the source is closed however the
stream ends, a client leaving early included.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Any, Final

from starlette.responses import StreamingResponse

#: The last event of every stream, as both APIs send it.
DONE: Final = b"data: [DONE]\n\n"
#: Headers that keep a proxy from buffering or caching the stream.
STREAM_HEADERS: Final = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


async def encode(objects: AsyncGenerator[dict[str, Any]]) -> AsyncIterator[bytes]:
    """`data: {object}` lines, then `data: [DONE]`; `objects` is closed in every case."""
    async with aclosing(objects) as source:
        async for item in source:
            yield f"data: {json.dumps(item, ensure_ascii=False)}\n\n".encode()
    yield DONE


def event_stream(objects: AsyncGenerator[dict[str, Any]]) -> StreamingResponse:
    """The response that streams `objects` as server-sent events."""
    return StreamingResponse(
        encode(objects), media_type="text/event-stream", headers=dict(STREAM_HEADERS)
    )
