"""The fake tool endpoint an evaluation run starts, and the config that points the agent at it.

Cases script their tools' answers (`toolResponses`) so an evaluation never depends on live
services. This run serves those answers itself, on 127.0.0.1, and the rendered runtime config
is rewritten before the runtime starts: every `http` tool POSTs its arguments, as JSON, to
`/tools/<name>`, and every `agent` tool calls `/agents/<name>/v1/chat/completions`. The
endpoint records each call with its arguments, which is how `toolCalled` checks see them.

Why a fake endpoint rather than a runtime mode: the runtime under test stays the runtime that
ships, untouched (its tool code, retries, schema checks and error handling all run), and it is
driven only through its config and its HTTP API. MCP tools are left as declared: they are
neither scripted nor observed here.
"""

from __future__ import annotations

import json
import threading
from collections import defaultdict, deque
from collections.abc import Iterable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agent_operator.evaluate.checks import ToolCall
from agent_operator.evaluation import ToolResponse
from agent_runtime import config as runtime

#: A faked tool is tried once: a scripted failure is an answer to pass on, not to retry.
_ONE_ATTEMPT = runtime.RetryPolicy(attempts=1)
#: The host of every server this run starts, which the agent's egress allow-list must admit.
LOOPBACK = "127.0.0.1"


class FakeTools:
    """The scripted answers of the current case and the calls received; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._script: dict[str, deque[ToolResponse]] = defaultdict(deque)
        self._calls: list[ToolCall] = []

    def start_case(self, responses: Iterable[ToolResponse]) -> None:
        """Forget the last case; answer with `responses` from now on."""
        with self._lock:
            self._script.clear()
            self._calls.clear()
            for response in responses:
                self._script[response.tool].append(response)

    @property
    def calls(self) -> list[ToolCall]:
        """The calls received since the case started, in order."""
        with self._lock:
            return list(self._calls)

    def answer(self, tool: str, arguments: dict[str, Any]) -> ToolResponse | None:
        """Record a call of `tool`; its next scripted answer (the last one repeats), or None."""
        with self._lock:
            self._calls.append(ToolCall(tool, arguments))
            queue = self._script.get(tool)
            if not queue:
                return None
            return queue.popleft() if len(queue) > 1 else queue[0]


def create_app(tools: FakeTools) -> Starlette:
    """The fake endpoint: `/tools/{name}` for http tools, `/agents/{name}/...` for agent tools."""

    async def http_tool(request: Request) -> Response:
        name = request.path_params["name"]
        arguments = await _json_object(request)
        scripted = tools.answer(name, arguments)
        if scripted is None:
            return _unscripted(name)
        return JSONResponse(scripted.body, status_code=scripted.status)

    async def agent_tool(request: Request) -> Response:
        name = request.path_params["name"]
        body = await _json_object(request)
        messages = body.get("messages") or [{}]
        scripted = tools.answer(name, {"message": messages[-1].get("content", "")})
        if scripted is None:
            return _unscripted(name)
        if scripted.status >= 400:
            return JSONResponse(scripted.body, status_code=scripted.status)
        text = scripted.body if isinstance(scripted.body, str) else json.dumps(scripted.body)
        message = {"role": "assistant", "content": text}
        return JSONResponse(
            {
                "id": f"chatcmpl-fake-{name}",
                "object": "chat.completion",
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            }
        )

    return Starlette(
        routes=[
            Route("/tools/{name}", http_tool, methods=["POST"]),
            Route("/agents/{name}/v1/chat/completions", agent_tool, methods=["POST"]),
        ]
    )


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _unscripted(tool: str) -> Response:
    message = f"the evaluation scripted no answer for tool {tool} in this case"
    return JSONResponse({"error": message}, status_code=501)


def hermetic_config(
    config: runtime.RuntimeConfig,
    *,
    fake_url: str,
    model: runtime.ModelConfig,
) -> runtime.RuntimeConfig:
    """`config` with its tools answered by the fake at `fake_url` and `model` as its model.

    The API's own auth and trace export are turned off: this run is the only client, and a
    local evaluation sends nothing to a collector.
    """
    tools = tuple(_faked(tool, fake_url) for tool in config.tools)
    allow = config.egress.allow_hosts
    egress = runtime.Egress(allow_hosts=(*allow, LOOPBACK) if allow else ())
    observability = config.observability.model_copy(update={"otlp_endpoint": None})
    return config.model_copy(
        update={
            "tools": tools,
            "model": model,
            "egress": egress,
            "auth": runtime.Auth(),
            "observability": observability,
        }
    )


def _faked(tool: runtime.ToolConfig, fake_url: str) -> runtime.ToolConfig:
    if tool.http is not None:
        http = runtime.HttpToolConfig(
            url=f"{fake_url}/tools/{tool.name}",
            method="POST",
            timeout_seconds=tool.http.timeout_seconds,
            retry=runtime.HttpRetryPolicy(attempts=1),
        )
        return tool.model_copy(update={"http": http})
    if tool.agent is not None:
        agent = tool.agent.model_copy(
            update={"url": f"{fake_url}/agents/{tool.name}", "bearer_token": None}
        )
        return tool.model_copy(update={"agent": agent.model_copy(update={"retry": _ONE_ATTEMPT})})
    return tool
