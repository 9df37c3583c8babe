"""The fake model's Conversations API: `POST /v1/conversations` and `/v1/conversations/{id}`.

It answers like Mistral's `beta.conversations` `start` and `append`, as JSON or as its
server-sent events (`stream: true`), so the SDK parses every answer with its own models.
A conversation is kept in memory as the chat-shaped messages the fake's chat policy
(`default_reply`, or the scripted replies and faults of `MockLLM`) already understands.

Built-in tools are scripted deterministically: when the request offers one and it has not
run since the last user message, the answer opens with its `tool.execution` entry, and the
final `message.output` carries what that built-in returns: a `tool_reference` chunk (web
search, document library) or a `tool_file` chunk (code interpreter, image generation).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

if TYPE_CHECKING:
    from agent_runtime.mockllm import MockLLM

__all__ = ["builtin_chunks", "routes"]

#: The built-in tools the fake can run, and the file each file-making one produces.
_FILES = {"code_interpreter": ("plot.png", "png"), "image_generation": ("image_0.png", "png")}


def builtin_chunks(builtin: str, subject: str, file_id: str) -> list[dict[str, Any]]:
    """The output chunks a built-in adds to the answer (a reference or a file)."""
    if builtin in _FILES:
        name, kind = _FILES[builtin]
        return [
            {"type": "text", "text": f"Here is the {builtin} result for {subject}."},
            {
                "type": "tool_file",
                "tool": builtin,
                "file_id": file_id,
                "file_name": name,
                "file_type": kind,
            },
        ]
    title = f"{subject} - library document" if builtin == "document_library" else subject
    return [
        {"type": "text", "text": f"{subject} is what the {builtin} found."},
        {
            "type": "tool_reference",
            "tool": builtin,
            "title": title,
            "url": f"https://example.com/{subject.lower()}",
            "description": f"About {subject}",
        },
    ]


def _messages(
    entries: Sequence[Mapping[str, Any]], earlier: Sequence[Mapping[str, Any]] = ()
) -> list[dict[str, Any]]:
    """Input entries as chat-shaped messages for the fake's chat policy."""
    messages: list[dict[str, Any]] = []
    for entry in entries:
        kind = entry.get("type", "message.input")
        if kind == "function.result":
            call = str(entry.get("tool_call_id"))
            name = next(
                (
                    c["function"]["name"]
                    for m in [*earlier, *messages]
                    for c in m.get("tool_calls") or []
                    if c["id"] == call
                ),
                "tool",
            )
            messages.append(
                {"role": "tool", "tool_call_id": call, "name": name, "content": entry["result"]}
            )
        elif kind == "function.call":
            function = {"name": entry["name"], "arguments": entry["arguments"]}
            called = {"id": entry["tool_call_id"], "type": "function", "function": function}
            messages.append({"role": "assistant", "content": "", "tool_calls": [called]})
        elif kind in ("message.input", "message.output"):
            messages.append({"role": entry.get("role", "user"), "content": entry["content"]})
    return messages


class _Conversations:
    """The conversations the fake holds: their messages and the tools they were started with."""

    def __init__(self, mock: MockLLM) -> None:
        self.mock = mock
        self.held: dict[str, dict[str, Any]] = {}

    async def start(self, request: Request) -> Response:
        return await self._answer(request, None)

    async def append(self, request: Request) -> Response:
        conversation = request.path_params["conversation_id"]
        if conversation not in self.held:
            return JSONResponse({"message": f"no conversation {conversation}"}, status_code=404)
        return await self._answer(request, conversation)

    async def _answer(self, request: Request, conversation: str | None) -> Response:
        from agent_runtime.mockllm import RecordedRequest, _fault_response

        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"message": "body is not JSON"}, status_code=400)
        if not isinstance(body, dict) or ("inputs" not in body and conversation is None):
            return JSONResponse({"message": "inputs is required"}, status_code=422)
        fault, scripted = self.mock._record(
            RecordedRequest(request.url.path, dict(request.headers), body)
        )
        if self.mock.latency_seconds:
            await asyncio.sleep(self.mock.latency_seconds)
        if fault is not None:
            failed = await _fault_response(fault)
            if failed is not None:
                return failed
        if conversation is None:
            conversation = self.mock._next_id("conv_")
            self.held[conversation] = {
                "messages": [{"role": "system", "content": body.get("instructions") or ""}],
                "tools": list(body.get("tools") or []),
                "model": body.get("model"),
                "builtins_ran": False,
            }
        state = self.held[conversation]
        inputs = body.get("inputs") or []
        if isinstance(inputs, str):
            inputs = [{"type": "message.input", "role": "user", "content": inputs}]
        new = _messages(inputs, state["messages"])
        if any(m["role"] == "user" for m in new):
            state["builtins_ran"] = False
        state["messages"].extend(new)
        outputs = self._outputs(state, scripted, body.get("completion_args") or {})
        words = sum(len(json.dumps(o).split()) for o in outputs)
        prompt = sum(len(str(m.get("content") or "").split()) for m in state["messages"])
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": words,
            "total_tokens": prompt + words,
        }
        if body.get("stream"):
            events = _events(self.mock, conversation, outputs, usage)
            return StreamingResponse(events, media_type="text/event-stream")
        return JSONResponse(
            {
                "object": "conversation.response",
                "conversation_id": conversation,
                "outputs": outputs,
                "usage": usage,
            }
        )

    def _outputs(
        self, state: dict[str, Any], scripted: Any, completion_args: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        from agent_runtime.mockllm import _content_text, _subject, default_reply

        messages: list[dict[str, Any]] = state["messages"]
        functions = [t for t in state["tools"] if t.get("type") == "function"]
        builtins = [t["type"] for t in state["tools"] if t.get("type") != "function"]
        user = [m for m in messages if m["role"] == "user"]
        subject = _subject(_content_text(user[-1]["content"])) if user else "something"
        outputs: list[dict[str, Any]] = []
        now = datetime.now(UTC).isoformat()
        if builtins and not state["builtins_ran"]:
            state["builtins_ran"] = True
            outputs.append(_execution(self.mock._next_id("tool_"), builtins[0], subject, now))
            # What the built-in found closes the answer, after any function calls in between.
            state["chunks"] = builtin_chunks(builtins[0], subject, self.mock._next_id("file_"))
        chat = {"messages": messages, "tools": functions, **completion_args}
        reply = scripted if scripted is not None else default_reply(chat)
        model = state["model"] or "mock-large"
        if reply.tool_calls:
            for name, args in reply.tool_calls:
                call = self.mock._next_id("call")
                arguments = args if isinstance(args, str) else json.dumps(args)
                outputs.append(_function_call(call, name, arguments, model, now))
                messages.append(
                    {
                        "role": "assistant",
                        "content": "",
                        "tool_calls": [
                            {"id": call, "function": {"name": name, "arguments": arguments}}
                        ],
                    }
                )
            return outputs
        chunks: list[dict[str, Any]] = state.pop("chunks", [])
        content: str | list[dict[str, Any]] = reply.content
        if chunks:
            content = [*chunks, {"type": "text", "text": " " + reply.content}]
        messages.append({"role": "assistant", "content": _content_text(content)})
        outputs.append(
            {
                "object": "entry",
                "type": "message.output",
                "id": self.mock._next_id("msg_"),
                "role": "assistant",
                "model": model,
                "created_at": now,
                "content": content,
            }
        )
        return outputs


def _execution(entry_id: str, builtin: str, subject: str, now: str) -> dict[str, Any]:
    return {
        "object": "entry",
        "type": "tool.execution",
        "id": entry_id,
        "name": builtin,
        "arguments": json.dumps({"query": subject}),
        "created_at": now,
        "info": {},
    }


def _function_call(call: str, name: str, arguments: str, model: str, now: str) -> dict[str, Any]:
    return {
        "object": "entry",
        "type": "function.call",
        "id": f"fc_{call}",
        "tool_call_id": call,
        "name": name,
        "arguments": arguments,
        "model": model,
        "created_at": now,
    }


async def _events(
    mock: MockLLM, conversation: str, outputs: list[dict[str, Any]], usage: Mapping[str, int]
) -> AsyncIterator[str]:
    """The Conversations API's server-sent events for these outputs."""

    def event(kind: str, **data: Any) -> str:
        data = {"type": kind, "created_at": datetime.now(UTC).isoformat(), **data}
        return f"event: {kind}\ndata: {json.dumps(data)}\n\n"

    yield event("conversation.response.started", conversation_id=conversation)
    for index, output in enumerate(outputs):
        if output["type"] == "tool.execution":
            common = {"id": output["id"], "name": output["name"], "output_index": index}
            yield event("tool.execution.started", arguments=output["arguments"], **common)
            yield event("tool.execution.done", info={}, **common)
        elif output["type"] == "function.call":
            yield event(
                "function.call.delta",
                id=output["id"],
                name=output["name"],
                tool_call_id=output["tool_call_id"],
                arguments=output["arguments"],
                output_index=index,
            )
        else:
            content = output["content"]
            pieces = content if isinstance(content, list) else [content]
            for part, piece in enumerate(p for p in pieces if p):
                if mock.token_latency_seconds:
                    await asyncio.sleep(mock.token_latency_seconds)
                yield event(
                    "message.output.delta",
                    id=output["id"],
                    content=piece,
                    output_index=index,
                    content_index=part,
                    role="assistant",
                )
    yield event("conversation.response.done", usage=dict(usage))


def routes(mock: MockLLM) -> list[Route]:
    """The Conversations API's routes, serving `mock`."""
    conversations = _Conversations(mock)
    return [
        Route("/v1/conversations", conversations.start, methods=["POST"]),
        Route("/v1/conversations/{conversation_id}", conversations.append, methods=["POST"]),
    ]
