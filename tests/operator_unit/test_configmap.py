"""The ConfigMap: the spec rendered into the runtime's config, secrets by file path only."""

from __future__ import annotations

import json
from typing import Any

from agent_runtime.config import SECRETS_MOUNT_DIR, RuntimeConfig
from tests.operator_unit.conftest import BuildChildren

SECRET_HEADER_TOOL = {
    "name": "get_weather",
    "http": {
        "url": "https://weather.example.net/v1/current",
        "method": "GET",
        "headers": [
            {"name": "Authorization", "valueFrom": {"secretKeyRef": {"name": "w", "key": "t"}}}
        ],
    },
}


def _config(children: BuildChildren, **fields: Any) -> RuntimeConfig:
    text = children(**fields)["ConfigMap"]["data"]["agent.json"]
    return RuntimeConfig.model_validate_json(text)


def test_the_config_map_holds_a_config_the_runtime_loads(children: BuildChildren) -> None:
    config = _config(children, instructions="Be brief.")
    assert config.agent.name == "weather"
    assert config.agent.namespace == "demo"
    assert config.model.name == "mistral-small-latest"
    assert config.instructions == "Be brief."


def test_config_map_holds_no_secret_value(children: BuildChildren) -> None:
    text = children(
        model={"name": "m", "apiKeySecretRef": {"name": "mistral", "key": "apiKey"}},
        tools=[SECRET_HEADER_TOOL],
    )["ConfigMap"]["data"]["agent.json"]
    config = RuntimeConfig.model_validate_json(text)
    assert config.model.api_key is not None
    assert config.model.api_key.file == f"{SECRETS_MOUNT_DIR}/mistral/apiKey"
    assert config.model.api_key.env is None
    http = config.tools[0].http
    assert http is not None
    header = http.headers[0]
    assert header.value is None
    assert header.value_from is not None
    assert header.value_from.file == f"{SECRETS_MOUNT_DIR}/w/t"


def test_an_agent_tool_becomes_the_url_of_that_agents_service(children: BuildChildren) -> None:
    config = _config(
        children,
        tools=[
            {"name": "billing", "agent": {"name": "billing"}},
            {"name": "hr", "agent": {"name": "people.v2", "namespace": "hr"}},
        ],
    )
    billing, people = (tool.agent for tool in config.tools)
    assert billing is not None
    assert billing.url == "http://billing.demo.svc:80"
    assert people is not None
    assert people.url.endswith(".hr.svc:80")
    assert people.agent_name == "people.v2"


def test_an_agent_tools_token_is_the_file_of_its_secret_never_its_value(
    children: BuildChildren,
) -> None:
    auth = {"bearerTokenSecretRef": {"name": "billing-caller", "key": "token"}}
    tools = [
        {"name": "billing", "agent": {"name": "billing", "auth": auth}},
        {"name": "hr", "agent": {"name": "people"}},
    ]
    config = _config(children, tools=tools)
    billing, people = (tool.agent for tool in config.tools)
    assert billing is not None
    assert billing.bearer_token is not None
    assert billing.bearer_token.file == f"{SECRETS_MOUNT_DIR}/billing-caller/token"
    assert people is not None
    assert people.bearer_token is None


def test_the_model_settings_are_carried_over(children: BuildChildren) -> None:
    config = _config(
        children,
        model={
            "name": "m",
            "endpoint": "http://mock.demo.svc:8081",
            "temperature": 0.3,
            "topP": 0.9,
            "maxTokens": 256,
            "timeoutSeconds": 12,
            "retry": {"attempts": 5},
        },
    )
    assert config.model.endpoint == "http://mock.demo.svc:8081"
    assert (config.model.temperature, config.model.top_p, config.model.max_tokens) == (
        0.3,
        0.9,
        256,
    )
    assert config.model.timeout_seconds == 12
    assert config.model.retry.attempts == 5


def test_a_tool_without_parameters_takes_no_arguments(children: BuildChildren) -> None:
    config = _config(children, tools=[{"name": "now", "http": {"url": "https://t.example"}}])
    assert config.tools[0].parameters == {"type": "object", "properties": {}}


def test_structured_output_and_limits_reach_the_runtime(children: BuildChildren) -> None:
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}}
    config = _config(
        children,
        responseFormat={"jsonSchema": {"name": "Answer", "schema": schema}},
        limits={"maxTurns": 3},
    )
    assert config.response_format is not None
    assert config.response_format.schema_ == schema
    assert config.limits.max_turns == 3


def test_the_bearer_token_is_read_from_its_file(children: BuildChildren) -> None:
    config = _config(children, auth={"bearerTokenSecretRef": {"name": "api", "key": "token"}})
    assert config.auth.bearer_token is not None
    assert config.auth.bearer_token.file == f"{SECRETS_MOUNT_DIR}/api/token"


def test_traces_are_named_after_the_agent_unless_told(children: BuildChildren) -> None:
    assert _config(children).observability.service_name == "weather"
    named = _config(children, observability={"serviceName": "wx"})
    assert named.observability.service_name == "wx"


def test_the_rendered_config_is_stable_json(children: BuildChildren) -> None:
    first = children(tools=[SECRET_HEADER_TOOL])["ConfigMap"]["data"]["agent.json"]
    second = children(tools=[SECRET_HEADER_TOOL])["ConfigMap"]["data"]["agent.json"]
    assert first == second
    assert json.loads(first)["version"] == 1


def test_an_http_tools_retry_opt_ins_reach_the_runtime(children: BuildChildren) -> None:
    order = {
        "name": "order",
        "http": {
            "url": "https://shop.example.net/orders",
            "retry": {"attempts": 4, "unsafe": True},
            "idempotencyKeyHeader": "Idempotency-Key",
        },
    }
    config = _config(children, tools=[order])
    http = config.tools[0].http
    assert http is not None
    assert (http.retry.attempts, http.retry.unsafe) == (4, True)
    assert http.idempotency_key_header == "Idempotency-Key"


def test_an_http_tool_is_not_retried_unsafely_unless_it_says_so(children: BuildChildren) -> None:
    config = _config(children, tools=[{"name": "order", "http": {"url": "https://x.example"}}])
    http = config.tools[0].http
    assert http is not None
    assert http.retry.unsafe is False
    assert http.idempotency_key_header is None


def test_a_builtin_tool_reaches_the_runtime_with_its_libraries(children: BuildChildren) -> None:
    config = _config(
        children,
        tools=[
            {"name": "search", "builtin": "web_search"},
            {"name": "handbook", "builtin": "document_library", "libraryIds": ["lib-1"]},
        ],
    )
    assert [t.builtin_definition() for t in config.tools] == [
        {"type": "web_search"},
        {"type": "document_library", "library_ids": ["lib-1"]},
    ]
