"""The engine is built in the app's lifespan: `with TestClient(app):` serves in-process."""

from fastapi.testclient import TestClient

from agent_runtime.app import create_app
from agent_runtime.config import RuntimeConfig
from agent_runtime.loop import Agent
from agent_runtime.telemetry import Metrics
from tests.runtime_service.conftest import AGENT, ConfigFactory


def test_the_engine_is_built_when_the_app_starts_not_before(make_config: ConfigFactory) -> None:
    built: list[Agent] = []

    def remember(config: RuntimeConfig, metrics: Metrics) -> Agent:
        built.append(Agent(config, metrics=metrics))
        return built[-1]

    app = create_app(make_config(), engine_factory=remember)
    assert built == []
    with TestClient(app) as client:
        assert len(built) == 1
        assert client.get("/readyz").status_code == 200
        answer = client.post(
            "/v1/chat/completions",
            json={"model": AGENT, "messages": [{"role": "user", "content": "in process"}]},
        )
        assert answer.json()["choices"][0]["message"]["content"] == "You said: in process"
    assert len(built) == 1


def test_each_app_counts_in_its_own_metrics(make_config: ConfigFactory) -> None:
    metrics = Metrics()
    with TestClient(create_app(make_config(), metrics=metrics)) as client:
        client.post("/v1/chat/completions", json={"messages": []})
    assert metrics.value("agent_requests_total", {"status": "422"}) == 1.0
    assert metrics.value("agent_requests_total", {"status": "200"}) == 0.0
