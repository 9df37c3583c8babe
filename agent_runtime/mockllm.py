"""A Mistral-compatible fake model server, for testing agents offline and deterministically.

`MockLLM` holds the state: a queue of scripted replies, a queue of injected faults, injected
latency, and a record of every request received. `create_app` serves it with Starlette:
`POST /v1/chat/completions` (JSON, or Mistral's SSE chunks with `stream: true`),
`GET /v1/models`, and a demo tool, `GET /demo/weather?city=...`.

With nothing scripted it still behaves like a tool-calling model, deterministically: if the
request offers tools and no tool result came after the last user message, it calls the first
tool with arguments built from the tool's schema (required strings take the last word of
the user's message, capitalised); otherwise it answers with text naming the tool results, or
echoing the user's last message. It honours `tool_choice` as Mistral's API does: `"none"`
never calls a tool, `"any"` and `"required"` always call one, and a named function is the
tool called. Tokens are counted as whitespace-separated words.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from agent_runtime.mock_agents import agent_routes
from agent_runtime.testing import running_app

#: The model name the fake lists and answers as, unless the request names one.
DEFAULT_MODEL = "mock-large"

FaultKind = Literal["status", "drop", "malformed", "delay"]


@dataclass(frozen=True)
class ScriptedReply:
    """One scripted answer: text, tool calls, or both.

    A tool call's arguments are a mapping (sent as JSON) or a string sent as it is, so a test
    can script what a model may send: `""` for a tool without arguments, or broken JSON.
    """

    content: str = ""
    tool_calls: tuple[tuple[str, dict[str, Any] | str], ...] = ()
    finish_reason: str | None = None

    def message(self, call_ids: Sequence[str]) -> dict[str, Any]:
        calls = [
            {
                "id": call_id,
                "type": "function",
                "function": {
                    "name": name,
                    "arguments": args if isinstance(args, str) else json.dumps(args),
                },
            }
            for call_id, (name, args) in zip(call_ids, self.tool_calls, strict=True)
        ]
        return {"role": "assistant", "content": self.content, "tool_calls": calls or None}


@dataclass(frozen=True)
class Fault:
    """One injected failure of the next request."""

    kind: FaultKind
    status: int = 500
    retry_after: float | str | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class RecordedRequest:
    """A request the fake received."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")

    @property
    def tool_names(self) -> list[str]:
        return [t["function"]["name"] for t in self.body.get("tools") or []]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages") or [])


@dataclass
class MockLLM:
    """The fake model's state; safe to script from a test thread while it serves."""

    latency_seconds: float = 0.0
    token_latency_seconds: float = 0.0
    url: str = ""
    requests: list[RecordedRequest] = field(default_factory=list)
    _script: deque[ScriptedReply] = field(default_factory=deque)
    _faults: deque[Fault] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: int = 0

    # Scripting -----------------------------------------------------------------------------
    def reply_text(self, content: str) -> None:
        """Answer the next unscripted request with this text."""
        self.reply(ScriptedReply(content=content))

    def reply_json(self, value: Any) -> None:
        """Answer with this value as JSON text (structured output)."""
        self.reply(ScriptedReply(content=json.dumps(value)))

    def reply_tool_call(self, name: str, arguments: Mapping[str, Any] | None = None) -> None:
        """Answer with one call of a tool."""
        self.reply(ScriptedReply(tool_calls=((name, dict(arguments or {})),)))

    def reply_tool_calls(self, *calls: tuple[str, Mapping[str, Any]]) -> None:
        """Answer with several tool calls at once (parallel tool calling)."""
        self.reply(ScriptedReply(tool_calls=tuple((n, dict(a)) for n, a in calls)))

    def reply(self, reply: ScriptedReply) -> None:
        with self._lock:
            self._script.append(reply)

    def load_script(self, path: str | Path) -> None:
        """Queue replies from a JSON file: a list of `{"content"}` / `{"tool_calls": [...]}`.

        Each tool call is `{"name": ..., "arguments": {...}}`; `{"json": value}` is a JSON reply.
        """
        for item in json.loads(Path(path).read_text(encoding="utf-8")):
            if "json" in item:
                self.reply_json(item["json"])
            else:
                calls = tuple(
                    (c["name"], c.get("arguments", {})) for c in item.get("tool_calls", [])
                )
                self.reply(ScriptedReply(content=item.get("content", ""), tool_calls=calls))

    # Faults --------------------------------------------------------------------------------
    def fail_next(
        self, *, status: int = 500, retry_after: float | str | None = None, times: int = 1
    ) -> None:
        """Answer the next `times` requests with an HTTP error (e.g. 429 with Retry-After)."""
        self._add_faults(Fault("status", status=status, retry_after=retry_after), times)

    def drop_next(self, *, times: int = 1) -> None:
        """Close the connection mid-response for the next `times` requests."""
        self._add_faults(Fault("drop"), times)

    def malform_next(self, *, times: int = 1) -> None:
        """Answer 200 with a body that is not a chat completion."""
        self._add_faults(Fault("malformed"), times)

    def delay_next(self, seconds: float, *, times: int = 1) -> None:
        """Wait `seconds` before answering the next `times` requests (beyond a timeout, say)."""
        self._add_faults(Fault("delay", seconds=seconds), times)

    def _add_faults(self, fault: Fault, times: int) -> None:
        with self._lock:
            self._faults.extend([fault] * times)

    def reset(self) -> None:
        """Forget the script, the faults and the recorded requests."""
        with self._lock:
            self._script.clear()
            self._faults.clear()
            self.requests.clear()

    # Serving -------------------------------------------------------------------------------
    def _record(self, request: RecordedRequest) -> tuple[Fault | None, ScriptedReply | None]:
        with self._lock:
            self.requests.append(request)
            fault = self._faults.popleft() if self._faults else None
            if fault is not None and fault.kind != "delay":
                return fault, None
            return fault, (self._script.popleft() if self._script else None)

    def _next_id(self, prefix: str) -> str:
        with self._lock:
            self._ids += 1
            return f"{prefix}{self._ids:06d}"

    @property
    def completions(self) -> list[RecordedRequest]:
        """The chat completion requests received, in order."""
        return [r for r in self.requests if r.path == "/v1/chat/completions"]


# The default policy ---------------------------------------------------------------------------
def _last_user_index(messages: Sequence[Mapping[str, Any]]) -> int:
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].get("role") == "user":
            return i
    return -1


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(c.get("text", "")) for c in content if isinstance(c, dict))
    return ""


def _subject(text: str) -> str:
    """The last word of the user's message, stripped of punctuation: 'in Paris?' -> 'Paris'."""
    words = [w.strip(".,;:!?\"'()") for w in text.split()]
    words = [w for w in words if w]
    return words[-1].capitalize() if words else "something"


def _example(schema: Mapping[str, Any], subject: str) -> Any:
    kind = schema.get("type")
    if schema.get("enum"):
        return schema["enum"][0]
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return _arguments_for(schema, subject)
    return subject


def _arguments_for(schema: Mapping[str, Any], subject: str) -> dict[str, Any]:
    properties: Mapping[str, Any] = schema.get("properties") or {}
    return {
        name: _example(properties.get(name, {}), subject) for name in schema.get("required") or []
    }


def default_reply(body: Mapping[str, Any]) -> ScriptedReply:
    """What the fake answers when nothing is scripted (see the module docstring)."""
    messages: list[dict[str, Any]] = list(body.get("messages") or [])
    last_user = _last_user_index(messages)
    user_text = _content_text(messages[last_user].get("content")) if last_user >= 0 else ""
    results = [m for m in messages[last_user + 1 :] if m.get("role") == "tool"]
    tools = body.get("tools") or []
    choice = body.get("tool_choice")
    forced = choice in ("any", "required") or isinstance(choice, Mapping)
    if tools and choice != "none" and (forced or not results):
        function = _chosen(tools, choice)
        args = _arguments_for(function.get("parameters") or {}, _subject(user_text))
        return ScriptedReply(tool_calls=((function["name"], args),))
    if results:
        said = "; ".join(
            f"{m.get('name', 'tool')}: {_content_text(m.get('content'))}" for m in results
        )
        return ScriptedReply(content=f"Tool results: {said}")
    return ScriptedReply(content=f"You said: {user_text}")


def _chosen(tools: Sequence[Mapping[str, Any]], choice: Any) -> Mapping[str, Any]:
    """The function a tool call names: the one `tool_choice` names, else the first tool."""
    if isinstance(choice, Mapping):
        name = (choice.get("function") or {}).get("name")
        for tool in tools:
            if tool["function"]["name"] == name:
                return dict(tool["function"])
    return dict(tools[0]["function"])


def _tokens(text: str) -> int:
    return len(text.split())


def _prompt_tokens(body: Mapping[str, Any]) -> int:
    return sum(_tokens(_content_text(m.get("content"))) for m in body.get("messages") or [])


# The app --------------------------------------------------------------------------------------
def create_app(mock: MockLLM) -> Starlette:
    """The ASGI app serving `mock`."""

    async def completions(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"message": "body is not JSON"}, status_code=400)
        recorded = RecordedRequest(request.url.path, dict(request.headers), body)
        fault, scripted = mock._record(recorded)
        if mock.latency_seconds:
            await asyncio.sleep(mock.latency_seconds)
        if fault is not None:
            failed = await _fault_response(fault)
            if failed is not None:
                return failed
        reply = scripted if scripted is not None else default_reply(body)
        model = str(body.get("model") or DEFAULT_MODEL)
        call_ids = [mock._next_id("call") for _ in reply.tool_calls]
        message = reply.message(call_ids)
        finish = reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")
        prompt = _prompt_tokens(body)
        completion = _tokens(reply.content) + sum(
            _tokens(a if isinstance(a, str) else json.dumps(a)) for _, a in reply.tool_calls
        )
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }
        completion_id = mock._next_id("cmpl-")
        if body.get("stream"):
            chunks = _chunks(mock, completion_id, model, message, finish, usage)
            return StreamingResponse(chunks, media_type="text/event-stream")
        return JSONResponse(
            {
                "id": completion_id,
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": usage,
            }
        )

    async def models(request: Request) -> Response:
        mock._record(RecordedRequest(request.url.path, dict(request.headers), {}))
        return JSONResponse(
            {
                "object": "list",
                "data": [{"id": DEFAULT_MODEL, "object": "model", "owned_by": "mock"}],
            }
        )

    async def weather(request: Request) -> Response:
        city = request.query_params.get("city", "Paris")
        mock._record(RecordedRequest(request.url.path, dict(request.headers), {"city": city}))
        digest = hashlib.sha256(city.lower().encode()).digest()
        conditions = ("sunny", "cloudy", "rainy", "windy", "snowy")
        return JSONResponse(
            {
                "city": city,
                "temperature_c": digest[0] % 35 - 5,
                "condition": conditions[digest[1] % len(conditions)],
            }
        )

    from agent_runtime.mock_conversations import routes as conversation_routes

    return Starlette(
        routes=[
            *conversation_routes(mock),
            Route("/v1/chat/completions", completions, methods=["POST"]),
            Route("/v1/models", models, methods=["GET"]),
            Route("/demo/weather", weather, methods=["GET"]),
            *agent_routes(mock),
        ]
    )


async def _fault_response(fault: Fault) -> Response | None:
    """The answer of an injected fault; None for a delay, after which the model answers."""
    if fault.kind == "delay":
        await asyncio.sleep(fault.seconds)
        return None
    if fault.kind == "status":
        headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
        return JSONResponse(
            {"object": "error", "message": f"injected HTTP {fault.status}"},
            status_code=fault.status,
            headers=headers,
        )
    if fault.kind == "drop":
        return _Dropped()
    return Response('{"id": "x", "choices": [ {', media_type="application/json")


class _Dropped(Response):
    """Promise a body, send part of it, and return: the server closes the connection."""

    def __init__(self) -> None:
        super().__init__()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"1000")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"id": ', "more_body": True})


async def _chunks(
    mock: MockLLM,
    completion_id: str,
    model: str,
    message: Mapping[str, Any],
    finish: str,
    usage: Mapping[str, int],
) -> AsyncIterator[str]:
    """Mistral's SSE: a role chunk, a chunk per word (or one tool-call chunk), usage last."""
    created = int(time.time())

    def chunk(delta: Mapping[str, Any], reason: str | None, with_usage: bool = False) -> str:
        data: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": dict(delta), "finish_reason": reason}],
        }
        if with_usage:
            data["usage"] = dict(usage)
        return f"data: {json.dumps(data)}\n\n"

    yield chunk({"role": "assistant", "content": ""}, None)
    words = str(message.get("content") or "").split(" ")
    for i, word in enumerate(w for w in words if w):
        if mock.token_latency_seconds:
            await asyncio.sleep(mock.token_latency_seconds)
        yield chunk({"content": word if i == 0 else " " + word}, None)
    calls = message.get("tool_calls")
    if calls:
        indexed = [dict(call, index=i) for i, call in enumerate(calls)]
        yield chunk({"tool_calls": indexed}, None)
    yield chunk({"content": ""}, finish, with_usage=True)
    yield "data: [DONE]\n\n"


# Running it -----------------------------------------------------------------------------------
async def serve(host: str, port: int, mock: MockLLM) -> None:
    """Serve `mock` until cancelled (the CLI's `agent-runtime mock-llm`)."""
    mock.url = f"http://{host}:{port}"
    config = uvicorn.Config(create_app(mock), host=host, port=port, log_level="warning")
    await uvicorn.Server(config).serve()


@contextlib.contextmanager
def running_mock_llm(
    mock: MockLLM | None = None, *, host: str = "127.0.0.1", port: int | None = None
) -> Iterator[MockLLM]:
    """Run a fake model in a background thread: `with running_mock_llm() as mock: mock.url`."""
    mock = mock if mock is not None else MockLLM()
    with running_app(create_app(mock), host=host, port=port) as url:
        mock.url = url
        yield mock


__all__ = [
    "Fault",
    "MockLLM",
    "RecordedRequest",
    "ScriptedReply",
    "create_app",
    "default_reply",
    "running_mock_llm",
    "serve",
]
