"""Two Agents rendered by the operator: one asks the other, which requires a token.

`billing` sets `spec.auth`; `front` has an `agent` tool for it whose `auth` names the same
Secret. Both go through the operator's builders, are mounted as the kubelet would (the Secret
as a file, the config from the ConfigMap) and served on 127.0.0.1, and `front` is asked over
HTTP with the `mistralai` SDK. Without the tool's `auth`, `billing` answers 401 and `front`
says which tool failed and why.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mistralai.client import Mistral

from agent_operator.builders.children import render_agent
from agent_operator.builders.names import agent_service_url
from agent_runtime.config import CONFIG_FILE_NAME, load_config
from agent_runtime.mockllm import MockLLM
from tests.runtime_service.conftest import serving
from tests.runtime_service.kubelet import mount

TOKEN = "billing-api-token-7f3c"
SECRETS = {"billing-api": {"token": TOKEN}}
TOKEN_REF = {"bearerTokenSecretRef": {"name": "billing-api", "key": "token"}}
QUESTION = "What do I owe for invoice?"


def agent(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "agent-operator.io/v1alpha1",
        "kind": "Agent",
        "metadata": {"name": name, "namespace": "demo", "uid": f"{name}-uid", "generation": 1},
        "spec": {"model": {"name": "mock-large", "retry": {"attempts": 1}}, **spec},
    }


BILLING = agent("billing", auth=TOKEN_REF)
FRONT = agent(
    "front",
    tools=[
        {
            "name": "ask_billing",
            "description": "Ask the billing agent.",
            "agent": {"name": "billing", "retry": {"attempts": 1}, "auth": TOKEN_REF},
        }
    ],
)


def children(manifest: dict[str, Any], mock_llm: MockLLM) -> dict[str, dict[str, Any]]:
    manifest = copy.deepcopy(manifest)
    manifest["spec"]["model"]["endpoint"] = mock_llm.url
    return {child["kind"]: child for child in render_agent(manifest)}


def without_tool_auth(manifest: dict[str, Any]) -> dict[str, Any]:
    manifest = copy.deepcopy(manifest)
    del manifest["spec"]["tools"][0]["agent"]["auth"]
    return manifest


@dataclass
class Outcome:
    """What a user of the two Agents would check: front's answer and both counters."""

    answer: str
    billing_served: float
    billing_refused: float
    tool_failures: float


def ask_front(front: dict[str, Any], tmp_path: Path, mock_llm: MockLLM) -> Outcome:
    """Serve billing and front as rendered, and ask front once."""
    billing_config = load_config(
        mount(children(BILLING, mock_llm), tmp_path / "billing", secrets=SECRETS)
    )
    with serving(billing_config) as billing:
        front_children = children(front, mock_llm)
        services = {agent_service_url("billing", "demo"): billing.url}
        path = mount(front_children, tmp_path / "front", secrets=SECRETS, services=services)
        assert TOKEN not in front_children["ConfigMap"]["data"][CONFIG_FILE_NAME]
        with (
            serving(load_config(path)) as front_runtime,
            Mistral(api_key="unused", server_url=front_runtime.url) as client,
        ):
            response = client.chat.complete(
                model="front", messages=[{"role": "user", "content": QUESTION}]
            )
    content = response.choices[0].message.content
    assert isinstance(content, str)
    return Outcome(
        answer=content,
        billing_served=billing.metrics.value("agent_requests_total", {"status": "200"}),
        billing_refused=billing.metrics.value("agent_requests_total", {"status": "401"}),
        tool_failures=front_runtime.metrics.value(
            "agent_tool_calls_total", {"tool": "ask_billing", "outcome": "error"}
        ),
    )


def test_an_agent_calls_an_agent_that_requires_a_token_with_the_secret_it_names(
    tmp_path: Path, mock_llm: MockLLM
) -> None:
    outcome = ask_front(FRONT, tmp_path, mock_llm)
    assert outcome.answer == "Tool results: ask_billing: You said: Invoice"
    assert (outcome.billing_served, outcome.billing_refused) == (1, 0)
    assert outcome.tool_failures == 0
    assert all(request.authorization != f"Bearer {TOKEN}" for request in mock_llm.completions)


def test_without_the_token_the_agent_is_refused_and_the_caller_says_so(
    tmp_path: Path, mock_llm: MockLLM
) -> None:
    outcome = ask_front(without_tool_auth(FRONT), tmp_path, mock_llm)
    assert (outcome.billing_served, outcome.billing_refused) == (0, 1)
    assert outcome.tool_failures == 1
    prefix = "Tool results: ask_billing: "
    assert outcome.answer.startswith(prefix)
    error = json.loads(outcome.answer.removeprefix(prefix))["error"]
    assert error.startswith(
        "agent billing answered HTTP 401 (it requires a token, and this tool is given none): "
    )
    assert "a bearer token is required" in error
