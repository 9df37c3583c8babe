"""A conversation continues over several requests, replaying what each client got back."""

from typing import Any

from mistralai.client import Mistral
from openai import OpenAI

from agent_runtime.mockllm import MockLLM
from tests.runtime_service.conftest import AGENT, Runtime


def test_mistral_client_replays_its_answer_object(runtime: Runtime, mock_llm: MockLLM) -> None:
    history: list[Any] = [{"role": "user", "content": "first"}]
    with Mistral(api_key="unused", server_url=runtime.url) as client:
        first = client.chat.complete(model=AGENT, messages=history)
        history += [first.choices[0].message, {"role": "user", "content": "second"}]
        second = client.chat.complete(model=AGENT, messages=history)
    assert second.choices[0].message.content == "You said: second"
    sent = mock_llm.completions[-1].messages
    assert {"role": "assistant", "content": "You said: first"}.items() <= sent[-2].items()


def test_openai_client_replays_its_answer_object_and_its_dump(
    runtime: Runtime, mock_llm: MockLLM
) -> None:
    history: list[Any] = [{"role": "user", "content": "first"}]
    with OpenAI(api_key="unused", base_url=f"{runtime.url}/v1", max_retries=0) as client:
        first = client.chat.completions.create(model=AGENT, messages=history)
        answer = first.choices[0].message
        for replayed in (answer, answer.model_dump()):
            messages = [*history, replayed, {"role": "user", "content": "second"}]
            second = client.chat.completions.create(model=AGENT, messages=messages)
            assert second.choices[0].message.content == "You said: second"
            sent = mock_llm.completions[-1].messages
            assert sent[-2]["content"] == "You said: first"
            assert "refusal" not in sent[-2]
