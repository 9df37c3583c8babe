"""The service's routes, as one `APIRouter`: chat completions, models, probes, metrics.

- `POST /v1/chat/completions`: runs the agent's whole tool loop and answers the final
  assistant message, or streams it as server-sent events in Mistral's chunk format;
- `GET /v1/models`, `GET /v1/models/{id}`: the agent, as one model;
- `GET /healthz` (the process answers), `GET /readyz` (the engine, and the conversation store
  if any, are ready), `GET /metrics`.

The routes read what the lifespan built from `request.app.state` (`ServiceState`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from agent_runtime.auth import BearerAuth
from agent_runtime.chat import ChatEncoder
from agent_runtime.config import RuntimeConfig
from agent_runtime.engine import Engine
from agent_runtime.errors import ModelNotFound
from agent_runtime.loop import RequestOptions
from agent_runtime.middleware import CHAT_PATH
from agent_runtime.protocol import (
    ChatCompletionRequest,
    ChatCompletionResponse,
    ErrorBody,
    Health,
    ModelCard,
    ModelList,
)
from agent_runtime.sse import KEEPALIVE_SECONDS, event_stream
from agent_runtime.stats import stats_of
from agent_runtime.store import ConversationStore, check_budget
from agent_runtime.store.meter import StoreMeter
from agent_runtime.telemetry import Metrics


@dataclass
class ServiceState:
    """What the lifespan builds for the routes: the config, the engine, auth and metrics.

    `store` is the conversation store of a stateful agent, None for a stateless one.
    """

    config: RuntimeConfig
    engine: Engine
    auth: BearerAuth
    metrics: Metrics
    created_at: int
    #: Seconds of silence before a stream sends a keep-alive (shorter in tests).
    keepalive_seconds: float = KEEPALIVE_SECONDS
    store: ConversationStore | None = None

    @property
    def agent_name(self) -> str:
        return self.config.agent.name


def state_of(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service
    return state


# `async def` although it never waits: FastAPI runs a plain `def` dependency on a worker
# thread, a thread hop on every request for a string comparison.
async def require_token(request: Request) -> None:
    state_of(request).auth.check(request.headers.get("authorization"))


#: The error answers of the guarded routes, for the OpenAPI document.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in {
        400: "The body is not valid JSON, or the tool_choice names a tool the agent lacks.",
        401: "A bearer token is required, or the one sent is not valid.",
        404: "The model named is not this agent.",
        413: "The body is larger than the configured limit.",
        422: "A field is missing, of the wrong type, or unknown.",
    }.items()
}

router = APIRouter()


@router.post(
    CHAT_PATH,
    response_model=ChatCompletionResponse,
    responses={
        200: {"content": {"text/event-stream": {"description": "Chunks, when stream is true."}}},
        **ERROR_RESPONSES,
    },
    dependencies=[Depends(require_token)],
    summary="Run the agent on a conversation and answer its final message.",
)
async def chat_completions(body: ChatCompletionRequest, request: Request) -> Response:
    state = state_of(request)
    if body.model is not None and body.model != state.agent_name:
        raise ModelNotFound(body.model, state.agent_name)
    stats = stats_of(request.scope)
    stats.stream = body.stream
    messages = body.engine_messages()
    options = RequestOptions(
        temperature=body.temperature,
        top_p=body.top_p,
        max_tokens=body.effective_max_tokens(),
        response_format=body.response_format_dict(),
        stop=[body.stop] if isinstance(body.stop, str) else body.stop,
        random_seed=body.effective_seed(),
        tool_choice=body.engine_tool_choice(),
        meter=await daily_meter(state),
    )
    log_content = state.config.observability.log_content
    if log_content:
        stats.content["request_messages"] = messages
    encoder = ChatEncoder(state.agent_name, stats, log_content, state.keepalive_seconds)
    events = state.engine.run(messages, options, stream=body.stream)
    if body.stream:
        opening = await encoder.opening(events)
        return event_stream(encoder.chunks(opening, events))
    answer = await encoder.answer(events)
    return JSONResponse(answer.model_dump(mode="json"))


async def daily_meter(state: ServiceState) -> StoreMeter | None:
    """The agent's daily budget for a stateless request; `BudgetExceededError` when spent."""
    budget = state.config.budget
    if state.store is None or budget is None:
        return None
    check_budget(await state.store.usage(None), budget, datetime.now(UTC))
    return StoreMeter(state.store, None, budget, state.metrics, state.agent_name)


def model_card(state: ServiceState) -> ModelCard:
    namespace = state.config.agent.namespace
    return ModelCard(
        id=state.agent_name,
        created=state.created_at,
        owned_by=namespace,
        name=state.agent_name,
        description=f"The agent {namespace}/{state.agent_name}.",
        capabilities={"completion_chat": True, "function_calling": False},
    )


@router.get("/v1/models", response_model=ModelList, dependencies=[Depends(require_token)])
async def list_models(request: Request) -> ModelList:
    return ModelList(data=[model_card(state_of(request))])


@router.get(
    "/v1/models/{model_id}",
    response_model=ModelCard,
    responses={404: ERROR_RESPONSES[404]},
    dependencies=[Depends(require_token)],
)
async def retrieve_model(model_id: str, request: Request) -> ModelCard:
    state = state_of(request)
    if model_id != state.agent_name:
        raise ModelNotFound(model_id, state.agent_name)
    return model_card(state)


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"model": Health}})
async def readyz(request: Request) -> Response:
    state = state_of(request)
    reasons = state.engine.readiness()
    if state.store is not None:
        health = await state.store.health()
        if not health.ok:
            reasons.append(health.reason or f"the {health.store} conversation store is not ready")
    if reasons:
        body = Health(status="not ready", reasons=reasons)
        return JSONResponse(body.model_dump(), status_code=503)
    return JSONResponse(Health(status="ready").model_dump())


@router.get("/metrics", response_class=Response)
async def prometheus_metrics(request: Request) -> Response:
    registry = state_of(request).metrics.registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
