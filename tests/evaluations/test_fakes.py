"""The fake tool endpoint and the config that points an Agent's tools at it."""

from __future__ import annotations

from starlette.testclient import TestClient

from agent_operator.builders import agent_meta, runtime_config
from agent_operator.evaluate.checks import ToolCall
from agent_operator.evaluate.fakes import FakeTools, create_app, hermetic_config
from agent_operator.evaluation import ToolResponse
from agent_operator.spec import parse_spec
from agent_runtime import config as runtime

FAKE = "http://127.0.0.1:9999"
AGENT = {
    "apiVersion": "agent-operator.io/v1alpha1",
    "kind": "Agent",
    "metadata": {"name": "weather", "namespace": "demo"},
    "spec": {
        "model": {"name": "mistral-large-latest"},
        "tools": [
            {
                "name": "get_weather",
                "http": {
                    "url": "https://weather.example.net/v1/current",
                    "method": "GET",
                    "headers": [
                        {
                            "name": "Authorization",
                            "valueFrom": {"secretKeyRef": {"name": "weather", "key": "token"}},
                        }
                    ],
                },
            },
            {"name": "billing", "agent": {"name": "billing"}},
            {"name": "docs", "mcp": {"url": "http://docs.tools.svc/mcp"}},
        ],
        "egress": {"allowHosts": ["weather.example.net"]},
        "auth": {"bearerTokenSecretRef": {"name": "api", "key": "token"}},
    },
}


def served() -> runtime.RuntimeConfig:
    config = runtime_config(agent_meta(AGENT), parse_spec(AGENT["spec"]))  # type: ignore[arg-type]
    model = runtime.ModelConfig(name="mistral-large-latest", endpoint="http://127.0.0.1:1")
    return hermetic_config(config, fake_url=FAKE, model=model)


def test_http_tools_post_their_arguments_to_the_fake_without_their_secret_headers() -> None:
    http = served().tools[0].http
    assert http is not None
    assert (http.url, http.method, http.headers) == (f"{FAKE}/tools/get_weather", "POST", ())
    assert http.retry.attempts == 1


def test_agent_tools_call_the_fake_and_mcp_tools_stay_as_declared() -> None:
    config = served()
    assert config.tools[1].agent is not None
    assert config.tools[1].agent.url == f"{FAKE}/agents/billing"
    assert config.tools[2].mcp is not None
    assert config.tools[2].mcp.url == "http://docs.tools.svc/mcp"


def test_the_egress_allow_list_admits_the_loopback_and_the_api_needs_no_token() -> None:
    config = served()
    assert config.egress.allow_hosts == ("weather.example.net", "127.0.0.1")
    assert config.auth.bearer_token is None


def test_scripted_answers_come_in_order_then_the_last_repeats_and_calls_are_recorded() -> None:
    tools = FakeTools()
    tools.start_case(
        [
            ToolResponse(tool="get_weather", body={"condition": "sunny"}),
            ToolResponse(tool="get_weather", body={"message": "down"}, status=503),
        ]
    )
    client = TestClient(create_app(tools))
    answers = [client.post("/tools/get_weather", json={"city": c}) for c in ("A", "B", "C")]
    assert [a.status_code for a in answers] == [200, 503, 503]
    assert answers[0].json() == {"condition": "sunny"}
    assert tools.calls == [ToolCall("get_weather", {"city": c}) for c in ("A", "B", "C")]


def test_an_unscripted_tool_answers_501_saying_so() -> None:
    tools = FakeTools()
    tools.start_case([])
    answer = TestClient(create_app(tools)).post("/tools/get_weather", json={})
    assert answer.status_code == 501
    assert answer.json() == {
        "error": "the evaluation scripted no answer for tool get_weather in this case"
    }


def test_an_agent_tool_answers_a_chat_completion_with_the_scripted_text() -> None:
    tools = FakeTools()
    tools.start_case([ToolResponse(tool="billing", body="You owe nothing.")])
    body = {"messages": [{"role": "user", "content": "What do I owe?"}]}
    answer = TestClient(create_app(tools)).post("/agents/billing/v1/chat/completions", json=body)
    assert answer.json()["choices"][0]["message"]["content"] == "You owe nothing."
    assert tools.calls == [ToolCall("billing", {"message": "What do I owe?"})]


def test_a_new_case_forgets_the_last_ones_calls_and_script() -> None:
    tools = FakeTools()
    tools.start_case([ToolResponse(tool="get_weather", body={})])
    tools.answer("get_weather", {})
    tools.start_case([])
    assert tools.calls == []
    assert tools.answer("get_weather", {}) is None
