"""`GET /v1/models`: the agent, listed as one model, for both clients."""

import httpx
from mistralai.client import Mistral
from openai import OpenAI

from tests.runtime_service.conftest import AGENT, Runtime


def test_the_agent_is_listed_as_the_one_model(runtime: Runtime) -> None:
    body = httpx.get(f"{runtime.url}/v1/models", timeout=10).json()
    assert body["object"] == "list"
    assert [m["id"] for m in body["data"]] == [AGENT]
    assert body["data"][0]["owned_by"] == "demo"


def test_openai_client_lists_the_agent(runtime: Runtime) -> None:
    with OpenAI(api_key="unused", base_url=f"{runtime.url}/v1", max_retries=0) as client:
        assert [m.id for m in client.models.list()] == [AGENT]
        assert client.models.retrieve(AGENT).id == AGENT


def test_mistral_client_lists_the_agent(runtime: Runtime) -> None:
    with Mistral(api_key="unused", server_url=runtime.url) as client:
        models = client.models.list()
    assert [m.id for m in models.data or []] == [AGENT]


def test_another_model_is_not_found(runtime: Runtime) -> None:
    response = httpx.get(f"{runtime.url}/v1/models/mistral-large-latest", timeout=10)
    assert response.status_code == 404
    assert response.json()["code"] == "model_not_found"


def test_a_completion_for_another_model_is_refused(runtime: Runtime) -> None:
    response = httpx.post(
        f"{runtime.url}/v1/chat/completions",
        json={"model": "billing", "messages": [{"role": "user", "content": "hi"}]},
        timeout=10,
    )
    assert response.status_code == 404
    assert response.json()["param"] == "model"
    assert "billing" in response.json()["message"]


def test_a_completion_without_a_model_is_served_by_the_agent(runtime: Runtime) -> None:
    response = httpx.post(
        f"{runtime.url}/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "hi"}]},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.json()["model"] == AGENT
