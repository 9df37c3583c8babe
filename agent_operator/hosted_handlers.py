"""Kopf wiring of Mistral-hosted agents: publish on create, update and resume; delete with.

Registered by being imported in the operator's process. Only Agents that publish (or did:
their status still names a hosted agent) reach these handlers. A failed call to Mistral's API
is written as the `Published` condition (and one warning Event when it first fails), then
raised as `kopf.TemporaryError` with an exponential backoff (or the API's `Retry-After`), so
a down or throttling API is retried slowly, never in a loop.

Deletion: an Agent that publishes with `deletionPolicy: Delete` carries Kopf's finalizer, so
its hosted agent is deleted before the Agent goes; no other Agent carries one. Should the API
key's Secret be gone by then (a namespace being deleted), the hosted agent cannot be deleted:
the Agent is let go with a warning naming the hosted agent left behind.

The API key is read from the Agent's `spec.model.apiKeySecretRef` at each sync and handed to
the SDK client only.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

import kopf
from mistralai.client import Mistral

from agent_operator import hosted
from agent_operator.kube import Kube, KubeError, ObjectRef
from agent_operator.settings import OperatorSettings
from agent_operator.spec import API_VERSION, GROUP, PLURAL, VERSION, AgentSpec, SpecError
from agent_operator.spec import parse_spec as parse_agent_spec

#: Kopf's finalizer, named after the project (Kopf's default names Kopf).
FINALIZER = "agent-operator.io/finalizer"
#: Where this module keeps its state in Kopf's memo.
MEMO_KEY = "agent_operator.hosted"

log = logging.getLogger("agent_operator.hosted")


@dataclass
class HostedContext:
    """What the hosted-agent handlers share: an API client, settings, the last status written."""

    kube: Kube
    settings: OperatorSettings
    #: By Agent uid: the `status.mistral` and `Published` condition last written, so a status
    #: write of the reconcile that lost them (written from an older view) is repaired.
    written: dict[str, tuple[dict[str, Any] | None, dict[str, Any] | None]] = field(
        default_factory=dict
    )


def _ctx(memo: kopf.Memo) -> HostedContext:
    ctx = memo.get(MEMO_KEY)
    if not isinstance(ctx, HostedContext):
        raise kopf.TemporaryError("The operator is still starting.", delay=1)
    return ctx


def _publishes(spec: Mapping[str, Any]) -> bool:
    return bool((spec.get("mistral") or {}).get("publish"))


def _hosted_id(status: Mapping[str, Any]) -> str | None:
    agent_id = (status.get("mistral") or {}).get("agentId")
    return agent_id if isinstance(agent_id, str) and agent_id else None


def _concerned(spec: kopf.Spec, status: kopf.Status, **_: Any) -> bool:
    """Publishes, or did: a hosted agent is named in the status."""
    return _publishes(spec) or _hosted_id(status) is not None


def _deletes_hosted(spec: kopf.Spec, **_: Any) -> bool:
    """Publishes with `deletionPolicy: Delete`: only these Agents carry the finalizer."""
    return _publishes(spec) and (spec.get("mistral") or {}).get("deletionPolicy") != "Retain"


# --- Start-up and shutdown -------------------------------------------------------------------


@kopf.on.startup()
async def start_hosted(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    settings.persistence.finalizer = FINALIZER
    for chatty in ("httpx2", "httpcore2"):  # the SDK's HTTP client: a line per request
        logging.getLogger(chatty).setLevel(logging.WARNING)
    operator_settings = OperatorSettings.from_env()
    kube = Kube.from_environment(field_manager=operator_settings.field_manager, workers=4)
    memo[MEMO_KEY] = HostedContext(kube=kube, settings=operator_settings)


@kopf.on.cleanup()
async def stop_hosted(memo: kopf.Memo, **_: Any) -> None:
    ctx = memo.get(MEMO_KEY)
    if isinstance(ctx, HostedContext):
        ctx.kube.close()


# --- Publishing ------------------------------------------------------------------------------


@kopf.on.create(GROUP, VERSION, PLURAL, when=_concerned)
async def publish_on_create(body: kopf.Body, memo: kopf.Memo, retry: int, **_: Any) -> None:
    await sync(_ctx(memo), body, retry)


@kopf.on.update(GROUP, VERSION, PLURAL, field="spec", when=_concerned)
async def publish_on_update(body: kopf.Body, memo: kopf.Memo, retry: int, **_: Any) -> None:
    await sync(_ctx(memo), body, retry)


@kopf.on.resume(GROUP, VERSION, PLURAL, when=_concerned)
async def publish_on_resume(body: kopf.Body, memo: kopf.Memo, retry: int, **_: Any) -> None:
    await sync(_ctx(memo), body, retry)


async def sync(ctx: HostedContext, body: kopf.Body, retry: int) -> None:
    """Bring the hosted agent in step with the Agent, or retire it once it stops publishing."""
    meta, spec_raw = body["metadata"], dict(body.get("spec") or {})
    generation = int(meta.get("generation") or 1)
    try:
        spec = parse_agent_spec(spec_raw)
    except SpecError:
        return  # the reconcile reports an invalid spec; nothing is published from it
    if not _publishes(spec_raw):
        await _retire(ctx, body, spec)
        return
    try:
        async with await _client(ctx, body, spec) as sdk:
            desired = hosted.desired_agent(meta["namespace"], meta["name"], meta["uid"], spec)
            known = dict(body.get("status", {}).get("mistral") or {})
            published = await hosted.publish(sdk, desired, known=known, generation=generation)
    except _NoApiKey as exc:
        await _failed(ctx, body, "SecretNotFound", str(exc), generation)
        raise kopf.TemporaryError(str(exc), delay=_backoff(ctx, retry)) from None
    except hosted.MistralApiError as exc:
        await _failed(ctx, body, exc.reason, str(exc), generation)
        raise kopf.TemporaryError(str(exc), delay=_delay(ctx, exc, retry)) from None
    await _write(ctx, body, published.status(), hosted.in_step(published))
    log.info(
        "Published Agent %s/%s as Mistral agent %s version %s (alias %s)",
        meta["namespace"],
        meta["name"],
        published.agent_id,
        published.version,
        published.alias,
    )


async def _retire(ctx: HostedContext, body: kopf.Body, spec: AgentSpec) -> None:
    """The Agent stopped publishing: apply its deletion policy, then forget the hosted agent."""
    agent_id = _hosted_id(body.get("status") or {})
    if agent_id is None:
        return
    policy = spec.mistral.deletion_policy if spec.mistral else "Delete"
    if policy == "Delete":
        await _delete(ctx, body, spec, agent_id, releasing=False)
    await _write(ctx, body, None, None)


class _NoApiKey(Exception):
    """The Secret or key that holds the API key does not exist (names them, never a value)."""


async def _client(ctx: HostedContext, body: kopf.Body, spec: AgentSpec) -> Mistral:
    ref = spec.model.api_key_secret_ref
    api_key: str | None = None
    if ref is not None:
        api_key = await ctx.kube.secret_value(body["metadata"]["namespace"], ref.name, ref.key)
        if api_key is None:
            raise _NoApiKey(f"the API key: key {ref.key!r} of Secret {ref.name!r} not found")
    return hosted.client(api_key, spec.model.endpoint, ctx.settings.mistral_timeout_seconds)


# --- Deleting --------------------------------------------------------------------------------


@kopf.on.delete(GROUP, VERSION, PLURAL, when=_deletes_hosted)
async def unpublish_on_delete(body: kopf.Body, memo: kopf.Memo, retry: int, **_: Any) -> None:
    ctx = _ctx(memo)
    agent_id = _hosted_id(body.get("status") or {})
    ctx.written.pop(str(body["metadata"].get("uid")), None)
    if agent_id is None:
        return
    try:
        spec = parse_agent_spec(dict(body.get("spec") or {}))
    except SpecError:
        return
    await _delete(ctx, body, spec, agent_id, releasing=True, retry=retry)


async def _delete(
    ctx: HostedContext,
    body: kopf.Body,
    spec: AgentSpec,
    agent_id: str,
    *,
    releasing: bool,
    retry: int = 0,
) -> None:
    meta = body["metadata"]
    generation = int(meta.get("generation") or 1)
    try:
        async with await _client(ctx, body, spec) as sdk:
            deleted = await hosted.unpublish(sdk, agent_id)
    except _NoApiKey as exc:
        if not releasing:
            await _failed(ctx, body, "SecretNotFound", str(exc), generation)
            raise kopf.TemporaryError(str(exc), delay=_backoff(ctx, retry)) from None
        message = f"Left Mistral agent {agent_id} in place: {exc}"
        kopf.warn(body, reason="UnpublishSkipped", message=message)
        log.warning("Left Mistral agent %s of Agent %s/%s: %s", agent_id, *_key(body), exc)
        return
    except hosted.MistralApiError as exc:  # the Agent waits, and its status says why
        await _failed(ctx, body, exc.reason, str(exc), generation)
        raise kopf.TemporaryError(str(exc), delay=_delay(ctx, exc, retry)) from None
    log.info(
        "Deleted Mistral agent %s of Agent %s/%s%s",
        agent_id,
        *_key(body),
        "" if deleted else " (it was already gone)",
    )


# --- The status ------------------------------------------------------------------------------


async def _failed(
    ctx: HostedContext, body: kopf.Body, reason: str, message: str, generation: int
) -> None:
    """`Published=False` with the reason; one warning Event when it newly fails this way."""
    condition = hosted.published_condition(False, reason, message, generation)
    hosted_status = dict(body.get("status", {}).get("mistral") or {}) or None
    if await _write(ctx, body, hosted_status, condition):
        kopf.warn(body, reason="PublishFailed", message=message)


async def _write(
    ctx: HostedContext,
    body: kopf.Body,
    hosted_status: Mapping[str, Any] | None,
    condition: Mapping[str, Any] | None,
) -> bool:
    """Write `status.mistral` and `Published` onto the live Agent's status. True if written."""
    uid = str(body["metadata"].get("uid"))
    ctx.written[uid] = (
        dict(hosted_status) if hosted_status else None,
        dict(condition) if condition else None,
    )
    return await _repair(ctx, body["metadata"]["namespace"], body["metadata"]["name"], uid)


async def _repair(ctx: HostedContext, namespace: str, name: str, uid: str) -> bool:
    """Patch the live Agent's status to what was last written for it, if it differs."""
    ref = ObjectRef(API_VERSION, "Agent", namespace, name)
    wanted = ctx.written.get(uid)
    if wanted is None:
        return False
    try:
        live = await ctx.kube.get(ref)
        if live is None or live["metadata"].get("uid") != uid:
            return False
        patch = hosted.status_patch(live.get("status") or {}, *wanted)
        if patch is None:
            return False
        await ctx.kube.patch_status(ref, patch)
    except KubeError as exc:
        raise kopf.TemporaryError(str(exc), delay=exc.retry_after or 2) from None
    return True


@kopf.on.event(GROUP, VERSION, PLURAL, when=_concerned)
async def keep_published_status(
    event: Mapping[str, Any], body: kopf.Body, memo: kopf.Memo, **_: Any
) -> None:
    """The reconcile writes conditions from its own view of the Agent, which can lag behind a
    write of ours; a `Published` condition it dropped that way is written again here."""
    ctx = memo.get(MEMO_KEY)
    uid = str(body["metadata"].get("uid"))
    if not isinstance(ctx, HostedContext) or uid not in ctx.written:
        return
    if event.get("type") == "DELETED":
        ctx.written.pop(uid, None)
        return
    wanted = ctx.written[uid]
    if hosted.status_patch(body.get("status") or {}, *wanted) is not None:
        try:
            await _repair(ctx, body["metadata"]["namespace"], body["metadata"]["name"], uid)
        except kopf.TemporaryError as exc:
            log.warning("Did not repair the status of Agent %s/%s: %s", *_key(body), exc)


# --- Backoff ---------------------------------------------------------------------------------


def _backoff(ctx: HostedContext, retry: int) -> float:
    """Exponential backoff with jitter: 1, 2, 4, ... seconds, up to the configured ceiling."""
    ceiling = ctx.settings.mistral_retry_max_delay_seconds
    base: float = min(ceiling, float(2 ** min(retry, 16)))
    return round(base * random.uniform(0.8, 1.0), 2)  # noqa: S311 (jitter, not crypto)


def _delay(ctx: HostedContext, exc: hosted.MistralApiError, retry: int) -> float:
    """The API's own `Retry-After` if it gave one; a longer wait for a refusal that may last."""
    delay = exc.retry_after or _backoff(ctx, retry)
    return (
        delay
        if exc.transient
        else max(delay, min(30.0, ctx.settings.mistral_retry_max_delay_seconds))
    )


def _key(body: kopf.Body) -> tuple[str, str]:
    return cast(str, body["metadata"]["namespace"]), cast(str, body["metadata"]["name"])
