"""The HTTP service of one agent: the factory of its FastAPI app, and its lifespan.

`create_app(config)` builds the app; its `lifespan` builds the shared state (the engine,
started; the auth check; the metrics) so tests enter it with `with TestClient(app):` and a
server builds it once per worker. The routes are in `routes`, the middleware (one concern
each) in `middleware`, the error answers in `errors`, the encoding of the engine's events in
`chat` and `sse`, and of Mistral's Conversations API, on the conversation store opened here,
in `conversations`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from opentelemetry import trace
from starlette.middleware import Middleware

from agent_runtime import a2a_server, responses
from agent_runtime.auth import BearerAuth
from agent_runtime.config import RuntimeConfig
from agent_runtime.conversations import router as conversations_router
from agent_runtime.engine import Engine, EngineFactory
from agent_runtime.errors import install_error_handlers
from agent_runtime.logs import logger
from agent_runtime.loop import Agent
from agent_runtime.middleware import (
    BodyLimitMiddleware,
    CrashGuardMiddleware,
    MetricsMiddleware,
    RequestLogMiddleware,
    TracingMiddleware,
)
from agent_runtime.routes import ServiceState, router
from agent_runtime.sse import KEEPALIVE_SECONDS
from agent_runtime.store import open_store
from agent_runtime.telemetry import Metrics, get_tracer

__all__ = ["Engine", "EngineFactory", "create_app"]


def create_app(
    config: RuntimeConfig,
    *,
    engine_factory: EngineFactory | None = None,
    metrics: Metrics | None = None,
    tracer_provider: trace.TracerProvider | None = None,
    keepalive_seconds: float = KEEPALIVE_SECONDS,
) -> FastAPI:
    """The service of one agent; the engine is built and started in the lifespan.

    By default the engine is `loop.Agent`, sharing the service's metrics and tracer provider.
    `keepalive_seconds` is how long a stream stays silent before a keep-alive comment.
    """
    metrics = metrics if metrics is not None else Metrics()
    auth = BearerAuth(config.auth.bearer_token)

    def default_engine(config: RuntimeConfig, metrics: Metrics) -> Engine:
        return Agent(config, metrics=metrics, tracer_provider=tracer_provider)

    build_engine = engine_factory if engine_factory is not None else default_engine

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = open_store(config)
        engine = build_engine(config, metrics)
        await engine.start()
        app.state.service = ServiceState(
            config,
            engine,
            auth,
            metrics,
            int(time.time()),
            keepalive_seconds=keepalive_seconds,
            store=store,
        )
        name = config.agent.name
        logger.info(
            "Started agent runtime",
            extra={"fields": {"agent": name, "namespace": config.agent.namespace}},
        )
        try:
            yield
        finally:
            await engine.aclose()
            if store is not None:
                await store.aclose()
            logger.info("Stopped agent runtime", extra={"fields": {"agent": name}})

    app = FastAPI(
        title=f"Agent {config.agent.name}",
        description="A Mistral/OpenAI-compatible chat completions API served by one agent.",
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        # Outermost first: the span encloses the log line, which sees the crash guard's 500.
        middleware=[
            Middleware(TracingMiddleware, tracer=get_tracer(tracer_provider)),
            Middleware(RequestLogMiddleware),
            Middleware(MetricsMiddleware, metrics=metrics),
            Middleware(CrashGuardMiddleware),
            Middleware(BodyLimitMiddleware, max_body_bytes=config.limits.max_request_bytes),
        ],
    )
    install_error_handlers(app, auth)
    app.include_router(router)
    app.include_router(conversations_router)
    responses.install(app)
    a2a_server.install(app, config)
    return app
