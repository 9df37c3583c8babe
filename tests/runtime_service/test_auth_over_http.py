"""Bearer-token auth over HTTP: the API needs the token, the probes and metrics stay open."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mistralai.client import Mistral
from mistralai.client.errors import SDKError
from openai import AuthenticationError, OpenAI

from tests.runtime_service.conftest import AGENT, ConfigFactory, Runtime, serving

TOKEN = "api-token-5f1c9e"
HELLO: list[Any] = [{"role": "user", "content": "hi"}]


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "api-token"
    path.write_text(TOKEN + "\n")
    return path


@pytest.fixture
def guarded(make_config: ConfigFactory, token_file: Path) -> Iterator[Runtime]:
    config = make_config(auth={"bearerToken": {"file": str(token_file)}})
    with serving(config) as runtime:
        yield runtime


def chat(runtime: Runtime, token: str | None) -> httpx.Response:
    headers = {} if token is None else {"authorization": f"Bearer {token}"}
    return httpx.post(
        f"{runtime.url}/v1/chat/completions",
        json={"model": AGENT, "messages": HELLO},
        headers=headers,
        timeout=10,
    )


def test_a_request_without_a_token_is_a_401_asking_for_bearer(guarded: Runtime) -> None:
    response = chat(guarded, None)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["type"] == "authentication_error"


def test_a_request_with_a_wrong_token_is_a_401(guarded: Runtime) -> None:
    response = chat(guarded, "not-the-token")
    assert response.status_code == 401
    assert TOKEN not in response.text


def test_a_request_with_the_token_is_served(guarded: Runtime) -> None:
    assert chat(guarded, TOKEN).status_code == 200


def test_the_model_list_needs_the_token_too(guarded: Runtime) -> None:
    assert httpx.get(f"{guarded.url}/v1/models", timeout=10).status_code == 401


def test_clients_send_their_api_key_as_the_token(guarded: Runtime) -> None:
    with Mistral(api_key=TOKEN, server_url=guarded.url) as mistral:
        answer = mistral.chat.complete(model=AGENT, messages=HELLO)
    assert answer.choices[0].message.content == "You said: hi"
    with OpenAI(api_key=TOKEN, base_url=f"{guarded.url}/v1", max_retries=0) as openai:
        assert openai.chat.completions.create(model=AGENT, messages=HELLO).choices


def test_clients_with_a_wrong_key_get_an_authentication_error(guarded: Runtime) -> None:
    with (
        OpenAI(api_key="wrong", base_url=f"{guarded.url}/v1", max_retries=0) as openai,
        pytest.raises(AuthenticationError),
    ):
        openai.chat.completions.create(model=AGENT, messages=HELLO)
    with (
        Mistral(api_key="wrong", server_url=guarded.url) as mistral,
        pytest.raises(SDKError) as caught,
    ):
        mistral.chat.complete(model=AGENT, messages=HELLO)
    assert caught.value.status_code == 401


def test_a_rotated_token_is_used_without_a_restart(guarded: Runtime, token_file: Path) -> None:
    token_file.write_text("rotated-token-77")
    assert chat(guarded, TOKEN).status_code == 401
    assert chat(guarded, "rotated-token-77").status_code == 200


def test_probes_and_metrics_need_no_token(guarded: Runtime) -> None:
    for path in ("/healthz", "/readyz", "/metrics"):
        assert httpx.get(guarded.url + path, timeout=10).status_code == 200, path


def test_an_unreadable_token_refuses_every_request(guarded: Runtime, token_file: Path) -> None:
    token_file.unlink()
    response = chat(guarded, TOKEN)
    assert response.status_code == 503
    assert response.json()["code"] == "auth_unavailable"
