"""The real `mistralai` client, pointed at the runtime, works unchanged."""

from mistralai.client import Mistral

from agent_runtime.mockllm import MockLLM
from tests.runtime_service.conftest import AGENT, Runtime, ToolServer


def test_mistral_client_gets_the_agents_final_answer(runtime: Runtime) -> None:
    with Mistral(api_key="unused", server_url=runtime.url) as client:
        response = client.chat.complete(
            model=AGENT, messages=[{"role": "user", "content": "hello there"}]
        )
    assert response.object == "chat.completion"
    assert response.model == AGENT
    assert response.choices[0].message.role == "assistant"
    assert response.choices[0].message.content == "You said: hello there"
    assert response.choices[0].finish_reason == "stop"


def test_mistral_client_streams_the_answer_token_by_token(runtime: Runtime) -> None:
    with Mistral(api_key="unused", server_url=runtime.url) as client:
        events = list(
            client.chat.stream(model=AGENT, messages=[{"role": "user", "content": "one two"}])
        )
    deltas = [e.data.choices[0].delta.content for e in events if e.data.choices]
    text = "".join(d for d in deltas if isinstance(d, str))
    assert text == "You said: one two"
    assert len([d for d in deltas if d]) > 1
    assert events[-1].data.choices[0].finish_reason == "stop"
    assert events[-1].data.usage is not None


def test_mistral_client_gets_an_answer_built_on_a_tool_result(
    tool_runtime: Runtime, tool_server: ToolServer, mock_llm: MockLLM
) -> None:
    with Mistral(api_key="unused", server_url=tool_runtime.url) as client:
        response = client.chat.complete(
            model=AGENT, messages=[{"role": "user", "content": "Weather in Paris?"}]
        )
    assert tool_server.calls == [{"city": "Paris"}]
    content = response.choices[0].message.content
    assert isinstance(content, str)
    assert "sunny" in content
    assert len(mock_llm.completions) == 2


def test_usage_is_summed_over_every_model_call(tool_runtime: Runtime, mock_llm: MockLLM) -> None:
    mock_llm.reply_tool_call("get_weather", {"city": "Lyon"})
    mock_llm.reply_text("It is sunny in Lyon today.")
    with Mistral(api_key="unused", server_url=tool_runtime.url) as client:
        response = client.chat.complete(
            model=AGENT, messages=[{"role": "user", "content": "Weather in Lyon?"}]
        )
    tool_call_tokens = 2  # the fake counts words: '{"city": "Lyon"}'
    answer_tokens = 6  # 'It is sunny in Lyon today.'
    assert response.usage.completion_tokens == tool_call_tokens + answer_tokens
    assert response.usage.total_tokens == (
        response.usage.prompt_tokens + response.usage.completion_tokens
    )
    first_call_prompt = 7  # 'You answer weather questions.' + 'Weather in Lyon?'
    assert response.usage.prompt_tokens > first_call_prompt


def test_mistral_client_streams_an_answer_after_a_tool_turn(
    tool_runtime: Runtime, tool_server: ToolServer
) -> None:
    with Mistral(api_key="unused", server_url=tool_runtime.url) as client:
        events = list(
            client.chat.stream(
                model=AGENT, messages=[{"role": "user", "content": "Weather in Oslo?"}]
            )
        )
    text = "".join(
        e.data.choices[0].delta.content
        for e in events
        if e.data.choices and isinstance(e.data.choices[0].delta.content, str)
    )
    assert tool_server.calls == [{"city": "Oslo"}]
    assert "sunny" in text
