"""A request the loop cannot finish is answered with the engine's status, code and message."""

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mistralai.client import Mistral
from mistralai.client.errors import MistralError
from openai import OpenAI, UnprocessableEntityError

from agent_runtime.mockllm import MockLLM
from tests.runtime_service.conftest import AGENT, ConfigFactory, Runtime, serving

WEATHER: list[Any] = [{"role": "user", "content": "Weather in Nice?"}]


@pytest.fixture
def one_turn(make_config: ConfigFactory, weather_tool: dict[str, Any]) -> Iterator[Runtime]:
    """An agent allowed a single model call, whose model always calls a tool first."""
    with serving(make_config(tools=[weather_tool], limits={"maxTurns": 1})) as runtime:
        yield runtime


def test_max_turns_reached_is_a_422_with_the_engines_code(one_turn: Runtime) -> None:
    response = httpx.post(
        f"{one_turn.url}/v1/chat/completions", json={"messages": WEATHER}, timeout=30
    )
    assert response.status_code == 422
    body = response.json()
    assert body["object"] == "error"
    assert body["code"] == "max_turns_exceeded"
    assert "maxTurns=1" in body["message"]


def test_mistral_client_sees_the_loop_error_message(one_turn: Runtime) -> None:
    with (
        Mistral(api_key="unused", server_url=one_turn.url) as client,
        pytest.raises(MistralError, match="max_turns_exceeded") as caught,
    ):
        client.chat.complete(model=AGENT, messages=WEATHER)
    assert caught.value.status_code == 422


def test_openai_client_sees_the_loop_error_code(one_turn: Runtime) -> None:
    with (
        OpenAI(api_key="unused", base_url=f"{one_turn.url}/v1", max_retries=0) as client,
        pytest.raises(UnprocessableEntityError) as caught,
    ):
        client.chat.completions.create(model=AGENT, messages=WEATHER)
    assert caught.value.code == "max_turns_exceeded"


def test_a_stream_that_fails_after_its_tool_calls_ends_with_the_engines_error(
    one_turn: Runtime,
) -> None:
    # The stream opened when the tool started, so the limit reached after it is in the stream.
    body = {"model": AGENT, "stream": True, "messages": WEATHER}
    url = f"{one_turn.url}/v1/chat/completions"
    with httpx.stream("POST", url, json=body, timeout=30) as response:
        assert response.status_code == 200
        lines = [line for line in response.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    last = json.loads(lines[-2].removeprefix("data: "))
    assert last["choices"][0]["finish_reason"] == "error"
    assert last["error"]["code"] == "max_turns_exceeded"
    assert last["error"]["status_code"] == 422
    assert "maxTurns=1" in last["error"]["message"]


def test_a_failing_model_is_a_gateway_error_not_a_crash(
    runtime: Runtime, mock_llm: MockLLM
) -> None:
    mock_llm.fail_next(status=500, times=5)
    response = httpx.post(
        f"{runtime.url}/v1/chat/completions", json={"messages": WEATHER}, timeout=30
    )
    assert response.status_code in (502, 503, 504)
    assert response.json()["object"] == "error"
    assert response.json()["type"] == "api_error"
