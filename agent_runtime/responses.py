"""OpenAI's Responses API (`POST /v1/responses`) as a thin encoder of the loop's events.

The `openai` SDK's `client.responses.create(...)` works unchanged against an agent, streamed
or not. A request's `input` (a string, or input items: messages, and the `function_call` and
`function_call_output` items a client replays) and its `instructions` become the
conversation; the agent runs its whole tool loop, as for chat completions, with the same
limits, auth, metrics and traces.

The answer's `output` lists what the agent did, in the spec's item types: each tool call it
ran as a `function_call` item followed by its `function_call_output` item (both `completed`:
the agent ran them; a client has nothing to run), then the final `message`. Streamed, the
same items come as the spec's events (`response.created`, `response.output_item.added`,
`response.output_text.delta`, ..., `response.completed`), each an SSE `event:` line and its
`data:`.

The runtime is stateless here: `previous_response_id` is refused with a 400 that says so,
and the answer is never stored (`store` is accepted and ignored).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool
from starlette.responses import StreamingResponse

from agent_runtime.engine import EventStream
from agent_runtime.errors import ModelNotFound, error_response
from agent_runtime.events import (
    Event,
    Failed,
    Final,
    LoopError,
    TextDelta,
    ToolFinished,
    ToolStarted,
    UsageReported,
)
from agent_runtime.loop import RequestOptions
from agent_runtime.middleware import RESPONSES_PATH
from agent_runtime.model import Usage
from agent_runtime.routes import ERROR_RESPONSES, require_token, state_of
from agent_runtime.sse import STREAM_HEADERS
from agent_runtime.stats import RequestStats, stats_of


class PreviousResponseUnsupported(Exception):
    """A request continued an earlier response, which a stateless agent does not keep."""

    def __str__(self) -> str:
        return (
            "previous_response_id needs stored conversations, which this agent does not keep; "
            "send the whole conversation as input items instead"
        )


# Requests --------------------------------------------------------------------------------------
class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextPart(_Item):
    """A text part of a message's content: `input_text` (or an earlier answer's `output_text`)."""

    type: Literal["input_text", "output_text"]
    text: str
    # What an earlier answer's `output_text` part carries back; ignored.
    annotations: list[Any] | None = None
    logprobs: list[Any] | None = None


class MessageItem(_Item):
    """A message of the conversation: text content, or text parts."""

    type: Literal["message"] = "message"
    role: Literal["user", "assistant", "system", "developer"]
    content: str | list[TextPart]
    id: str | None = None
    status: str | None = None
    phase: str | None = None

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        return "".join(part.text for part in self.content)


class FunctionCallItem(_Item):
    """A tool call of an earlier answer, replayed by the client."""

    type: Literal["function_call"]
    call_id: str
    name: str
    arguments: str
    id: str | None = None
    status: str | None = None


class FunctionCallOutputItem(_Item):
    """The output of a tool call of an earlier answer, replayed by the client."""

    type: Literal["function_call_output"]
    call_id: str
    output: str
    id: str | None = None
    status: str | None = None


InputItem = MessageItem | FunctionCallItem | FunctionCallOutputItem


class ResponseRequest(BaseModel):
    """`POST /v1/responses`: what the runtime uses, what it ignores, and nothing else.

    `tools` is accepted only empty (the Agent resource configures the tools); the sampling
    fields override the agent's; `metadata`, `user`, `store`, `parallel_tool_calls`,
    `truncation`, `include`, `safety_identifier`, `prompt_cache_key`, `service_tier` and
    `stream_options` cannot change the answer and are ignored; any other field is a 422.
    """

    model_config = ConfigDict(extra="forbid")

    model: str | None = Field(
        default=None, description="Optional; when given it must be the agent's name."
    )
    input: str | list[InputItem] = Field(min_length=1)
    instructions: str | None = None
    previous_response_id: str | None = None
    stream: StrictBool = False
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    max_output_tokens: int | None = Field(default=None, ge=1)
    tools: list[dict[str, Any]] | None = Field(
        default=None, max_length=0, description="Refused unless empty: tools are configured."
    )
    tool_choice: Literal["auto", "none", "required"] | None = None
    # Accepted and ignored: these cannot change the answer.
    metadata: dict[str, Any] | None = None
    user: str | None = None
    store: bool | None = None
    parallel_tool_calls: bool | None = None
    truncation: str | None = None
    include: list[str] | None = None
    safety_identifier: str | None = None
    prompt_cache_key: str | None = None
    service_tier: str | None = None
    stream_options: dict[str, Any] | None = None

    def engine_messages(self) -> list[dict[str, Any]]:
        """The conversation as the engine takes it: the instructions, then the input."""
        messages: list[dict[str, Any]] = []
        if self.instructions:
            messages.append({"role": "system", "content": self.instructions})
        if isinstance(self.input, str):
            return [*messages, {"role": "user", "content": self.input}]
        names = {i.call_id: i.name for i in self.input if isinstance(i, FunctionCallItem)}
        for item in self.input:
            if isinstance(item, MessageItem):
                role = "system" if item.role == "developer" else item.role
                messages.append({"role": role, "content": item.text()})
            elif isinstance(item, FunctionCallItem):
                messages.append(_with_tool_call(messages, item))
            else:
                messages.append(
                    {
                        "role": "tool",
                        "tool_call_id": item.call_id,
                        "name": names.get(item.call_id, ""),
                        "content": item.output,
                    }
                )
        return messages

    def options(self) -> RequestOptions:
        choice = "any" if self.tool_choice == "required" else self.tool_choice
        return RequestOptions(
            temperature=self.temperature,
            top_p=self.top_p,
            max_tokens=self.max_output_tokens,
            tool_choice=choice,
        )


def _with_tool_call(messages: list[dict[str, Any]], item: FunctionCallItem) -> dict[str, Any]:
    """The assistant message carrying `item`: calls of one answer join one message."""
    call = {
        "id": item.call_id,
        "type": "function",
        "function": {"name": item.name, "arguments": item.arguments},
    }
    last = messages[-1] if messages else None
    if last is not None and last["role"] == "assistant" and last.get("tool_calls"):
        messages.pop()
        return {**last, "tool_calls": [*last["tool_calls"], call]}
    return {"role": "assistant", "content": "", "tool_calls": [call]}


# Answers ---------------------------------------------------------------------------------------
def _usage(usage: Usage) -> dict[str, Any]:
    return {
        "input_tokens": usage.prompt_tokens,
        "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
        "output_tokens": usage.completion_tokens,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": usage.total_tokens,
    }


def _message(item_id: str, text: str, status: str) -> dict[str, Any]:
    content = [{"type": "output_text", "text": text, "annotations": []}] if text else []
    return {
        "type": "message",
        "id": item_id,
        "role": "assistant",
        "status": status,
        "content": content,
    }


def _new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


@dataclass
class ResponsesEncoder:
    """Encodes one request's events as a Responses API answer, recording its stats."""

    model: str
    request: ResponseRequest
    stats: RequestStats
    id: str = field(default_factory=lambda: _new_id("resp"))
    created_at: int = field(default_factory=lambda: int(time.time()))
    output: list[dict[str, Any]] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)

    def response(
        self, status: str, *, error: dict[str, Any] | None = None, usage: bool = False
    ) -> dict[str, Any]:
        """The `response` object as it stands, in the shape of the SDK's `Response`."""
        return {
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "status": status,
            "model": self.model,
            "instructions": self.request.instructions,
            "output": list(self.output),
            "parallel_tool_calls": True,
            "tool_choice": self.request.tool_choice or "auto",
            "tools": [],
            "temperature": self.request.temperature,
            "top_p": self.request.top_p,
            "max_output_tokens": self.request.max_output_tokens,
            "previous_response_id": None,
            "metadata": self.request.metadata or {},
            "store": False,
            "text": {"format": {"type": "text"}},
            "error": error,
            "incomplete_details": None,
            "usage": _usage(self.usage) if usage else None,
        }

    def _record(self, event: Event) -> None:
        if isinstance(event, UsageReported):
            self.usage = event.total
            self.stats.record_usage(event.total)
        elif isinstance(event, Final):
            self.usage = event.usage
            self.stats.record_usage(event.usage)
            self.stats.finish_reason = event.finish_reason
        elif isinstance(event, Failed):
            self.stats.error_code = event.error.code

    def _finish(self, events: EventStream) -> None:
        self.stats.model_calls = events.model_calls
        self.stats.tool_calls = events.tool_calls

    def _tool_item(self, event: ToolStarted | ToolFinished) -> dict[str, Any]:
        if isinstance(event, ToolStarted):
            return {
                "type": "function_call",
                "id": _new_id("fc"),
                "call_id": event.call_id,
                "name": event.name,
                "arguments": event.arguments,
                "status": "completed",
            }
        return {
            "type": "function_call_output",
            "id": _new_id("fco"),
            "call_id": event.call_id,
            "output": event.content,
            "status": "completed",
        }

    # Plain ------------------------------------------------------------------------------------
    async def answer(self, events: EventStream) -> dict[str, Any]:
        """The completed response; raises the `LoopError` the request failed with."""
        try:
            async for event in events:
                self._record(event)
                if isinstance(event, Failed):
                    raise event.error
                if isinstance(event, ToolStarted | ToolFinished):
                    self.output.append(self._tool_item(event))
                elif isinstance(event, Final):
                    self.output.append(_message(_new_id("msg"), event.content, "completed"))
                    return self.response("completed", usage=True)
        finally:
            await events.aclose()
            self._finish(events)
        raise RuntimeError("the engine's events ended without an answer")

    # Streamed ---------------------------------------------------------------------------------
    async def opening(self, events: EventStream) -> Event:
        """The first event; raises if it is an error, so a refused request keeps its status."""
        try:
            first = await anext(events)
            if isinstance(first, Failed):
                self._record(first)
                raise first.error
        except BaseException:
            await events.aclose()
            self._finish(events)
            raise
        return first

    async def stream(
        self, first: Event, events: EventStream
    ) -> AsyncGenerator[tuple[str, dict[str, Any]]]:
        """The spec's stream events, as `(type, data)` pairs, ending with completed or failed."""
        sequence = 0

        def emit(kind: str, **data: Any) -> tuple[str, dict[str, Any]]:
            nonlocal sequence
            sequence += 1
            return kind, {"type": kind, "sequence_number": sequence - 1, **data}

        text = _TextItem()
        yield emit("response.created", response=self.response("in_progress"))
        yield emit("response.in_progress", response=self.response("in_progress"))
        try:
            async for event in _chain(first, events):
                self._record(event)
                if isinstance(event, TextDelta):
                    if text.id is None:
                        text.open(len(self.output))
                        yield emit(
                            "response.output_item.added",
                            output_index=text.index,
                            item=_message(text.id or "", "", "in_progress"),
                        )
                        yield emit(
                            "response.content_part.added", **text.where(), part=text.part("")
                        )
                    text.parts.append(event.text)
                    yield emit(
                        "response.output_text.delta", **text.where(), delta=event.text, logprobs=[]
                    )
                elif isinstance(event, ToolStarted | ToolFinished):
                    for kind, data in self._tool_events(event, text):
                        yield emit(kind, **data)
                elif isinstance(event, Final):
                    for kind, data in self._closing_events(text, event.content):
                        yield emit(kind, **data)
                    yield emit(
                        "response.completed", response=self.response("completed", usage=True)
                    )
                elif isinstance(event, Failed):
                    yield emit("response.failed", response=self._failed(event.error))
        finally:
            await events.aclose()
            self._finish(events)

    def _tool_events(
        self, event: ToolStarted | ToolFinished, text: _TextItem
    ) -> list[tuple[str, dict[str, Any]]]:
        """A tool call's item, added and done; text said before it is closed first."""
        out = self._closing_events(text, None) if text.id is not None else []
        item = self._tool_item(event)
        index = len(self.output)
        self.output.append(item)
        out.append(("response.output_item.added", {"output_index": index, "item": item}))
        if isinstance(event, ToolStarted):
            out.append(
                (
                    "response.function_call_arguments.done",
                    {"item_id": item["id"], "output_index": index, "arguments": event.arguments},
                )
            )
        out.append(("response.output_item.done", {"output_index": index, "item": item}))
        return out

    def _closing_events(
        self, text: _TextItem, final: str | None
    ) -> list[tuple[str, dict[str, Any]]]:
        """Close the open text item (or add the final one whole, if none was streamed)."""
        out: list[tuple[str, dict[str, Any]]] = []
        if text.id is None:
            if not final:
                return out
            text.open(len(self.output))
            text.parts.append(final)
            out.append(
                (
                    "response.output_item.added",
                    {
                        "output_index": text.index,
                        "item": _message(text.id or "", "", "in_progress"),
                    },
                )
            )
            out.append(("response.content_part.added", {**text.where(), "part": text.part("")}))
            out.append(
                ("response.output_text.delta", {**text.where(), "delta": final, "logprobs": []})
            )
        whole = "".join(text.parts)
        item = _message(text.id or "", whole, "completed")
        out.append(("response.output_text.done", {**text.where(), "text": whole, "logprobs": []}))
        out.append(("response.content_part.done", {**text.where(), "part": text.part(whole)}))
        out.append(("response.output_item.done", {"output_index": text.index, "item": item}))
        self.output.append(item)
        text.reset()
        return out

    def _failed(self, error: LoopError) -> dict[str, Any]:
        # The SDK's `ResponseError.code` names OpenAI's own causes; the loop's code leads the
        # message, so a client can still tell why.
        reason = {"code": "server_error", "message": f"{error.code}: {error.message}"}
        return self.response("failed", error=reason, usage=True)


@dataclass
class _TextItem:
    """The assistant message being streamed: its id, place in `output`, and text so far."""

    id: str | None = None
    index: int = 0
    parts: list[str] = field(default_factory=list)

    def open(self, index: int) -> None:
        self.id, self.index, self.parts = _new_id("msg"), index, []

    def reset(self) -> None:
        self.id, self.parts = None, []

    def where(self) -> dict[str, Any]:
        return {"item_id": self.id, "output_index": self.index, "content_index": 0}

    @staticmethod
    def part(text: str) -> dict[str, Any]:
        return {"type": "output_text", "text": text, "annotations": []}


async def _chain(first: Event, events: EventStream) -> AsyncGenerator[Event]:
    yield first
    async for event in events:
        yield event


async def encode_named(
    events: AsyncGenerator[tuple[str, dict[str, Any]]],
) -> AsyncIterator[bytes]:
    """`event: type` and `data: {object}` per event, as the Responses API streams them."""
    try:
        async for kind, data in events:
            yield f"event: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()
    finally:
        await events.aclose()


# The route -------------------------------------------------------------------------------------
router = APIRouter()


@router.post(
    RESPONSES_PATH,
    responses={
        200: {"content": {"text/event-stream": {"description": "Events, when stream is true."}}},
        **ERROR_RESPONSES,
    },
    dependencies=[Depends(require_token)],
    summary="Run the agent on the input items and answer its output items.",
)
async def create_response(body: ResponseRequest, request: Request) -> Response:
    state = state_of(request)
    if body.model is not None and body.model != state.agent_name:
        raise ModelNotFound(body.model, state.agent_name)
    if body.previous_response_id is not None:
        raise PreviousResponseUnsupported()
    stats = stats_of(request.scope)
    stats.stream = body.stream
    encoder = ResponsesEncoder(state.agent_name, body, stats)
    events = state.engine.run(body.engine_messages(), body.options(), stream=body.stream)
    if body.stream:
        first = await encoder.opening(events)
        return StreamingResponse(
            encode_named(encoder.stream(first, events)),
            media_type="text/event-stream",
            headers=dict(STREAM_HEADERS),
        )
    return JSONResponse(await encoder.answer(events))


async def on_previous_response(request: Request, exc: Exception) -> Response:
    return error_response(
        400, str(exc), code="previous_response_unsupported", param="previous_response_id"
    )


def install(app: FastAPI) -> None:
    """Serve the Responses API on `app`, with its own error answer."""
    app.include_router(router)
    app.add_exception_handler(PreviousResponseUnsupported, on_previous_response)
