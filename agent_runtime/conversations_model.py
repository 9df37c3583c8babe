"""The model client over Mistral's Conversations API, for agents with built-in tools.

Mistral's built-in tools (`web_search`, `web_search_premium`, `code_interpreter`,
`image_generation`, `document_library`) run on Mistral's side and are offered only by the
Conversations API (`beta.conversations`). `ConversationsModelClient` speaks it with the same
interface as the chat-completions `ModelClient` (`complete` and `stream` over a chat-shaped
conversation), so the loop's one turn function drives either, and the agent's own function
tools keep every guarantee of the loop.

A request's first turn starts a conversation (`start`) with the model, the instructions, the
completion arguments and every tool; each later turn appends the function results to it
(`append`), found by the `conversation_id` the reply carries in its assistant message.

Each built-in that ran is counted in `agent_tool_calls_total{tool=<built-in>}` and noted as an
event on the model call's span. What a built-in returns is rendered into the answer's text, so
every API shape carries it: a reference (web search, document library) as a Markdown link
`[title](url)`, a file (code interpreter, image generation) as
`[name](mistral-file://<file id>)`, an image URL as `![image](url)`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry import trace

from agent_runtime import telemetry as otel
from agent_runtime.config import ModelConfig
from agent_runtime.egress import EgressPolicy
from agent_runtime.model import ModelClient, ModelError, ModelReply, StreamAccumulator, _usage
from agent_runtime.telemetry import Metrics

__all__ = ["ConversationsModelClient", "render_chunk"]

#: The chat-completions parameters that the Conversations API takes as completion arguments.
_COMPLETION_ARGS = ("temperature", "top_p", "max_tokens", "stop", "random_seed", "tool_choice")

#: The scheme of a file a built-in produced: fetched with the Files API (`files.download`).
FILE_SCHEME = "mistral-file://"


def render_chunk(chunk: Any) -> str:
    """One output chunk as text: text as it is, a reference or a file as a Markdown link."""
    if isinstance(chunk, str):
        return chunk
    kind = getattr(chunk, "type", None)
    if kind == "text":
        return str(chunk.text)
    if kind == "tool_reference":
        url = chunk.url if isinstance(chunk.url, str) else ""
        return f" [{chunk.title}]({url})" if url else f" [{chunk.title}]"
    if kind == "tool_file":
        name = chunk.file_name if isinstance(chunk.file_name, str) else chunk.file_id
        return f"\n[{name}]({FILE_SCHEME}{chunk.file_id})\n"
    if kind == "image_url":
        image = chunk.image_url
        url = image if isinstance(image, str) else getattr(image, "url", "")
        return f"\n![image]({url})\n"
    return ""


def _render(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(render_chunk(chunk) for chunk in content or [])


def _entries(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Chat-shaped messages as Conversations input entries (system messages excluded)."""
    entries: list[dict[str, Any]] = []
    for message in messages:
        role = message.get("role")
        if role == "tool":
            entries.append(
                {
                    "type": "function.result",
                    "tool_call_id": str(message.get("tool_call_id") or ""),
                    "result": str(message.get("content") or ""),
                }
            )
            continue
        if role not in ("user", "assistant"):
            continue
        text = _render(message.get("content")) if message.get("content") else ""
        if text or not message.get("tool_calls"):
            entries.append({"type": "message.input", "role": role, "content": text})
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            entries.append(
                {
                    "type": "function.call",
                    "tool_call_id": str(call.get("id") or ""),
                    "name": str(function.get("name") or ""),
                    "arguments": str(function.get("arguments") or "{}"),
                }
            )
    return entries


def _conversation_id(messages: Sequence[Mapping[str, Any]]) -> tuple[str | None, int]:
    """The conversation this request continues, and the index of its last known message."""
    for i in range(len(messages) - 1, -1, -1):
        conversation = messages[i].get("conversation_id")
        if isinstance(conversation, str) and conversation:
            return conversation, i
    return None, -1


def _function_call(entry: Any) -> dict[str, Any]:
    arguments = entry.arguments
    return {
        "id": entry.tool_call_id,
        "type": "function",
        "function": {
            "name": entry.name,
            "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments),
        },
    }


class ConversationsModelClient(ModelClient):
    """Turns over the Conversations API, with the built-ins and the function tools offered."""

    def __init__(
        self,
        config: ModelConfig,
        *,
        builtins: Sequence[Mapping[str, Any]],
        egress: EgressPolicy,
        metrics: Metrics,
        tracer: trace.Tracer,
        log_content: bool = False,
    ) -> None:
        super().__init__(
            config, egress=egress, metrics=metrics, tracer=tracer, log_content=log_content
        )
        self._builtins = [dict(b) for b in builtins]

    def _params(self, messages: list[dict[str, Any]], extra: Mapping[str, Any]) -> dict[str, Any]:
        """The arguments of `start` (a new conversation) or `append` (to the one continued)."""
        completion = {k: extra[k] for k in _COMPLETION_ARGS if extra.get(k) is not None}
        if isinstance(completion.get("tool_choice"), Mapping):
            # The Conversations API cannot force one named function: it forces a tool call.
            completion["tool_choice"] = "required"
        if extra.get("response_format") is not None:
            completion["response_format"] = extra["response_format"]
        conversation, last = _conversation_id(messages)
        if conversation is not None:
            return {
                "conversation_id": conversation,
                "inputs": _entries(messages[last + 1 :]),
                "completion_args": completion or None,
            }
        system = [str(m.get("content") or "") for m in messages if m.get("role") == "system"]
        request: dict[str, Any] = {
            "model": self.config.name,
            "inputs": _entries(messages),
            "tools": self._builtins + list(extra.get("tools") or []),
            "store": True,
        }
        if system:
            request["instructions"] = "\n\n".join(system)
        if completion:
            request["completion_args"] = completion
        return request

    async def _complete_once(self, params: dict[str, Any], span: trace.Span) -> ModelReply:
        """One turn of the conversation: `start` it, or `append` to it."""
        conversations = self._sdk.beta.conversations
        if "conversation_id" in params:
            response = await conversations.append_async(**params)
        else:
            response = await conversations.start_async(**params)
        return self._reply(response, span)

    async def _open_stream(self, params: dict[str, Any]) -> Any:
        conversations = self._sdk.beta.conversations
        if "conversation_id" in params:
            return await conversations.append_stream_async(**params)
        return await conversations.start_stream_async(**params)

    def _accumulator(self, params: dict[str, Any], span: trace.Span) -> StreamAccumulator:
        return _StreamedTurn(self, span, str(params.get("conversation_id") or ""))

    def _builtin_ran(self, span: trace.Span, name: Any) -> None:
        """Count and trace a built-in that ran on Mistral's side, like a tool of the runtime's."""
        tool = str(getattr(name, "value", name))
        self._metrics.tool_calls.labels(tool=tool, outcome="ok").inc()
        span.add_event("builtin_tool", {otel.TOOL_NAME: tool})

    def _reply(self, response: Any, span: trace.Span) -> ModelReply:
        text: list[str] = []
        calls: list[dict[str, Any]] = []
        for entry in response.outputs:
            kind = getattr(entry, "type", None)
            if kind == "message.output":
                text.append(_render(entry.content))
            elif kind == "function.call":
                calls.append(_function_call(entry))
            elif kind == "tool.execution":
                self._builtin_ran(span, entry.name)
        return self._message("".join(text), calls, response.conversation_id, response.usage)

    def _message(
        self, text: str, calls: list[dict[str, Any]], conversation: str, usage: Any
    ) -> ModelReply:
        message = {
            "role": "assistant",
            "content": text,
            "tool_calls": calls or None,
            "conversation_id": conversation,
        }
        finish = "tool_calls" if calls else "stop"
        return ModelReply(message, finish, _usage(usage), self.config.name, conversation)


class _StreamedTurn:
    """What a turn's stream said so far: its conversation, text, function calls and usage."""

    def __init__(self, client: ConversationsModelClient, span: trace.Span, id: str) -> None:
        self._client = client
        self._span = span
        self.id = id
        self.text: list[str] = []
        self.calls: dict[str, dict[str, Any]] = {}
        self.usage: Any = None

    def reply(self) -> ModelReply:
        calls = list(self.calls.values())
        return self._client._message("".join(self.text), calls, self.id, self.usage)

    def add(self, data: Any) -> str:
        """Take one event in; return the text it adds to the answer."""
        kind = getattr(data, "type", None)
        if kind == "conversation.response.started":
            self.id = data.conversation_id
        elif kind == "message.output.delta":
            delta = render_chunk(data.content)
            self.text.append(delta)
            return delta
        elif kind == "function.call.delta":
            _add_call_delta(self.calls, data)
        elif kind == "tool.execution.done":
            self._client._builtin_ran(self._span, data.name)
        elif kind == "conversation.response.done":
            self.usage = data.usage
        elif kind == "conversation.response.error":
            name = self._client.config.name
            raise ModelError("http", f"model {name} failed: {data.message}")
        return ""


def _add_call_delta(calls: dict[str, dict[str, Any]], data: Any) -> None:
    """Accumulate a function call's pieces by its call id."""
    slot = calls.setdefault(
        data.tool_call_id,
        {"id": data.tool_call_id, "type": "function", "function": {"name": "", "arguments": ""}},
    )
    if data.name and not slot["function"]["name"]:
        slot["function"]["name"] = data.name
    slot["function"]["arguments"] += data.arguments or ""
