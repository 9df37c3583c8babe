"""The reconcile: make an Agent's children match its spec and its status match its children.

One converge path serves every reason to look at an Agent: created, updated, resumed at start,
a child deleted or edited by hand, and the periodic resync that corrects whatever drift the
watches missed. A child is written only when it differs from what the operator would apply, so
a reconcile that finds nothing to change writes nothing. Event-driven reconciles compare with
the watches' cache of children (no read per child); resumes and resyncs read the live objects,
the safety net for anything a watch missed. Errors become Kopf's retry semantics:
`kopf.PermanentError` for a spec that cannot work, `kopf.TemporaryError` for what may heal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Mapping, Sequence
from typing import Any, cast

import kopf

from agent_operator import status as status_mod
from agent_operator.builders import (
    AgentMeta,
    DesiredChildren,
    build_children,
    hosted_agent_id,
    referenced_secrets,
)
from agent_operator.drift import with_applied_hash
from agent_operator.kube import KubeError, ObjectRef
from agent_operator.ownership import ForeignChild, agent_of, controlled_by, needs_apply
from agent_operator.spec import AgentSpec, SpecError, parse_spec
from agent_operator.state import AgentState, Context

#: Agents reconciled at once by the resync loop: enough to keep the API busy, not flooded.
RESYNC_CONCURRENCY = 8
#: A Deployment's rollout comes as a burst of events; its status is written once per burst.
STATUS_DEBOUNCE_SECONDS = 0.25
#: A child's events come in bursts (and a deleted Agent's children go one by one): one converge
#: per burst, late enough that the Agent's own deletion is known by then.
CONVERGE_DEBOUNCE_SECONDS = 0.5
#: The label every child carries; the watches select on it at the server.
MANAGED_SELECTOR = "app.kubernetes.io/managed-by=agent-operator"
#: The longest a new Agent's first status waits for its rollout before it says "RollingOut".
FIRST_STATUS_HOLD_SECONDS = 30.0
#: The longest a reconcile outside Kopf's handlers may take before it is given up.
GUARDED_RECONCILE_TIMEOUT_SECONDS = 120

log = logging.getLogger("agent_operator")


def as_body(raw: Mapping[str, Any]) -> kopf.Body:
    return kopf.Body(cast(kopf.RawBody, dict(raw)))


async def reconcile(
    ctx: Context,
    state: AgentState,
    *,
    check_live: bool,
    from_cache: bool = False,
    retry: int = 0,
) -> bool:
    """Make the children match the spec and the status match the children. True if it wrote.

    Each child is compared first and written only if it differs (and only if this Agent
    controls it): `from_cache` compares with the watches' cache, otherwise each child is read.
    `check_live` also deletes the children the spec no longer asks for (updates, resumes,
    resyncs and restores). Raises kopf's errors for Kopf to retry.
    """
    started = time.perf_counter()
    result = "error"
    try:
        changed = await _reconcile(
            ctx, state, check_live=check_live, from_cache=from_cache, retry=retry
        )
        result = "changed" if changed else "unchanged"
        return changed
    except kopf.PermanentError:
        result = "invalid"
        raise
    except KubeError as exc:  # a status write failed: retried, and told in one line
        raise _retry_later(ctx, exc, retry) from None
    finally:
        ctx.metrics.reconciles.labels(result=result).inc()
        ctx.metrics.reconcile_duration.observe(time.perf_counter() - started)


async def _reconcile(
    ctx: Context, state: AgentState, *, check_live: bool, from_cache: bool, retry: int
) -> bool:
    body, meta = state.body, state.body["metadata"]
    try:
        spec = parse_spec(body.get("spec") or {})
    except SpecError as exc:
        state.invalid_spec = str(exc)
        if await refresh_status(ctx, state, invalid_spec=str(exc)):
            kopf.warn(as_body(body), reason="InvalidSpec", message=str(exc))
        raise kopf.PermanentError(f"Invalid spec: {exc}") from None
    state.invalid_spec = None
    agent_meta = AgentMeta(
        name=meta["name"],
        namespace=meta["namespace"],
        uid=state.uid,
        generation=state.generation,
        hosted_agent_id=hosted_agent_id(body),
    )
    desired = build_children(agent_meta, spec, ctx.settings)
    _remember_identity(state, desired)
    children = _adopted(desired.apply, body)
    try:
        missing, changed = await asyncio.gather(
            _missing_refs(ctx, spec, meta["namespace"]),
            _converge(
                ctx,
                children,
                desired,
                owner_uid=state.uid,
                check_live=check_live,
                from_cache=from_cache,
            ),
        )
    except ForeignChild as exc:
        state.foreign_child = str(exc)
        if await refresh_status(ctx, state):
            kopf.warn(as_body(body), reason=status_mod.FOREIGN_CHILD, message=str(exc))
        delay = _backoff(retry, ctx.settings.secret_retry_max_delay_seconds)
        raise kopf.TemporaryError(str(exc), delay=delay) from None
    except KubeError as exc:
        state.reconcile_error = str(exc)
        await _refresh_quietly(ctx, state, reconcile_error=str(exc))
        if not exc.transient:
            kopf.warn(as_body(body), reason="ApplyFailed", message=str(exc))
        raise _retry_later(ctx, exc, retry) from None
    state.reconcile_error = None
    state.foreign_child = None
    state.observed_generation = state.generation
    if not check_live and not missing and state.status == {}:
        hold_first_status(ctx, state)
    changed_refs = await refresh_status(ctx, state, missing_refs=missing)
    if missing:
        message = "; ".join(str(m) for m in missing)
        if changed_refs:
            kopf.warn(as_body(body), reason="SecretsMissing", message=message)
        delay = _backoff(retry, ctx.settings.secret_retry_max_delay_seconds)
        raise kopf.TemporaryError(f"Waiting for Secrets: {message}", delay=delay)
    return changed


async def reconcile_guarded(
    ctx: Context, state: AgentState, *, check_live: bool, from_cache: bool = False
) -> None:
    """A reconcile outside Kopf's handlers (resync, restore): errors logged and counted only."""
    try:
        async with asyncio.timeout(GUARDED_RECONCILE_TIMEOUT_SECONDS):
            await reconcile(ctx, state, check_live=check_live, from_cache=from_cache)
    except (kopf.TemporaryError, kopf.PermanentError) as exc:
        log.debug("Deferred reconciling %s: %s", state.ref, exc)
    except Exception:
        log.exception("Failed reconciling %s", state.ref)


def _retry_later(ctx: Context, exc: KubeError, retry: int) -> kopf.TemporaryError:
    """A failed API call as a retry: when the server says, soon if transient, later if not."""
    delay = exc.retry_after or _backoff(retry, ctx.settings.secret_retry_max_delay_seconds)
    return kopf.TemporaryError(str(exc), delay=delay if exc.transient else max(delay, 30))


def _backoff(retry: int, ceiling: float) -> float:
    """Exponential backoff with jitter: 1, 2, 4, ... seconds, capped at `ceiling`."""
    base: float = min(ceiling, float(2 ** min(retry, 16)))
    return round(base * random.uniform(0.8, 1.0), 2)  # noqa: S311 (jitter, not crypto)


def _remember_identity(state: AgentState, desired: DesiredChildren) -> None:
    for obj in desired.apply:
        if obj["kind"] == "Deployment":
            labels = obj["spec"]["selector"]["matchLabels"]
            state.selector = ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
        elif obj["kind"] == "Service":
            m = obj["metadata"]
            port = obj["spec"]["ports"][0]["port"]
            state.endpoint = f"http://{m['name']}.{m['namespace']}.svc:{port}"


def _adopted(objs: Sequence[Mapping[str, Any]], owner: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each child with the Agent as its controller (and nothing else of the Agent copied)."""
    out = []
    for obj in objs:
        child = dict(obj)
        child["metadata"] = dict(obj["metadata"])
        kopf.append_owner_reference(child, owner=as_body(owner))
        out.append(with_applied_hash(child))
    return out


async def _converge(
    ctx: Context,
    children: Sequence[dict[str, Any]],
    desired: DesiredChildren,
    *,
    owner_uid: str | None,
    check_live: bool,
    from_cache: bool,
) -> bool:
    """Apply the children that differ, delete those no longer wanted. True if it wrote.

    Every child is compared first, even for a new Agent: an object of the same name that this
    Agent does not control (someone else's, or a deleted Agent's) is never taken over or
    deleted; it raises `ForeignChild` instead.
    """

    async def read(ref: ObjectRef) -> dict[str, Any] | None:
        return ctx.children.get(ref) if from_cache else await ctx.kube.get(ref)

    async def apply(obj: dict[str, Any]) -> bool:
        ref = ObjectRef.of(obj)
        if not needs_apply(await read(ref), obj, owner_uid):
            return False
        applied = await ctx.kube.apply(obj)
        ctx.children.saw(applied, ref)
        if obj["kind"] == "Deployment":
            ctx.saw_deployment(applied, answer=True)
        ctx.metrics.api_writes.labels(kind=obj["kind"], action="apply").inc()
        log.info("Applied %s", ref)
        return True

    async def delete(ref: ObjectRef) -> bool:
        live = await read(ref)
        if live is None or not controlled_by(live, owner_uid):
            return False
        deleted = await ctx.kube.delete(ref)
        ctx.children.forget(ref)
        if deleted:
            ctx.metrics.api_writes.labels(kind=ref.kind, action="delete").inc()
            log.info("Deleted %s, no longer wanted", ref)
        return deleted

    writes = [apply(obj) for obj in children]
    if check_live:
        writes += [delete(ObjectRef.of_key(key)) for key in desired.absent]
    results = await asyncio.gather(*writes)
    return any(results)


async def _missing_refs(
    ctx: Context, spec: AgentSpec, namespace: str
) -> tuple[status_mod.MissingRef, ...]:
    """Which referenced Secrets or keys do not exist (one read per Secret)."""
    refs = referenced_secrets(spec)
    names = sorted({r.name for r in refs})
    keys = dict(
        zip(
            names,
            await asyncio.gather(*(ctx.kube.secret_keys(namespace, n) for n in names)),
            strict=True,
        )
    )
    return tuple(
        status_mod.MissingRef(secret=r.name, key=r.key, secret_exists=keys[r.name] is not None)
        for r in refs
        if keys[r.name] is None or r.key not in (keys[r.name] or ())
    )


# --- Status -----------------------------------------------------------------------------------


async def refresh_status(
    ctx: Context,
    state: AgentState,
    *,
    missing_refs: Sequence[status_mod.MissingRef] | None = None,
    invalid_spec: str | None = None,
    reconcile_error: str | None = None,
) -> bool:
    """Write the Agent's status if it differs from what it should be. True if written."""
    async with state.lock:
        if state.deleting or (state.selector is None and invalid_spec is None):
            return False
        if missing_refs is not None:
            state.missing_refs = tuple(missing_refs)
        facts = status_mod.Facts(
            generation=state.generation,
            desired_replicas=(state.body.get("spec") or {}).get("replicas"),
            selector=state.selector or "",
            endpoint=state.endpoint or "",
            deployment=ctx.deployment(state),
            missing_refs=state.missing_refs,
            invalid_spec=invalid_spec or state.invalid_spec,
            reconcile_error=reconcile_error or state.reconcile_error,
            foreign_child=state.foreign_child,
            observed=state.observed_generation == state.generation,
        )
        current = state.status
        desired = status_mod.desired_status(facts, current)
        patch = status_mod.status_patch(current, desired)
        if patch is None or (state.first_status_held and status_mod.rolling_out(desired)):
            return False
        state.first_status_held = False
        try:
            answer = await ctx.kube.patch_status(state.ref, patch)
        except KubeError as exc:
            if exc.status == 404:  # the Agent is gone: nothing to report on
                return False
            raise
        state.body["status"] = dict(answer.get("status") or {})
        return True


def hold_first_status(ctx: Context, state: AgentState) -> None:
    """Write a new Agent's first status only once its rollout shows (or after a while).

    A new Agent's status would otherwise be written twice: "RollingOut" right after its
    children are applied, and again a moment later when the Deployment's rollout arrives.
    """
    state.first_status_held = True

    async def release() -> None:
        await asyncio.sleep(FIRST_STATUS_HOLD_SECONDS)
        if state.first_status_held:
            state.first_status_held = False
            await _refresh_quietly(ctx, state)

    ctx.spawn(release())


def schedule_refresh(ctx: Context, state: AgentState) -> None:
    """Refresh the status soon, once for however many events arrive meanwhile."""
    if state.refresh_pending:
        return
    state.refresh_pending = True

    async def later() -> None:
        await asyncio.sleep(STATUS_DEBOUNCE_SECONDS)
        state.refresh_pending = False
        try:
            await refresh_status(ctx, state)
        except KubeError as exc:
            log.warning("Did not write the status of %s: %s", state.ref, exc)

    ctx.spawn(later())


def schedule_converge(ctx: Context, state: AgentState, why: str) -> None:
    """Converge the Agent from the cache soon, once per burst of child events.

    A child deleted because its Agent is being deleted is not restored: by the time the
    converge runs, the Agent's own watch has told the operator (its memory of Agents is the
    check, not a read per event). Should a child be restored in that instant anyway, its owner
    reference names the deleted Agent and the garbage collector removes it again.
    """
    if state.converge_pending:
        return
    state.converge_pending = True
    key = (state.body["metadata"]["namespace"], state.body["metadata"]["name"])

    async def later() -> None:
        await asyncio.sleep(CONVERGE_DEBOUNCE_SECONDS)
        state.converge_pending = False
        if ctx.agents.get(key) is not state or state.deleting:
            return  # the Agent is gone or going: its children go with it
        log.info("Noticed %s; converging Agent %s/%s", why, key[0], key[1])
        await reconcile_guarded(ctx, state, check_live=True, from_cache=True)

    ctx.spawn(later())


def child_event(ctx: Context, kind: str, body: Mapping[str, Any]) -> None:
    """A child changed: converge its Agent if the change is someone else's; follow rollouts.

    Only a change of content counts (the cache compares it); a status or version bump alone,
    or the echo of the operator's own apply, converges nothing.
    """
    ref = ObjectRef.of(body)
    deleted = kind == "DELETED"
    if deleted:
        body = ctx.children.get(ref) or body  # a relist's deletion brings only the address
        changed = ctx.children.forget(ref)
    else:
        changed = ctx.children.saw(body, ref)
    owner = agent_of(body)
    if owner is None:
        return
    key = (ref.namespace or "", owner.name)
    if ref.kind == "Deployment":
        if deleted:
            ctx.deployments.pop(key, None)
        else:
            ctx.saw_deployment(body)
    state = ctx.agents.get(key)
    if state is None or state.uid != owner.uid or state.deleting or ctx.paused:
        return
    if changed:
        schedule_converge(ctx, state, f"{ref} was {'deleted' if deleted else 'changed'}")
    if ref.kind == "Deployment" and not deleted:
        schedule_refresh(ctx, state)


async def _refresh_quietly(ctx: Context, state: AgentState, **facts: Any) -> None:
    with contextlib.suppress(KubeError):
        await refresh_status(ctx, state, **facts)


# --- Resync ---------------------------------------------------------------------------------


async def resync_forever(ctx: Context) -> None:
    """Every interval, reconcile every known Agent against the live children (drift check)."""
    interval = ctx.settings.resync_interval_seconds
    while True:
        await asyncio.sleep(interval * random.uniform(0.9, 1.1))  # noqa: S311 (jitter)
        if ctx.paused:  # another replica is active; this one's memory may be stale
            log.debug("Skipped the resync of Agents: another replica is active")
            continue
        await resync_all(ctx)


async def resync_all(ctx: Context) -> None:
    gate = asyncio.Semaphore(RESYNC_CONCURRENCY)

    async def one(state: AgentState) -> None:
        async with gate:
            if not state.deleting:
                await reconcile_guarded(ctx, state, check_live=True)

    await asyncio.gather(*(one(s) for s in list(ctx.agents.values())))
