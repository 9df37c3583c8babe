"""An Agent's copy on Mistral's platform: what is published, and how it is kept in step.

With `spec.mistral.publish`, the operator keeps one agent of Mistral's Agents API (the
`mistralai` SDK's `beta.agents`) in step with the Agent: its model, instructions, completion
arguments and function tools. The hosted agent carries the Agent's uid and a digest of what was
published in its `metadata`, so the operator finds it again after a lost status write (no
duplicate is created) and sees at a glance whether it is in step (no update is sent when
nothing changed). Each rollout gets a version alias, `generation-<N>`, pointing at the version
published for that generation of the Agent.

Everything here is either pure (what to publish, the condition that says how it went) or one
short conversation with the API through the SDK's async methods, so Kopf's event loop never
blocks. A failed call becomes a `MistralApiError` that says whether trying later may help; its
message carries what the API answered, never the API key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx2
from mistralai.client import Mistral
from mistralai.client import errors as mistral_errors
from mistralai.client.models import Agent as MistralAgent

from agent_operator import status as status_mod
from agent_operator.spec import AgentSpec

#: The condition that says whether the hosted agent is in step with the Agent.
PUBLISHED = "Published"
#: Metadata keys on the hosted agent: the Agent it copies, and a digest of what was published.
UID_KEY = "agent-operator.io/uid"
AGENT_KEY = "agent-operator.io/agent"
DIGEST_KEY = "agent-operator.io/digest"
#: An API error message is cut to this length in conditions and Events.
MAX_MESSAGE = 300
#: A schema for a tool that declares no arguments (Mistral requires `parameters`).
NO_ARGUMENTS: Mapping[str, Any] = {"type": "object", "properties": {}}


@dataclass(frozen=True)
class HostedAgent:
    """What the Agent asks to be published: the fields of an Agents API create or update."""

    uid: str
    agent: str  # namespace/name
    name: str
    model: str
    instructions: str
    description: str | None
    completion_args: Mapping[str, Any]
    tools: tuple[Mapping[str, Any], ...]

    def fields(self) -> dict[str, Any]:
        """The published fields, as the Agents API names them."""
        return {
            "name": self.name,
            "model": self.model,
            "instructions": self.instructions,
            "description": self.description,
            "completion_args": dict(self.completion_args),
            "tools": [dict(tool) for tool in self.tools],
        }

    @property
    def digest(self) -> str:
        """The sha256 of every published field: it changes exactly when they do."""
        return hashlib.sha256(json.dumps(self.fields(), sort_keys=True).encode()).hexdigest()

    def request(self) -> dict[str, Any]:
        """The keyword arguments of `beta.agents.create_async` and `update_async`."""
        metadata = {UID_KEY: self.uid, AGENT_KEY: self.agent, DIGEST_KEY: self.digest}
        return {**self.fields(), "metadata": metadata}


def desired_agent(namespace: str, name: str, uid: str, spec: AgentSpec) -> HostedAgent:
    """The hosted agent an Agent's spec asks for.

    Only tools whose schema is known here are published: `http` and `agent` tools, as function
    tools the caller's runtime executes. `mcp` tools are listed from their server at run time,
    so they are not part of the hosted copy.
    """
    mistral = spec.mistral
    model = spec.model
    completion_args = {
        key: value
        for key, value in (
            ("temperature", model.temperature),
            ("top_p", model.top_p),
            ("max_tokens", model.max_tokens),
        )
        if value is not None
    }
    tools = tuple(
        {
            "type": "function",
            "function": {
                "name": tool.name,
                "description": tool.description,
                "parameters": dict(tool.parameters or NO_ARGUMENTS),
            },
        }
        for tool in spec.tools
        if tool.mcp is None
    )
    return HostedAgent(
        uid=uid,
        agent=f"{namespace}/{name}",
        name=(mistral.name if mistral and mistral.name else f"{namespace}-{name}"),
        model=model.name,
        instructions=spec.instructions,
        description=mistral.description if mistral else None,
        completion_args=completion_args,
        tools=tools,
    )


def alias_for(generation: int) -> str:
    """The version alias of one generation of the Agent: one per rollout."""
    return f"generation-{generation}"


@dataclass(frozen=True)
class Published:
    """Where the hosted agent stands after a successful publish."""

    agent_id: str
    version: int
    alias: str
    generation: int

    def status(self) -> dict[str, Any]:
        """The Agent's `status.mistral`."""
        return {
            "agentId": self.agent_id,
            "version": self.version,
            "alias": self.alias,
            "observedGeneration": self.generation,
        }


class MistralApiError(Exception):
    """A call to Mistral's Agents API failed; says which call and what the API answered."""

    def __init__(
        self, action: str, status: int, message: str, retry_after: float | None = None
    ) -> None:
        super().__init__(action, status, message)
        self.action = action
        self.status = status
        self.message = message[:MAX_MESSAGE]
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        """Whether trying again soon may succeed: timeouts, throttling, server trouble."""
        return self.status in (0, 408, 409, 429) or self.status >= 500

    @property
    def reason(self) -> str:
        """The condition reason: CamelCase, naming the kind of failure."""
        if self.status == 0:
            return "MistralUnreachable"
        if self.status == 429:
            return "MistralThrottled"
        return "MistralServerError" if self.status >= 500 else "MistralRejected"

    def __str__(self) -> str:
        answer = f"HTTP {self.status}" if self.status else "no answer"
        return f"{self.action} failed: {answer}: {self.message}"


@asynccontextmanager
async def calling(action: str) -> AsyncIterator[None]:
    """Turn whatever the SDK or the network raises into one `MistralApiError`."""
    try:
        yield
    except mistral_errors.MistralError as exc:
        raise MistralApiError(
            action, exc.status_code, _error_text(exc.body), _retry_after(exc.headers)
        ) from None
    except mistral_errors.NoResponseError as exc:
        raise MistralApiError(action, 0, str(exc) or "no response") from None
    except httpx2.TimeoutException:
        raise MistralApiError(action, 0, "the request timed out") from None
    except httpx2.HTTPError as exc:
        raise MistralApiError(action, 0, f"{type(exc).__name__}: {exc}") from None


def _error_text(body: str) -> str:
    try:
        parsed = json.loads(body)
    except ValueError:
        return body.strip() or "no message"
    if isinstance(parsed, Mapping):
        return str(parsed.get("message") or parsed.get("detail") or body)
    return body


def _retry_after(headers: httpx2.Headers) -> float | None:
    try:
        return float(headers.get("retry-after", ""))
    except ValueError:
        return None


def client(api_key: str | None, endpoint: str | None, timeout_seconds: float) -> Mistral:
    """An SDK client with no retries of its own: Kopf retries the whole sync, with backoff."""
    return Mistral(
        api_key=api_key,
        server_url=endpoint,
        timeout_ms=int(timeout_seconds * 1000),
    )


async def publish(
    sdk: Mistral, desired: HostedAgent, *, known: Mapping[str, Any], generation: int
) -> Published:
    """Create, update or leave the hosted agent; point this generation's alias at it.

    `known` is the Agent's current `status.mistral`. Calls made: one read when the agent
    exists and is in step (none at all if the alias is also current), else a create or an
    update (a new version), then the alias.
    """
    agents = sdk.beta.agents
    agent = await _find(sdk, desired, known.get("agentId"))
    if agent is None:
        async with calling("Creating the Mistral agent"):
            agent = await agents.create_async(**desired.request())
    elif (agent.metadata or {}).get(DIGEST_KEY) != desired.digest:
        async with calling(f"Updating Mistral agent {agent.id}"):
            agent = await agents.update_async(agent_id=agent.id, **desired.request())
    alias = alias_for(generation)
    if (known.get("agentId"), known.get("version"), known.get("alias")) != (
        agent.id,
        agent.version,
        alias,
    ):
        async with calling(f"Setting alias {alias} of Mistral agent {agent.id}"):
            await agents.create_version_alias_async(
                agent_id=agent.id, alias=alias, version=agent.version
            )
    return Published(agent.id, agent.version, alias, generation)


async def _find(sdk: Mistral, desired: HostedAgent, known_id: Any) -> MistralAgent | None:
    """The hosted agent of this Agent: by the id in its status, else by its uid in metadata."""
    agents = sdk.beta.agents
    if isinstance(known_id, str) and known_id:
        try:
            async with calling(f"Getting Mistral agent {known_id}"):
                return await agents.get_async(agent_id=known_id)
        except MistralApiError as exc:
            if exc.status != 404:
                raise
    async with calling("Listing Mistral agents"):
        page = await agents.list_pages_async(metadata={UID_KEY: desired.uid}, page_size=100)
    found = page.result.data if page is not None else []
    mine = [a for a in found if (a.metadata or {}).get(UID_KEY) == desired.uid]
    return mine[0] if mine else None


async def unpublish(sdk: Mistral, agent_id: str) -> bool:
    """Delete the hosted agent; False when it was already gone."""
    try:
        async with calling(f"Deleting Mistral agent {agent_id}"):
            await sdk.beta.agents.delete_async(agent_id=agent_id)
    except MistralApiError as exc:
        if exc.status == 404:
            return False
        raise
    return True


# --- The status ------------------------------------------------------------------------------


def published_condition(ok: bool, reason: str, message: str, generation: int) -> dict[str, Any]:
    """The `Published` condition."""
    return status_mod.condition(PUBLISHED, ok, reason, message, generation)


def in_step(published: Published) -> dict[str, Any]:
    message = (
        f"Mistral agent {published.agent_id} is at version {published.version}, "
        f"alias {published.alias}."
    )
    return published_condition(True, "InStep", message, published.generation)


def status_patch(
    current: Mapping[str, Any], hosted: Mapping[str, Any] | None, cond: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """The merge patch that gives `current` this `status.mistral` and `Published` condition.

    `hosted` None removes `status.mistral`; `cond` None removes the condition. Other conditions
    are kept as they are. None when nothing would change.
    """
    old = list(current.get("conditions") or [])
    others = [dict(c) for c in old if c.get("type") != PUBLISHED]
    mine = status_mod.merge_conditions(old, [cond]) if cond is not None else []
    conditions = others + mine
    patch: dict[str, Any] = {}
    if _comparable(old) != _comparable(conditions):
        patch["conditions"] = conditions
    if (current.get("mistral") or None) != (dict(hosted) if hosted else None):
        patch["mistral"] = dict(hosted) if hosted else None
    return patch or None


def _comparable(conditions: list[Any]) -> list[tuple[Any, ...]]:
    keys = ("type", "status", "reason", "message", "observedGeneration")
    return sorted(tuple(str(c.get(k)) for k in keys) for c in conditions)
