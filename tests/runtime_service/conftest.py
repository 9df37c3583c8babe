"""Fixtures of the service tests: the fake model, a tool server, and runtimes on 127.0.0.1.

Every server here is real uvicorn on a free port of 127.0.0.1, in a background thread, and
every wait is bounded by `SERVER_WAIT_SECONDS`; clients are the real `mistralai`, `openai`
and `httpx` clients over HTTP.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agent_runtime.app import create_app
from agent_runtime.config import RuntimeConfig
from agent_runtime.engine import EngineFactory
from agent_runtime.mockllm import MockLLM, running_mock_llm
from agent_runtime.sse import KEEPALIVE_SECONDS
from agent_runtime.telemetry import Metrics
from agent_runtime.testing import SERVER_WAIT_SECONDS, running_app

#: The name of the agent the tests serve; clients name it as their model.
AGENT = "weather"
#: The fake model's API key, as mounted from a Secret.
MODEL_KEY = "mock-model-key-0123"

ConfigFactory = Callable[..., RuntimeConfig]


@dataclass
class Runtime:
    """A runtime served on 127.0.0.1: its URL, its config and its metrics."""

    url: str
    config: RuntimeConfig
    metrics: Metrics


@dataclass
class ToolServer:
    """A tiny HTTP tool: answers the weather of `city` and records what it was asked."""

    url: str = ""
    calls: list[dict[str, str]] = field(default_factory=list)


@contextlib.contextmanager
def serving(
    config: RuntimeConfig,
    engine_factory: EngineFactory | None = None,
    tracer_provider: TracerProvider | None = None,
    keepalive_seconds: float = KEEPALIVE_SECONDS,
) -> Iterator[Runtime]:
    """Serve `config` (with the real engine by default) under uvicorn; stop it on exit."""
    metrics = Metrics()
    app = create_app(
        config,
        metrics=metrics,
        engine_factory=engine_factory,
        tracer_provider=tracer_provider,
        keepalive_seconds=keepalive_seconds,
    )
    with running_app(app, log_config=None, log_level=None, access_log=False, lifespan="on") as url:
        yield Runtime(url=url, config=config, metrics=metrics)


@pytest.fixture
def mock_llm() -> Iterator[MockLLM]:
    """The fake Mistral model, on a free port of 127.0.0.1."""
    with running_mock_llm() as mock:
        yield mock


@pytest.fixture
def tool_server() -> Iterator[ToolServer]:
    """An HTTP tool on 127.0.0.1: `GET /weather?city=...`."""
    tool = ToolServer()

    async def weather(request: Request) -> Response:
        tool.calls.append(dict(request.query_params))
        city = request.query_params.get("city", "")
        return JSONResponse({"city": city, "temperature_c": 21, "condition": "sunny"})

    app = Starlette(routes=[Route("/weather", weather, methods=["GET"])])
    with running_app(app) as url:
        tool.url = url
        yield tool


@pytest.fixture
def model_key_file(tmp_path: Path) -> Path:
    path = tmp_path / "model-key"
    path.write_text(MODEL_KEY)
    return path


@pytest.fixture
def make_config(mock_llm: MockLLM, model_key_file: Path) -> ConfigFactory:
    """A config of the agent `weather` on the fake model; keyword arguments override fields."""

    def make(**overrides: Any) -> RuntimeConfig:
        data: dict[str, Any] = {
            "agent": {"name": AGENT, "namespace": "demo"},
            "model": {
                "name": "mock-large",
                "endpoint": mock_llm.url,
                "apiKey": {"file": str(model_key_file)},
                "retry": {"attempts": 1},
            },
            "instructions": "You answer weather questions.",
        }
        data.update(overrides)
        return RuntimeConfig.model_validate(data)

    return make


def weather_tool_at(base_url: str) -> dict[str, Any]:
    """The declaration of the HTTP tool `get_weather`, served at `base_url`/weather."""
    return {
        "name": "get_weather",
        "description": "Get the current weather of a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
        "http": {"url": f"{base_url}/weather", "method": "GET", "retry": {"attempts": 1}},
    }


@pytest.fixture
def weather_tool(tool_server: ToolServer) -> dict[str, Any]:
    """The declaration of the HTTP tool `get_weather`, served by `tool_server`."""
    return weather_tool_at(tool_server.url)


@pytest.fixture
def runtime(make_config: ConfigFactory) -> Iterator[Runtime]:
    """The agent `weather`, without tools, served on 127.0.0.1."""
    with serving(make_config()) as served:
        yield served


@pytest.fixture
def tool_runtime(make_config: ConfigFactory, weather_tool: dict[str, Any]) -> Iterator[Runtime]:
    """The agent `weather` with its HTTP tool, served on 127.0.0.1."""
    with serving(make_config(tools=[weather_tool])) as served:
        yield served


def wait_for_requests_counted(runtime: Runtime, count: int, status: str = "200") -> float:
    """The agent's request count once it reaches `count`: it is counted after the answer."""
    deadline = time.monotonic() + SERVER_WAIT_SECONDS
    while (seen := runtime.metrics.value("agent_requests_total", {"status": status})) < count:
        if time.monotonic() > deadline:
            break
        time.sleep(0.01)
    return seen
