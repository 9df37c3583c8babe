"""Agent to agent: a second runtime, called by the first as its `agent` tool, over HTTP."""

from mistralai.client import Mistral

from agent_runtime.mockllm import MockLLM
from tests.runtime_service.conftest import AGENT, ConfigFactory, serving


def test_an_agent_asks_another_agent_and_answers_with_its_reply(
    make_config: ConfigFactory, mock_llm: MockLLM
) -> None:
    billing_config = make_config(agent={"name": "billing", "namespace": "demo"})
    with serving(billing_config) as billing:
        billing_tool = {
            "name": "ask_billing",
            "description": "Ask the billing agent.",
            "agent": {"url": billing.url, "agentName": "billing", "retry": {"attempts": 1}},
        }
        with (
            serving(make_config(tools=[billing_tool])) as front,
            Mistral(api_key="unused", server_url=front.url) as client,
        ):
            response = client.chat.complete(
                model=AGENT, messages=[{"role": "user", "content": "What do I owe for invoice?"}]
            )
    content = response.choices[0].message.content
    assert content == "Tool results: ask_billing: You said: Invoice"
    asked_billing = [r for r in mock_llm.completions if r.body.get("model") == "mock-large"]
    billing_question = [
        r for r in asked_billing if r.messages[-1] == {"role": "user", "content": "Invoice"}
    ]
    assert len(billing_question) == 1
    assert billing.metrics.value("agent_requests_total", {"status": "200"}) == 1.0
