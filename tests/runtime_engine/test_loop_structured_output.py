"""Structured output: the answer must be JSON valid against the agent's response format."""

from __future__ import annotations

import json

import pytest

from agent_runtime.errors import loop_error_status
from agent_runtime.loop import LoopError
from agent_runtime.mockllm import MockLLM
from tests.runtime_engine.fixtures import AgentFactory, ConfigFactory
from tests.runtime_engine.test_loop_turns import USER

ANSWER_FORMAT = {
    "name": "Answer",
    "schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "celsius": {"type": "number"}},
        "required": ["city", "celsius"],
    },
}


async def test_the_response_format_is_sent_to_the_model_as_a_json_schema(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    mock_llm.reply_json({"city": "Paris", "celsius": 18})
    agent = await make_agent(make_config(responseFormat=ANSWER_FORMAT))
    await agent.complete(USER)
    assert mock_llm.completions[0].body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "Answer", "schema": ANSWER_FORMAT["schema"], "strict": True},
    }


async def test_a_valid_answer_is_returned_as_is(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    mock_llm.reply_json({"city": "Paris", "celsius": 18})
    agent = await make_agent(make_config(responseFormat=ANSWER_FORMAT))
    result = await agent.complete(USER)
    assert json.loads(result.message["content"]) == {"city": "Paris", "celsius": 18}
    assert result.model_calls == 1


async def test_an_invalid_answer_is_repaired_once_with_the_validation_error(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    mock_llm.reply_json({"city": "Paris"})
    mock_llm.reply_json({"city": "Paris", "celsius": 18})
    agent = await make_agent(make_config(responseFormat=ANSWER_FORMAT))
    result = await agent.complete(USER)
    assert json.loads(result.message["content"]) == {"city": "Paris", "celsius": 18}
    assert result.model_calls == 2
    repair = mock_llm.completions[1].messages[-1]
    assert repair["role"] == "user"
    assert "'celsius' is a required property" in repair["content"]


async def test_an_answer_still_invalid_after_the_repair_fails_the_request(
    mock_llm: MockLLM, make_config: ConfigFactory, make_agent: AgentFactory
) -> None:
    mock_llm.reply_text("It is sunny")
    mock_llm.reply_json({"city": "Paris", "celsius": "warm"})
    agent = await make_agent(make_config(responseFormat=ANSWER_FORMAT))
    with pytest.raises(LoopError) as caught:
        await agent.complete(USER)
    assert (loop_error_status(caught.value), caught.value.code) == (
        422,
        "invalid_structured_output",
    )
    assert "'Answer' after one repair" in caught.value.message
    assert "at celsius: 'warm' is not of type 'number'" in caught.value.message
    assert len(mock_llm.completions) == 2
