"""The real `openai` client, pointed at the runtime's `/v1`, works unchanged."""

from openai import OpenAI

from tests.runtime_service.conftest import AGENT, Runtime, ToolServer


def client_of(runtime: Runtime) -> OpenAI:
    return OpenAI(api_key="unused", base_url=f"{runtime.url}/v1", max_retries=0, timeout=30)


def test_openai_client_gets_the_agents_final_answer(runtime: Runtime) -> None:
    with client_of(runtime) as client:
        response = client.chat.completions.create(
            model=AGENT, messages=[{"role": "user", "content": "good morning"}]
        )
    assert response.choices[0].message.content == "You said: good morning"
    assert response.choices[0].finish_reason == "stop"
    assert response.usage is not None
    assert response.usage.total_tokens > 0


def test_openai_client_streams_the_answer_with_usage_last(runtime: Runtime) -> None:
    with client_of(runtime) as client:
        stream = client.chat.completions.create(
            model=AGENT,
            messages=[{"role": "user", "content": "good evening"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "You said: good evening"
    assert chunks[-1].usage is not None


def test_openai_client_extras_are_accepted(runtime: Runtime) -> None:
    with client_of(runtime) as client:
        response = client.chat.completions.create(
            model=AGENT,
            messages=[
                {"role": "developer", "content": "Be brief."},
                {"role": "user", "content": "hi"},
            ],
            user="user-42",
            seed=3,
            max_completion_tokens=50,
            store=False,
        )
    assert response.choices[0].message.content == "You said: hi"


def test_openai_client_gets_an_answer_built_on_a_tool_result(
    tool_runtime: Runtime, tool_server: ToolServer
) -> None:
    with client_of(tool_runtime) as client:
        response = client.chat.completions.create(
            model=AGENT, messages=[{"role": "user", "content": "weather in rome"}]
        )
    assert tool_server.calls == [{"city": "Rome"}]
    assert "sunny" in (response.choices[0].message.content or "")
