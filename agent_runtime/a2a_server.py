"""A2A (the Agent2Agent protocol, v1.0) served through the official `a2a-sdk`.

Every agent is an A2A server. Its agent card, at `/.well-known/agent-card.json`, is built
from the Agent: its name, its instructions as description, one skill per tool, streaming,
the JSON-RPC URL (the one the card was asked on, so it is right behind any Service or
port-forward), and the bearer scheme when `spec.auth` is set. The SDK's request handler
answers the protocol's methods at `A2A_PATH`: `SendMessage`, `SendStreamingMessage`,
`GetTask`, `ListTasks`, `CancelTask`; a bad request gets a JSON-RPC error from the SDK, never
a 5xx.

`LoopExecutor` runs each message through the same loop as chat completions, with the same
limits, auth, metrics and traces: the task goes `working`, each tool call the agent makes is
a `working` status update naming the tool, the answer is the task's `answer` artifact, and
the task ends `completed`, or `failed` with the loop's error as its message.

Tasks live in this process (the SDK's in-memory task store): a `GetTask` reaches the replica
that ran the task only, and a restart forgets them; the answer itself is never lost, as it
is in the reply to `SendMessage`.
"""

from __future__ import annotations

import contextvars
import typing
from collections.abc import Awaitable, Callable

from a2a.helpers import new_task_from_user_message
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes
from a2a.server.tasks import InMemoryTaskStore, TaskUpdater
from a2a.types import (
    AgentCapabilities,
    AgentCard,
    AgentInterface,
    AgentSkill,
    HTTPAuthSecurityScheme,
    Part,
    SecurityRequirement,
    SecurityScheme,
    StringList,
    TaskState,
)
from a2a.utils.constants import PROTOCOL_VERSION_CURRENT, TransportProtocol
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agent_runtime.config import RuntimeConfig
from agent_runtime.engine import Engine
from agent_runtime.events import Failed, Final, ToolFinished, ToolStarted
from agent_runtime.loop import RequestOptions
from agent_runtime.middleware import A2A_PATH
from agent_runtime.routes import state_of

#: The name of the security scheme the card declares when the agent requires a token.
BEARER_SCHEME: typing.Final = "bearer"
#: The id of the artifact that carries the agent's answer.
ANSWER_ARTIFACT: typing.Final = "answer"

#: The base URL the card is being served for, set around the SDK's card route.
_base_url: contextvars.ContextVar[str] = contextvars.ContextVar("a2a_base_url", default="")


def agent_card(config: RuntimeConfig, base_url: str) -> AgentCard:
    """The agent's card, for clients that reach it at `base_url`."""
    agent = config.agent
    description = config.instructions or f"The agent {agent.namespace}/{agent.name}."
    # The card needs one skill at least: the agent's own answering, then one per tool.
    own = AgentSkill(id=agent.name, name=agent.name, description=description, tags=["agent"])
    skills = [own] + [
        AgentSkill(
            id=tool.name,
            name=tool.name,
            description=tool.description or f"The tool {tool.name}.",
            tags=["tool"],
        )
        for tool in config.tools
    ]
    card = AgentCard(
        name=agent.name,
        description=description,
        version="1",
        supported_interfaces=[
            AgentInterface(
                url=base_url.rstrip("/") + A2A_PATH,
                protocol_binding=TransportProtocol.JSONRPC.value,
                protocol_version=PROTOCOL_VERSION_CURRENT,
            )
        ],
        capabilities=AgentCapabilities(streaming=True, push_notifications=False),
        default_input_modes=["text/plain"],
        default_output_modes=["text/plain"],
        skills=skills,
    )
    if config.auth.bearer_token is not None:
        card.security_schemes[BEARER_SCHEME].CopyFrom(
            SecurityScheme(http_auth_security_scheme=HTTPAuthSecurityScheme(scheme="Bearer"))
        )
        card.security_requirements.append(
            SecurityRequirement(schemes={BEARER_SCHEME: StringList()})
        )
    return card


class LoopExecutor(AgentExecutor):
    """Runs an A2A message through the agent's loop and reports it as a task."""

    def __init__(self, engine: Callable[[], Engine]) -> None:
        self._engine = engine

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        task = context.current_task
        if task is None:
            assert context.message is not None  # the handler only executes messages
            task = new_task_from_user_message(context.message)
            await event_queue.enqueue_event(task)
        updater = TaskUpdater(event_queue, task.id, task.context_id)
        text = context.get_user_input()
        if not text.strip():
            refusal = Part(text="this agent reads text: the message has no text part")
            await updater.reject(updater.new_agent_message([refusal]))
            return
        await updater.start_work()
        messages = [{"role": "user", "content": text}]
        events = self._engine().run(messages, RequestOptions(), stream=False)
        try:
            async for event in events:
                if isinstance(event, ToolStarted | ToolFinished):
                    await updater.update_status(
                        TaskState.TASK_STATE_WORKING,
                        message=updater.new_agent_message([_tool_part(event)]),
                    )
                elif isinstance(event, Final):
                    await updater.add_artifact(
                        [Part(text=event.content)], artifact_id=ANSWER_ARTIFACT, name="answer"
                    )
                    await updater.complete()
                elif isinstance(event, Failed):
                    text = f"{event.error.code}: {event.error.message}"
                    await updater.failed(updater.new_agent_message([Part(text=text)]))
        finally:
            await events.aclose()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        """A running task is stopped by the SDK cancelling `execute`; this says it ended."""
        task = context.current_task
        if task is not None:
            await TaskUpdater(event_queue, task.id, task.context_id).cancel()


def _tool_part(event: ToolStarted | ToolFinished) -> Part:
    if isinstance(event, ToolStarted):
        part = Part(text=f"Calling tool {event.name}")
        part.metadata.update({"tool": event.name, "callId": event.call_id, "phase": "started"})
    else:
        part = Part(text=f"Tool {event.name} finished: {event.outcome}")
        part.metadata.update({"tool": event.name, "callId": event.call_id, "phase": event.outcome})
    return part


Endpoint = Callable[[Request], Awaitable[Response]]


def _guarded(endpoint: Endpoint) -> Endpoint:
    """The JSON-RPC endpoint behind the agent's bearer-token check.

    A refusal is the service's own 401 (or 503 when the token cannot be read), answered by
    its error handlers as on every other route: A2A leaves authentication to HTTP.
    """

    async def guarded(request: Request) -> Response:
        state_of(request).auth.check(request.headers.get("authorization"))
        return await endpoint(request)

    return guarded


def _for_this_request(endpoint: Endpoint) -> Endpoint:
    """The card endpoint, told which base URL the card is asked on."""

    async def card(request: Request) -> Response:
        token = _base_url.set(str(request.base_url))
        try:
            return await endpoint(request)
        finally:
            _base_url.reset(token)

    return card


def install(app: FastAPI, config: RuntimeConfig) -> None:
    """Serve A2A on `app`: the agent card and the JSON-RPC endpoint, by the SDK."""

    def engine() -> Engine:
        return typing.cast(Engine, app.state.service.engine)

    template = agent_card(config, "http://localhost")
    handler = DefaultRequestHandler(
        agent_executor=LoopExecutor(engine),
        task_store=InMemoryTaskStore(),
        agent_card=template,
    )

    async def card_for_request(card: AgentCard) -> AgentCard:
        return agent_card(config, _base_url.get() or "http://localhost")

    routes = [
        *create_agent_card_routes(template, card_modifier=card_for_request),
        *create_jsonrpc_routes(handler, rpc_url=A2A_PATH),
    ]
    for route in routes:
        assert isinstance(route, Route)
        wrap = _guarded if route.path == A2A_PATH else _for_this_request
        endpoint = wrap(typing.cast(Endpoint, route.endpoint))
        app.router.routes.append(Route(route.path, endpoint, methods=sorted(route.methods or ())))
