"""The request model: what clients send is accepted, garbage is refused with the field named."""

from typing import Any

import pytest
from pydantic import ValidationError

from agent_runtime.protocol import ChatCompletionRequest, ErrorBody

HELLO = [{"role": "user", "content": "hello"}]


def parse(**fields: Any) -> ChatCompletionRequest:
    return ChatCompletionRequest.model_validate({"messages": HELLO, **fields})


def test_a_minimal_request_needs_only_messages() -> None:
    request = parse()
    assert request.model is None
    assert request.stream is False
    assert request.engine_messages() == [{"role": "user", "content": "hello"}]


def test_harmless_client_extras_are_accepted() -> None:
    parse(user="u-1", metadata={"a": 1}, store=False, safe_prompt=False, prompt_cache_key="k")


def test_an_unknown_field_is_refused_by_name() -> None:
    with pytest.raises(ValidationError) as caught:
        parse(temprature=0.2)
    (error,) = caught.value.errors()
    assert error["loc"] == ("temprature",)
    assert error["type"] == "extra_forbidden"


def test_caller_declared_tools_are_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        parse(tools=[{"type": "function", "function": {"name": "x"}}])
    assert caught.value.errors()[0]["loc"] == ("tools",)


def test_an_empty_tools_list_is_accepted() -> None:
    assert parse(tools=[]).tools == []


def test_more_than_one_choice_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        parse(n=2)
    assert caught.value.errors()[0]["loc"] == ("n",)


def test_an_empty_conversation_is_refused() -> None:
    with pytest.raises(ValidationError):
        ChatCompletionRequest.model_validate({"messages": []})


def test_an_unknown_role_is_refused() -> None:
    with pytest.raises(ValidationError):
        ChatCompletionRequest.model_validate({"messages": [{"role": "robot", "content": "x"}]})


def test_text_parts_are_joined_for_the_engine() -> None:
    parts = [{"type": "text", "text": "hel"}, {"type": "text", "text": "lo"}]
    request = ChatCompletionRequest.model_validate(
        {"messages": [{"role": "user", "content": parts}]}
    )
    assert request.engine_messages() == [{"role": "user", "content": "hello"}]


def test_openai_developer_messages_become_system_messages() -> None:
    request = ChatCompletionRequest.model_validate(
        {"messages": [{"role": "developer", "content": "be brief"}, *HELLO]}
    )
    assert request.engine_messages()[0] == {"role": "system", "content": "be brief"}


def test_openai_spellings_of_seed_and_max_tokens_are_honoured() -> None:
    request = parse(seed=7, max_completion_tokens=64)
    assert request.effective_seed() == 7
    assert request.effective_max_tokens() == 64


def test_mistral_spellings_win_over_openai_ones() -> None:
    request = parse(random_seed=1, seed=7, max_tokens=10, max_completion_tokens=64)
    assert (request.effective_seed(), request.effective_max_tokens()) == (1, 10)


def test_an_error_body_has_mistral_fields() -> None:
    body = ErrorBody(message="boom", type="invalid_request_error", code="x")
    assert body.model_dump(exclude_none=True) == {
        "object": "error",
        "message": "boom",
        "type": "invalid_request_error",
        "code": "x",
    }
