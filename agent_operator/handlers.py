"""Kopf wiring: which events reach the reconcile, and how the operator starts and stops.

An Agent is reconciled on create, update (of its spec) and resume (operator start), and again
every resync interval by one background loop (`reconcile.resync_forever`). Every kind of child
is watched through the managed label, by plain streams outside Kopf (`childwatch`): a child
deleted or edited by hand is restored within a second by the same converge, and the Agent's
status follows its Deployment without polling.

No finalizers: children are owned through controller owner references, so the cluster's
garbage collector deletes them with the Agent, and a stopped operator never blocks a deletion.
Kopf keeps its own bookkeeping in annotations under `agent-operator.io/`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Mapping, Sequence
from typing import Any, cast

import kopf
from prometheus_client import start_http_server

from agent_operator import reconcile as rec
from agent_operator.childwatch import ChildWatches
from agent_operator.kube import Kube
from agent_operator.logfilters import JsonLines, QuietWatchHandlers, TransientApiErrorsInOneLine
from agent_operator.peering import configure_peering, follow_pause, own_identity
from agent_operator.settings import OperatorSettings
from agent_operator.spec import GROUP, PLURAL, VERSION
from agent_operator.state import Context

#: How long Kopf waits for the echo of its own patch before trusting an older event.
CONSISTENCY_TIMEOUT_SECONDS = 60.0

log = logging.getLogger("agent_operator")


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
    ctx.resync_task = asyncio.create_task(rec.resync_forever(ctx), name="agent-operator resync")
    watches = ChildWatches(
        kube,
        rec.MANAGED_SELECTOR,
        memo.get("namespaces") or (),
        functools.partial(rec.child_event, ctx),
        ctx.children.refs,
    )
    ctx.children_listed = watches.ready
    ctx.spawn(watches.run())
    if not settings.peering.standalone:

        def pause(paused: bool) -> None:
            if paused != ctx.paused:
                log.info("%s the resync of Agents", "Paused" if paused else "Resumed")
            ctx.paused = paused

        ctx.spawn(
            follow_pause(kube, settings, memo["identity"], memo.get("namespaces") or (), pause)
        )


@kopf.on.cleanup()
async def shutdown(memo: kopf.Memo, **_: Any) -> None:
    ctx = memo.get("agent_operator")
    if isinstance(ctx, Context):
        tasks = [*ctx.background, *([ctx.resync_task] if ctx.resync_task else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)  # before the API client closes
        ctx.kube.close()


# --- Watching: Agents and every kind of child ---------------------------------------------


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


# --- Reconciling ---------------------------------------------------------------------------


@kopf.on.create(GROUP, VERSION, PLURAL)
async def on_create(body: kopf.Body, memo: kopf.Memo, retry: int, **_: Any) -> None:
    ctx = _ctx(memo)
    await ctx.children_listed.wait()
    await rec.reconcile(ctx, ctx.state(body), check_live=False, from_cache=True, retry=retry)


@kopf.on.update(GROUP, VERSION, PLURAL, field="spec")
async def on_update(body: kopf.Body, memo: kopf.Memo, retry: int, **_: Any) -> None:
    ctx = _ctx(memo)
    await ctx.children_listed.wait()
    await rec.reconcile(ctx, ctx.state(body), check_live=True, from_cache=True, retry=retry)


@kopf.on.resume(GROUP, VERSION, PLURAL)
async def on_resume(body: kopf.Body, memo: kopf.Memo, retry: int, **_: Any) -> None:
    ctx = _ctx(memo)
    await rec.reconcile(ctx, ctx.state(body), check_live=True, retry=retry)


# --- Entry point ----------------------------------------------------------------------------


def run(
    *,
    namespaces: Sequence[str] = (),
    clusterwide: bool = False,
    liveness_endpoint: str | None = None,
    metrics_port: int | None = None,
    verbose: bool = False,
    debug: bool = False,
    log_format: str = "json",
) -> None:
    """Run the operator until interrupted (`agent-operator run`)."""
    kopf.configure(verbose=verbose, debug=debug)
    for handler in logging.getLogger().handlers:
        handler.addFilter(TransientApiErrorsInOneLine())
        if log_format == "json":
            handler.setFormatter(JsonLines())
    if not debug:  # one line per API call is for debugging only
        logging.getLogger("urllib3").setLevel(logging.WARNING)
    if not (verbose or debug):
        logging.getLogger("kopf.objects").addFilter(
            QuietWatchHandlers(("remember_agent", "keep_published_status"))
        )
    identity = own_identity()
    memo = kopf.Memo(
        metrics_port=metrics_port,
        namespaces=() if clusterwide else namespaces,
        identity=identity,
    )
    asyncio.run(
        kopf.operator(
            clusterwide=clusterwide or not namespaces,
            namespaces=list(namespaces),
            liveness_endpoint=liveness_endpoint,
            standalone=True,
            identity=cast(Any, identity),  # Kopf's Identity is a str
            memo=memo,
        )
    )
