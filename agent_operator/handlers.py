"""Kopf wiring: which events reconcile an Agent, and the one reconcile they all call.

An Agent is reconciled on create, update (of its spec) and resume (operator start), and again
every resync interval by one background loop, which corrects drift: a child deleted or edited
by hand is restored. The operator watches the Deployments it owns, so the Agent's status
follows its pods without polling, and a Deployment deleted by hand is restored at once.

No finalizers: children are owned through controller owner references, so the cluster's
garbage collector deletes them with the Agent, and a stopped operator never blocks a deletion.
Kopf keeps its own bookkeeping in annotations under `agent-operator.io/`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, cast

import kopf
from kopf._cogs.clients.errors import APIError as KopfApiError  # not re-exported by kopf
from prometheus_client import start_http_server

from agent_operator import status as status_mod
from agent_operator.builders import AgentMeta, DesiredChildren, build_children, referenced_secrets
from agent_operator.kube import Kube, KubeError, ObjectRef, is_current, with_applied_hash
from agent_operator.metrics import OperatorMetrics
from agent_operator.peering import configure_peering
from agent_operator.settings import OperatorSettings
from agent_operator.spec import AgentSpec, SpecError, parse_spec

GROUP, VERSION, PLURAL = "agent-operator.io", "v1alpha1", "agents"
AGENT_API_VERSION = f"{GROUP}/{VERSION}"
MANAGED = {"app.kubernetes.io/managed-by": "agent-operator"}
#: Agents reconciled at once by the resync loop: enough to keep the API busy, not flooded.
RESYNC_CONCURRENCY = 8
#: How long Kopf waits for the echo of its own patch before trusting an older event.
CONSISTENCY_TIMEOUT_SECONDS = 60.0
#: A Deployment's rollout comes as a burst of events; its status is written once per burst.
STATUS_DEBOUNCE_SECONDS = 0.25

Key = tuple[str, str]
log = logging.getLogger("agent_operator")


@dataclasses.dataclass
class AgentState:
    """What the operator holds in memory about one Agent between events."""

    body: dict[str, Any]
    lock: asyncio.Lock = dataclasses.field(default_factory=asyncio.Lock)
    selector: str | None = None
    endpoint: str | None = None
    missing_refs: tuple[status_mod.MissingRef, ...] | None = None
    invalid_spec: str | None = None
    reconcile_error: str | None = None
    foreign_child: str | None = None
    observed_generation: int | None = None
    refresh_pending: bool = False

    @property
    def ref(self) -> ObjectRef:
        meta = self.body["metadata"]
        return ObjectRef(AGENT_API_VERSION, "Agent", meta["namespace"], meta["name"])

    @property
    def generation(self) -> int:
        return int(self.body["metadata"].get("generation") or 1)

    @property
    def status(self) -> dict[str, Any]:
        return dict(self.body.get("status") or {})

    @property
    def deleting(self) -> bool:
        return bool(self.body["metadata"].get("deletionTimestamp"))


class Context:
    """The operator's shared state: API client, settings, per-Agent memory, metrics."""

    def __init__(self, settings: OperatorSettings, kube: Kube) -> None:
        self.settings = settings
        self.kube = kube
        self.agents: dict[Key, AgentState] = {}
        # Owned Deployments as last seen, by their Agent's key: kept even before the Agent is
        # seen, since after a restart the two watches deliver in no particular order.
        self.deployments: dict[Key, dict[str, Any]] = {}
        self.metrics = OperatorMetrics(lambda: [s.status for s in list(self.agents.values())])
        self.resync_task: asyncio.Task[None] | None = None
        self.background: set[asyncio.Task[None]] = set()

    def saw_deployment(self, body: Mapping[str, Any], *, answer: bool = False) -> None:
        """Remember an owned Deployment, unless what is known of it is newer.

        The watch delivers one Deployment's events in order, so an event replaces whatever is
        known of the same or an older generation. The `answer` to an apply comes through
        another channel, at its own pace: it carries the new generation before the watch does
        (without it, a status written right after an update would judge the new spec by the
        old rollout), but it can also arrive after the watch has shown that generation's
        rollout, and must not replace it then (the Agent would wait for a rollout already
        seen, until the Deployment changed again).
        """
        owner = _agent_owner(body)
        if owner is None:
            return
        key = (body["metadata"]["namespace"], owner)
        known = self.deployments.get(key)
        seen = _trim_deployment(body)
        if (
            known is None
            or seen["metadata"]["uid"] != known["metadata"]["uid"]  # deleted and made anew
            or _generation(seen) > _generation(known)
            or (not answer and _generation(seen) == _generation(known))
        ):
            self.deployments[key] = seen

    def deployment(self, state: AgentState) -> dict[str, Any] | None:
        """The Agent's Deployment as last seen, if it is owned by this very Agent."""
        meta = state.body["metadata"]
        dep = self.deployments.get((meta["namespace"], meta["name"]))
        return dep if dep is not None and dep["owner_uid"] == meta.get("uid") else None

    def state(self, body: Mapping[str, Any]) -> AgentState:
        """The state of the Agent in `body`, created or refreshed from it."""
        key = (body["metadata"]["namespace"], body["metadata"]["name"])
        trimmed = _trim(body)
        state = self.agents.get(key)
        if state is None or state.body["metadata"].get("uid") != trimmed["metadata"].get("uid"):
            state = self.agents[key] = AgentState(body=trimmed)
        else:
            state.body = trimmed
        return state


def _trim(body: Mapping[str, Any]) -> dict[str, Any]:
    """Only what the operator needs of an Agent, to keep memory small at thousands of Agents."""
    meta = body.get("metadata") or {}
    keep = ("name", "namespace", "uid", "generation", "resourceVersion", "deletionTimestamp")
    return {
        "apiVersion": AGENT_API_VERSION,
        "kind": "Agent",
        "metadata": {k: meta[k] for k in keep if k in meta},
        "spec": dict(body.get("spec") or {}),
        "status": dict(body.get("status") or {}),
    }


def _as_body(raw: Mapping[str, Any]) -> kopf.Body:
    return kopf.Body(cast(kopf.RawBody, dict(raw)))


def _ctx(memo: kopf.Memo) -> Context:
    ctx = memo.get("agent_operator")
    if not isinstance(ctx, Context):
        raise kopf.TemporaryError("The operator is still starting.", delay=1)
    return ctx


# --- Start-up and shutdown -------------------------------------------------------------------


@kopf.on.startup()
async def configure(settings: kopf.OperatorSettings, memo: kopf.Memo, **_: Any) -> None:
    """Kopf's bookkeeping in our annotations, Events only for warnings, shared state, metrics."""
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(
        prefix="agent-operator.io"
    )
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix="agent-operator.io", key="last-handled-configuration"
    )
    settings.posting.level = logging.WARNING
    # Under load the watch stream lags behind Kopf's own patches; once this wait runs out, Kopf
    # takes a stale body (without its last-handled annotation) for a new Agent and creates it
    # again. Kopf's 5 s default made every Agent be created twice at 1,000 Agents on 2 cores.
    settings.persistence.consistency_timeout = CONSISTENCY_TIMEOUT_SECONDS
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330
    operator_settings = OperatorSettings.from_env()
    configure_peering(settings, operator_settings)
    kube = Kube.from_environment(field_manager=operator_settings.field_manager)
    ctx = Context(operator_settings, kube)
    memo["agent_operator"] = ctx
    port = memo.get("metrics_port")
    if port:
        start_http_server(int(port), addr="0.0.0.0", registry=ctx.metrics.registry)
        log.info("Started metrics endpoint on port %s", port)
    ctx.resync_task = asyncio.create_task(_resync_forever(ctx), name="agent-operator resync")


@kopf.on.cleanup()
async def shutdown(memo: kopf.Memo, **_: Any) -> None:
    ctx = memo.get("agent_operator")
    if isinstance(ctx, Context):
        tasks = [*ctx.background, *([ctx.resync_task] if ctx.resync_task else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)  # before the API client closes
        ctx.kube.close()


# --- Watching: Agents and the Deployments they own ---------------------------------------------


@kopf.on.event(GROUP, VERSION, PLURAL)
async def remember_agent(
    event: Mapping[str, Any], body: kopf.Body, memo: kopf.Memo, **_: Any
) -> None:
    """Keep the latest view of every Agent; forget deleted ones."""
    ctx = _ctx(memo)
    if event.get("type") == "DELETED":
        ctx.agents.pop((body["metadata"]["namespace"], body["metadata"]["name"]), None)
        return
    ctx.state(body)


@kopf.on.event("apps", "v1", "deployments", labels=MANAGED)
async def follow_deployment(
    event: Mapping[str, Any], body: kopf.Body, memo: kopf.Memo, logger: kopf.Logger, **_: Any
) -> None:
    """An owned Deployment changed: update its Agent's status; restore it if deleted by hand."""
    ctx = _ctx(memo)
    owner = _agent_owner(body)
    if owner is None:
        return
    key = (body["metadata"]["namespace"], owner)
    deleted = event.get("type") == "DELETED"
    if deleted:
        ctx.deployments.pop(key, None)
    else:
        ctx.saw_deployment(body)
    state = ctx.agents.get(key)
    if state is None or state.body["metadata"].get("uid") != _owner_uid(body):
        return
    if deleted and not state.deleting:
        if not await _agent_still_there(ctx, state):  # deleted with its Agent: nothing to do
            ctx.agents.pop(key, None)
            return
        logger.info("Deployment %s was deleted; restoring it.", body["metadata"]["name"])
        await _reconcile_guarded(ctx, state, check_live=True)
    elif not deleted:
        schedule_refresh(ctx, state)


async def _agent_still_there(ctx: Context, state: AgentState) -> bool:
    """Whether the Agent exists and is not being deleted (asked of the API, not the cache).

    The garbage collector deletes the children of a deleted Agent, and their watch events can
    come before the Agent's own: restoring a child then would leave an orphan behind.
    """
    try:
        live = await ctx.kube.get(state.ref)
    except KubeError:
        return True  # cannot tell: restore, and let the owner reference sort it out
    meta = (live or {}).get("metadata") or {}
    return meta.get("uid") == state.body["metadata"].get("uid") and not meta.get(
        "deletionTimestamp"
    )


def _agent_owner(body: Mapping[str, Any]) -> str | None:
    for ref in body.get("metadata", {}).get("ownerReferences") or []:
        if (
            ref.get("controller")
            and ref.get("kind") == "Agent"
            and ref.get("apiVersion") == AGENT_API_VERSION
        ):
            return str(ref.get("name"))
    return None


def _owner_uid(body: Mapping[str, Any]) -> str | None:
    for ref in body.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("controller") and ref.get("kind") == "Agent":
            return str(ref.get("uid"))
    return None


def _generation(deployment: Mapping[str, Any]) -> int:
    return int((deployment.get("metadata") or {}).get("generation") or 0)


def _trim_deployment(body: Mapping[str, Any]) -> dict[str, Any]:
    meta = body.get("metadata") or {}
    return {
        "owner_uid": _owner_uid(body),
        "metadata": {
            "name": meta.get("name"),
            "uid": meta.get("uid"),
            "generation": meta.get("generation"),
        },
        "spec": {"replicas": (body.get("spec") or {}).get("replicas")},
        "status": dict(body.get("status") or {}),
    }


# --- Reconciling ---------------------------------------------------------------------------


@kopf.on.create(GROUP, VERSION, PLURAL)
async def on_create(body: kopf.Body, memo: kopf.Memo, retry: int, **_: Any) -> None:
    ctx = _ctx(memo)
    await reconcile(ctx, ctx.state(body), check_live=False, retry=retry)


@kopf.on.update(GROUP, VERSION, PLURAL, field="spec")
async def on_update(body: kopf.Body, memo: kopf.Memo, retry: int, **_: Any) -> None:
    ctx = _ctx(memo)
    await reconcile(ctx, ctx.state(body), check_live=True, retry=retry)


@kopf.on.resume(GROUP, VERSION, PLURAL)
async def on_resume(body: kopf.Body, memo: kopf.Memo, retry: int, **_: Any) -> None:
    ctx = _ctx(memo)
    await reconcile(ctx, ctx.state(body), check_live=True, retry=retry)


async def reconcile(ctx: Context, state: AgentState, *, check_live: bool, retry: int = 0) -> bool:
    """Make the children match the spec and the status match the children. True if it wrote.

    Each child is read first and written only if it differs (and only if this Agent controls
    it); `check_live` also deletes the children the spec no longer asks for (updates, resumes
    and resyncs). Raises kopf's errors for Kopf to retry.
    """
    started = time.perf_counter()
    result = "error"
    try:
        changed = await _reconcile(ctx, state, check_live=check_live, retry=retry)
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


async def _reconcile(ctx: Context, state: AgentState, *, check_live: bool, retry: int) -> bool:
    body, meta = state.body, state.body["metadata"]
    try:
        spec = parse_spec(body.get("spec") or {})
    except SpecError as exc:
        state.invalid_spec = str(exc)
        if await refresh_status(ctx, state, invalid_spec=str(exc)):
            kopf.warn(_as_body(body), reason="InvalidSpec", message=str(exc))
        raise kopf.PermanentError(f"Invalid spec: {exc}") from None
    state.invalid_spec = None
    agent_meta = AgentMeta(
        name=meta["name"],
        namespace=meta["namespace"],
        uid=meta.get("uid"),
        generation=state.generation,
    )
    desired = build_children(agent_meta, spec, ctx.settings)
    _remember_identity(state, desired)
    children = _adopted(desired.apply, body)
    try:
        missing, changed = await asyncio.gather(
            _missing_refs(ctx, spec, meta["namespace"]),
            _converge(ctx, children, desired, owner_uid=meta.get("uid"), check_live=check_live),
        )
    except ForeignChild as exc:
        state.foreign_child = str(exc)
        if await refresh_status(ctx, state):
            kopf.warn(_as_body(body), reason=status_mod.FOREIGN_CHILD, message=str(exc))
        delay = _backoff(retry, ctx.settings.secret_retry_max_delay_seconds)
        raise kopf.TemporaryError(str(exc), delay=delay) from None
    except KubeError as exc:
        state.reconcile_error = str(exc)
        await _refresh_quietly(ctx, state, reconcile_error=str(exc))
        if not exc.transient:
            kopf.warn(_as_body(body), reason="ApplyFailed", message=str(exc))
        raise _retry_later(ctx, exc, retry) from None
    state.reconcile_error = None
    state.foreign_child = None
    state.observed_generation = state.generation
    changed_refs = await refresh_status(ctx, state, missing_refs=missing)
    if missing:
        message = "; ".join(str(m) for m in missing)
        if changed_refs:
            kopf.warn(_as_body(body), reason="SecretsMissing", message=message)
        delay = _backoff(retry, ctx.settings.secret_retry_max_delay_seconds)
        raise kopf.TemporaryError(f"Waiting for Secrets: {message}", delay=delay)
    return changed


async def _reconcile_guarded(ctx: Context, state: AgentState, *, check_live: bool) -> None:
    """A reconcile outside Kopf's handlers (resync, restore): errors logged and counted only."""
    try:
        async with asyncio.timeout(120):
            await reconcile(ctx, state, check_live=check_live)
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
        kopf.append_owner_reference(child, owner=_as_body(owner))
        out.append(with_applied_hash(child))
    return out


class ForeignChild(Exception):
    """An object with a child's name exists but is not controlled by the Agent: left alone."""

    def __init__(self, ref: ObjectRef, live: Mapping[str, Any]) -> None:
        super().__init__(ref, _controller_of(live))
        self.ref = ref
        self.controller = _controller_of(live)

    def __str__(self) -> str:
        return (
            f"{self.ref} already exists and is controlled by {self.controller}, not by this "
            "Agent; it is left alone: delete or rename it"
        )


def _controller_of(live: Mapping[str, Any]) -> str:
    for ref in (live.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return f"{ref.get('kind')} {ref.get('name')} (uid {ref.get('uid')})"
    return "no controller"


def _controlled_by(live: Mapping[str, Any], owner_uid: str | None) -> bool:
    refs = (live.get("metadata") or {}).get("ownerReferences") or []
    return any(r.get("controller") and r.get("uid") == owner_uid for r in refs)


async def _converge(
    ctx: Context,
    children: Sequence[dict[str, Any]],
    desired: DesiredChildren,
    *,
    owner_uid: str | None,
    check_live: bool,
) -> bool:
    """Apply the children that differ, delete those no longer wanted. True if it wrote.

    Every child is read first, even for a new Agent: an object of the same name that this
    Agent does not control (someone else's, or a deleted Agent's) is never taken over or
    deleted; it raises `ForeignChild` instead.
    """

    async def apply(obj: dict[str, Any]) -> bool:
        ref = ObjectRef.of(obj)
        live = await ctx.kube.get(ref)
        if live is not None and not _controlled_by(live, owner_uid):
            raise ForeignChild(ref, live)
        if is_current(live, obj):
            return False
        applied = await ctx.kube.apply(obj)
        if obj["kind"] == "Deployment":
            ctx.saw_deployment(applied, answer=True)
        ctx.metrics.api_writes.labels(kind=obj["kind"], action="apply").inc()
        log.info("Applied %s", ref)
        return True

    async def delete(ref: ObjectRef) -> bool:
        live = await ctx.kube.get(ref)
        if live is None or not _controlled_by(live, owner_uid):
            return False
        deleted = await ctx.kube.delete(ref)
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
        if patch is None:
            return False
        try:
            answer = await ctx.kube.patch_status(state.ref, patch)
        except KubeError as exc:
            if exc.status == 404:  # the Agent is gone: nothing to report on
                return False
            raise
        state.body["status"] = dict(answer.get("status") or {})
        return True


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

    task = asyncio.create_task(later())
    ctx.background.add(task)
    task.add_done_callback(ctx.background.discard)


async def _refresh_quietly(ctx: Context, state: AgentState, **facts: Any) -> None:
    with contextlib.suppress(KubeError):
        await refresh_status(ctx, state, **facts)


# --- Resync ---------------------------------------------------------------------------------


async def _resync_forever(ctx: Context) -> None:
    """Every interval, reconcile every known Agent against the live children (drift check)."""
    interval = ctx.settings.resync_interval_seconds
    while True:
        await asyncio.sleep(interval * random.uniform(0.9, 1.1))  # noqa: S311 (jitter)
        await resync_all(ctx)


async def resync_all(ctx: Context) -> None:
    gate = asyncio.Semaphore(RESYNC_CONCURRENCY)

    async def one(state: AgentState) -> None:
        async with gate:
            if not state.deleting:
                await _reconcile_guarded(ctx, state, check_live=True)

    await asyncio.gather(*(one(s) for s in list(_live_states(ctx))))


def _live_states(ctx: Context) -> Iterator[AgentState]:
    yield from ctx.agents.values()


# --- Entry point ----------------------------------------------------------------------------


class TransientApiErrorsInOneLine(logging.Filter):
    """Kopf logs a few API errors it then retries (a 409 on its own patch) with a traceback.

    An expected transient fault (conflict, throttling, server trouble) is one line that names
    it; the traceback is kept for everything else, where it helps.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, KopfApiError) and (exc.status in (409, 429) or exc.status >= 500):
            record.exc_info = None
            record.exc_text = None
        return True


class QuietWatchHandlers(logging.Filter):
    """Kopf logs "Handler 'x' succeeded." at INFO for every event a watching handler sees.

    `remember_agent` and `follow_deployment` see every event of every Agent and Deployment: 7
    of the 15 lines a new Agent wrote at the default level, none saying anything happened. What
    the operator did is logged by the reconcile ("Applied Deployment demo/weather"); these
    lines are kept for `--verbose` and `--debug`.
    """

    def __init__(self) -> None:
        super().__init__()
        watching = ("remember_agent", "follow_deployment")  # Kopf's ids: the function names
        self.quiet = frozenset(f"Handler {name!r} succeeded." for name in watching)

    def filter(self, record: logging.LogRecord) -> bool:
        # Only strings are looked up: a message may be any object, even an unhashable one.
        return not (isinstance(record.msg, str) and record.msg in self.quiet)


def run(
    *,
    namespaces: Sequence[str] = (),
    clusterwide: bool = False,
    liveness_endpoint: str | None = None,
    metrics_port: int | None = None,
    verbose: bool = False,
    debug: bool = False,
) -> None:
    """Run the operator until interrupted (`agent-operator run`)."""
    kopf.configure(verbose=verbose, debug=debug)
    for handler in logging.getLogger().handlers:
        handler.addFilter(TransientApiErrorsInOneLine())
    if not debug:  # one line per API call is for debugging only
        logging.getLogger("urllib3").setLevel(logging.WARNING)
    if not (verbose or debug):
        logging.getLogger("kopf.objects").addFilter(QuietWatchHandlers())
    memo = kopf.Memo(metrics_port=metrics_port)
    asyncio.run(
        kopf.operator(
            clusterwide=clusterwide or not namespaces,
            namespaces=list(namespaces),
            liveness_endpoint=liveness_endpoint,
            standalone=True,
            memo=memo,
        )
    )
