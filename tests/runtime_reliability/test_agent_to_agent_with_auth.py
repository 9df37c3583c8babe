"""Agent to agent with auth on: the calling agent sends the other's bearer token from a secret.

The `agent` tool's `bearerToken` names the secret holding the other agent's API token; it
is read on every call (a rotated token is used at once) and sent as `Authorization: Bearer`.
Without it, the other agent refuses with 401 and the model is told so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agent_runtime.mockllm import MockLLM
from tests.runtime_engine.fixtures import ConfigFactory
from tests.runtime_reliability.conftest import ask, sample, scrape
from tests.runtime_service.conftest import serving

TOKEN = "billing-api-token-4e2a91"
QUESTION = "What do I owe for invoice?"


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "billing-token"
    path.write_text(TOKEN + "\n")
    return path


def billing_tool(url: str, token: dict[str, str] | None) -> dict[str, Any]:
    agent: dict[str, Any] = {"url": url, "agentName": "billing", "retry": {"attempts": 1}}
    if token is not None:
        agent["bearerToken"] = token
    return {"name": "ask_billing", "description": "Ask the billing agent.", "agent": agent}


def test_an_agent_calls_a_guarded_agent_with_the_token_from_its_secret(
    make_config: ConfigFactory, mock_llm: MockLLM, token_file: Path
) -> None:
    guarded = make_config(
        agent={"name": "billing", "namespace": "demo"},
        auth={"bearerToken": {"file": str(token_file)}},
    )
    with serving(guarded) as billing:
        tool = billing_tool(billing.url, {"file": str(token_file)})
        with serving(make_config(tools=[tool])) as front:
            response = ask(front, QUESTION)
            token_file.write_text("rotated-billing-token\n")
            rotated = ask(front, QUESTION)
        billing_page = scrape(billing)
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == (
        "Tool results: ask_billing: You said: Invoice"
    )
    assert rotated.status_code == 200
    assert sample(billing_page, "agent_requests_total", status="200") == 2.0
    assert sample(billing_page, "agent_requests_total", status="401") == 0.0
    sent = [r.authorization for r in mock_llm.completions]
    assert f"Bearer {TOKEN}" not in sent, "the token goes to the other agent, not to the model"
    assert TOKEN not in response.text


def test_without_the_token_the_guarded_agent_refuses_and_the_model_is_told(
    make_config: ConfigFactory, mock_llm: MockLLM, token_file: Path
) -> None:
    guarded = make_config(
        agent={"name": "billing", "namespace": "demo"},
        auth={"bearerToken": {"file": str(token_file)}},
    )
    with serving(guarded) as billing:
        with serving(make_config(tools=[billing_tool(billing.url, None)])) as front:
            response = ask(front, QUESTION)
        billing_page = scrape(billing)
    assert response.status_code == 200
    told = json.loads(mock_llm.completions[1].messages[-1]["content"])
    assert told["error"].startswith("agent billing answered HTTP 401")
    assert sample(billing_page, "agent_requests_total", status="401") == 1.0


def test_an_unreadable_token_fails_the_call_naming_the_file_not_a_value(
    make_config: ConfigFactory, mock_llm: MockLLM, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-token"
    tool = billing_tool("http://127.0.0.1:9", {"file": str(missing)})
    with serving(make_config(tools=[tool])) as front:
        response = ask(front, QUESTION)
    assert response.status_code == 200
    told = json.loads(mock_llm.completions[1].messages[-1]["content"])
    assert told["error"] == (
        f"tool ask_billing: bearer token: secret file {missing} is not readable: "
        "No such file or directory"
    )
