"""`/healthz`, `/readyz` and `/metrics`: open to the kubelet and Prometheus."""

import httpx
from openai import OpenAI

from tests.runtime_service.conftest import AGENT, ConfigFactory, Runtime, serving


def test_healthz_says_the_process_answers(runtime: Runtime) -> None:
    response = httpx.get(f"{runtime.url}/healthz", timeout=10)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_readyz_is_200_when_the_engine_is_ready(runtime: Runtime) -> None:
    response = httpx.get(f"{runtime.url}/readyz", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "reasons": []}


def test_metrics_count_served_requests_by_status(runtime: Runtime) -> None:
    with OpenAI(api_key="unused", base_url=f"{runtime.url}/v1", max_retries=0) as client:
        client.chat.completions.create(model=AGENT, messages=[{"role": "user", "content": "a"}])
    httpx.post(f"{runtime.url}/v1/chat/completions", content=b"{", timeout=10)
    response = httpx.get(f"{runtime.url}/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert 'agent_requests_total{status="200"} 1.0' in response.text
    assert 'agent_requests_total{status="400"} 1.0' in response.text
    assert "agent_request_duration_seconds_count 2.0" in response.text


def test_probes_are_not_counted_as_requests(runtime: Runtime) -> None:
    httpx.get(f"{runtime.url}/healthz", timeout=10)
    httpx.get(f"{runtime.url}/readyz", timeout=10)
    assert runtime.metrics.value("agent_request_duration_seconds_count") == 0.0


def test_openapi_document_describes_the_chat_route(runtime: Runtime) -> None:
    document = httpx.get(f"{runtime.url}/openapi.json", timeout=10).json()
    assert "/v1/chat/completions" in document["paths"]
    assert "ChatCompletionRequest" in document["components"]["schemas"]


def test_readyz_is_503_with_reasons_when_an_mcp_server_is_unreachable(
    make_config: ConfigFactory,
) -> None:
    unreachable = {"name": "docs", "mcp": {"url": "http://127.0.0.1:9/mcp", "timeoutSeconds": 1}}
    with serving(make_config(tools=[unreachable])) as runtime:
        response = httpx.get(f"{runtime.url}/readyz", timeout=10)
        healthz = httpx.get(f"{runtime.url}/healthz", timeout=10)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not ready"
    assert any("docs" in reason for reason in body["reasons"])
    assert healthz.status_code == 200
