"""The fake model's Agents API: Mistral-hosted agents, their versions and version aliases.

Served beside the chat endpoints by `agent_runtime.mockllm`, in the shapes the `mistralai`
SDK's `beta.agents` parses: create (`POST /v1/agents`), list, get (at a version or an alias),
update (a new version), switch the current version, list and get versions, create, list and
delete aliases, delete. Every request is recorded and takes the fake's injected faults (an
HTTP status such as 429 or 500, a delay beyond the client's timeout, a dropped connection)
like the chat endpoints do, so an operator can be tested against a failing platform.

State lives in memory, per fake: agents by id, each with every version it had and its aliases.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    from agent_runtime.mockllm import MockLLM

#: Fields of an agent that a create or an update sets (the rest the server owns).
SETTABLE = (
    "model",
    "name",
    "instructions",
    "tools",
    "completion_args",
    "guardrails",
    "description",
    "handoffs",
    "metadata",
    "version_message",
    "deployment_chat",
)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat().replace("+00:00", "Z")


@dataclass
class HostedAgent:
    """One agent: every version's fields, the current version, and its aliases."""

    id: str
    versions: list[dict[str, Any]]
    current: int = 0
    aliases: dict[str, dict[str, Any]] = field(default_factory=dict)
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)

    def view(self, version: int | None = None) -> dict[str, Any]:
        """The agent as the API answers it (at `version`, else the current one)."""
        number = self.current if version is None else version
        fields = self.versions[number]
        return {
            "object": "agent",
            "id": self.id,
            "version": number,
            "versions": list(range(len(self.versions))),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "deployment_chat": bool(fields.get("deployment_chat", False)),
            "source": "api",
            "model": fields["model"],
            "name": fields["name"],
            "instructions": fields.get("instructions"),
            "tools": fields.get("tools") or [],
            "completion_args": fields.get("completion_args") or {},
            "guardrails": fields.get("guardrails"),
            "description": fields.get("description"),
            "handoffs": fields.get("handoffs"),
            "metadata": fields.get("metadata"),
            "version_message": fields.get("version_message"),
        }


@dataclass
class AgentsStore:
    """Every agent of one fake, safe to read from a test thread while it serves."""

    agents: dict[str, HostedAgent] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: int = 0

    def create(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.ids += 1
            agent = HostedAgent(id=f"ag_{self.ids:06d}", versions=[_settable(fields)])
            self.agents[agent.id] = agent
            return agent.view()

    def update(self, agent: HostedAgent, fields: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            agent.versions.append({**agent.versions[agent.current], **_settable(fields)})
            agent.current = len(agent.versions) - 1
            agent.updated_at = _now()
            return agent.view()


def _settable(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {k: fields[k] for k in SETTABLE if k in fields and fields[k] is not None}


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"object": "error", "message": message, "detail": message}, status)


def _invalid(loc: str, message: str) -> JSONResponse:
    """A 422 in the shape of the API's validation errors (the SDK parses it)."""
    detail = [{"type": "value_error", "loc": ["body", loc], "msg": message, "input": None}]
    return JSONResponse({"detail": detail}, 422)


Handler = Callable[[AgentsStore, Request, dict[str, Any]], Response]


def agent_routes(mock: MockLLM) -> list[Route]:
    """The Agents API routes of `mock`, over a store of their own."""
    store = AgentsStore()

    def route(path: str, method: str, handler: Handler) -> Route:
        async def endpoint(request: Request) -> Response:
            body: dict[str, Any] = {}
            if method in ("POST", "PATCH") and await request.body():
                try:
                    body = await request.json()
                except ValueError:
                    return _error(400, "body is not JSON")
                if not isinstance(body, dict):
                    return _error(400, "body is not a JSON object")
            faulty = await _injected_fault(mock, request, body)
            return faulty if faulty is not None else handler(store, request, body)

        return Route(path, endpoint, methods=[method])

    return [
        route("/v1/agents", "POST", _create),
        route("/v1/agents", "GET", _list),
        route("/v1/agents/pages", "GET", _list_pages),
        route("/v1/agents/{agent_id}", "GET", _get),
        route("/v1/agents/{agent_id}", "PATCH", _update),
        route("/v1/agents/{agent_id}", "DELETE", _delete),
        route("/v1/agents/{agent_id}/version", "PATCH", _switch_version),
        route("/v1/agents/{agent_id}/versions", "GET", _list_versions),
        route("/v1/agents/{agent_id}/versions/{version}", "GET", _get_version),
        route("/v1/agents/{agent_id}/aliases", "PUT", _set_alias),
        route("/v1/agents/{agent_id}/aliases", "GET", _list_aliases),
        route("/v1/agents/{agent_id}/aliases", "DELETE", _delete_alias),
    ]


async def _injected_fault(mock: MockLLM, request: Request, body: dict[str, Any]) -> Response | None:
    """Record the request; the response of the fault injected for it, if any."""
    from agent_runtime.mockllm import RecordedRequest, _Dropped  # it imports this module

    fault, _ = mock._record(RecordedRequest(request.url.path, dict(request.headers), body))
    if mock.latency_seconds:
        await asyncio.sleep(mock.latency_seconds)
    if fault is None:
        return None
    if fault.kind == "delay":
        await asyncio.sleep(fault.seconds)
        return None
    if fault.kind == "status":
        answer = _error(fault.status, f"injected HTTP {fault.status}")
        if fault.retry_after is not None:
            answer.headers["Retry-After"] = str(fault.retry_after)
        return answer
    if fault.kind == "drop":
        return _Dropped()
    return Response('{"id": "x", "versions": [', media_type="application/json")


# --- The endpoints ---------------------------------------------------------------------------


def _create(store: AgentsStore, request: Request, body: dict[str, Any]) -> Response:
    for required in ("model", "name"):
        if not isinstance(body.get(required), str) or not body[required]:
            return _invalid(required, "Field required")
    return JSONResponse(store.create(body))


def _matching(store: AgentsStore, request: Request) -> list[dict[str, Any]] | Response:
    """The agents the list's filters select (name, id, a subset of metadata), oldest first."""
    query = request.query_params
    try:
        wanted = json.loads(query["metadata"]) if "metadata" in query else {}
    except ValueError:
        return _error(400, "metadata must be JSON")
    with store.lock:
        views = [agent.view() for agent in store.agents.values()]
    return [
        v
        for v in views
        if query.get("name") in (None, v["name"])
        and query.get("id") in (None, v["id"])
        and all((v["metadata"] or {}).get(k) == val for k, val in dict(wanted or {}).items())
    ]


def _list(store: AgentsStore, request: Request, body: dict[str, Any]) -> Response:
    """The deprecated page-numbered list: a bare JSON array."""
    views = _matching(store, request)
    if isinstance(views, Response):
        return views
    page, size = _page(request, "page"), _page(request, "page_size", 20)
    return JSONResponse(views[page * size : (page + 1) * size])


def _list_pages(store: AgentsStore, request: Request, body: dict[str, Any]) -> Response:
    """The cursor-paginated list: the cursor is the offset of the next page, as text."""
    views = _matching(store, request)
    if isinstance(views, Response):
        return views
    start, size = _page(request, "page_token"), _page(request, "page_size", 20)
    following = start + size if start + size < len(views) else None
    return JSONResponse(
        {
            "object": "list",
            "data": views[start : start + size],
            "next_page_token": None if following is None else str(following),
        }
    )


def _page(request: Request, name: str, default: int = 0) -> int:
    raw = request.query_params.get(name, "")
    return int(raw) if raw.isdigit() else default


def _found(store: AgentsStore, request: Request) -> HostedAgent | Response:
    agent_id = request.path_params["agent_id"]
    with store.lock:
        agent = store.agents.get(agent_id)
    return agent if agent is not None else _error(404, f"agent {agent_id} not found")


def _version(agent: HostedAgent, raw: str | None) -> int | Response:
    """A version number, or the version an alias points at; the current one for None."""
    if raw is None:
        return agent.current
    if raw in agent.aliases:
        return int(agent.aliases[raw]["version"])
    if raw.isdigit() and int(raw) < len(agent.versions):
        return int(raw)
    return _error(404, f"version {raw} of agent {agent.id} not found")


def _get(store: AgentsStore, request: Request, body: dict[str, Any]) -> Response:
    agent = _found(store, request)
    if isinstance(agent, Response):
        return agent
    version = _version(agent, request.query_params.get("agent_version"))
    return version if isinstance(version, Response) else JSONResponse(agent.view(version))


def _update(store: AgentsStore, request: Request, body: dict[str, Any]) -> Response:
    agent = _found(store, request)
    return agent if isinstance(agent, Response) else JSONResponse(store.update(agent, body))


def _delete(store: AgentsStore, request: Request, body: dict[str, Any]) -> Response:
    agent = _found(store, request)
    if isinstance(agent, Response):
        return agent
    with store.lock:
        store.agents.pop(agent.id, None)
    return Response(status_code=204)


def _switch_version(store: AgentsStore, request: Request, body: dict[str, Any]) -> Response:
    agent = _found(store, request)
    if isinstance(agent, Response):
        return agent
    version = _version(agent, request.query_params.get("version", ""))
    if isinstance(version, Response):
        return version
    with store.lock:
        agent.current = version
    return JSONResponse(agent.view())


def _list_versions(store: AgentsStore, request: Request, body: dict[str, Any]) -> Response:
    agent = _found(store, request)
    if isinstance(agent, Response):
        return agent
    page, size = _page(request, "page"), _page(request, "page_size", 20)
    views = [agent.view(n) for n in range(len(agent.versions))]
    return JSONResponse(views[page * size : (page + 1) * size])


def _get_version(store: AgentsStore, request: Request, body: dict[str, Any]) -> Response:
    agent = _found(store, request)
    if isinstance(agent, Response):
        return agent
    version = _version(agent, request.path_params["version"])
    return version if isinstance(version, Response) else JSONResponse(agent.view(version))


def _set_alias(store: AgentsStore, request: Request, body: dict[str, Any]) -> Response:
    agent = _found(store, request)
    if isinstance(agent, Response):
        return agent
    alias, raw = request.query_params.get("alias"), request.query_params.get("version", "")
    if not alias:
        return _invalid("alias", "Field required")
    if not raw.isdigit() or int(raw) >= len(agent.versions):
        return _error(404, f"version {raw} of agent {agent.id} not found")
    with store.lock:
        prior = agent.aliases.get(alias)
        stamp = _now()
        agent.aliases[alias] = {
            "alias": alias,
            "version": int(raw),
            "created_at": prior["created_at"] if prior else stamp,
            "updated_at": stamp,
        }
        return JSONResponse(dict(agent.aliases[alias]))


def _list_aliases(store: AgentsStore, request: Request, body: dict[str, Any]) -> Response:
    agent = _found(store, request)
    if isinstance(agent, Response):
        return agent
    with store.lock:
        return JSONResponse([dict(a) for a in agent.aliases.values()])


def _delete_alias(store: AgentsStore, request: Request, body: dict[str, Any]) -> Response:
    agent = _found(store, request)
    if isinstance(agent, Response):
        return agent
    alias = request.query_params.get("alias", "")
    with store.lock:
        if agent.aliases.pop(alias, None) is None:
            return _error(404, f"alias {alias} of agent {agent.id} not found")
    return Response(status_code=204)
