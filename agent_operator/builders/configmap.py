"""The ConfigMap holding an Agent's rendered runtime configuration.

The spec is translated into the runtime's `RuntimeConfig` (the contract in
`agent_runtime.config`): secrets become the paths of mounted files, Agent tools become the URL
of the other Agent's Service (and the file of its token, when the tool names one). The JSON
text is stored under `agent.json`; its sha256 goes on the pod template, so any change of the
config rolls the pods.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

from agent_operator.builders.meta import AgentMeta, Manifest, object_meta
from agent_operator.builders.names import agent_service_url
from agent_operator.builders.secrets import secret_source
from agent_operator.spec import (
    AgentSpec,
    AgentToolSpec,
    ConversationsSpec,
    HeaderSpec,
    HttpToolSpec,
    McpToolSpec,
    ModelSpec,
    ResponseFormatSpec,
    RetrySpec,
    SecretKeyRef,
    ToolSpec,
)
from agent_runtime import config as runtime
from agent_runtime.config import CONFIG_FILE_NAME

#: Where the runtime reads each referenced Secret key: in a pod, its mounted file.
SecretSourcing = Callable[[SecretKeyRef], runtime.SecretSource]
#: The host the `mistralai` SDK calls when the model names no endpoint.
MISTRAL_API_HOST = "api.mistral.ai"


def build_configmap(meta: AgentMeta, spec: AgentSpec) -> Manifest:
    """The ConfigMap with the rendered config of the Agent."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": object_meta(meta, "ConfigMap"),
        "data": {CONFIG_FILE_NAME: render_config(meta, spec)},
    }


def render_config(meta: AgentMeta, spec: AgentSpec) -> str:
    """The runtime config of the Agent as canonical JSON text."""
    return runtime_config(meta, spec).to_json()


def config_hash(meta: AgentMeta, spec: AgentSpec) -> str:
    """The sha256 of the rendered config: it changes exactly when the config does."""
    return hashlib.sha256(render_config(meta, spec).encode("utf-8")).hexdigest()


def runtime_config(
    meta: AgentMeta, spec: AgentSpec, secrets: SecretSourcing = secret_source
) -> runtime.RuntimeConfig:
    """Translate the Agent's spec into the config its runtime loads.

    `secrets` says where each referenced key is read: the pod's mounted file by default;
    `agent-operator dev` passes local environment variables or files instead.
    """
    model = _model(spec.model, secrets)
    tools = tuple(_tool(tool, meta.namespace, secrets) for tool in spec.tools)
    return runtime.RuntimeConfig(
        agent=runtime.AgentIdentity(name=meta.name, namespace=meta.namespace),
        model=model,
        instructions=spec.instructions,
        tools=tools,
        response_format=_response_format(spec.response_format),
        limits=runtime.Limits(**spec.limits.model_dump()),
        egress=runtime.Egress(allow_hosts=spec.egress.allow_hosts or declared_hosts(model, tools)),
        observability=runtime.Observability(
            otlp_endpoint=spec.observability.otlp_endpoint,
            log_content=spec.observability.log_content,
            service_name=spec.observability.service_name or meta.name,
        ),
        auth=runtime.Auth(
            bearer_token=secrets(spec.auth.bearer_token_secret_ref)
            if spec.auth is not None and spec.auth.bearer_token_secret_ref is not None
            else None
        ),
        conversations=_conversations(spec.conversations),
        budget=runtime.Budget(**spec.budget.model_dump()) if spec.budget else None,
        hosted_agent_id=meta.hosted_agent_id if spec.mistral and spec.mistral.publish else None,
    )


def declared_hosts(
    model: runtime.ModelConfig, tools: tuple[runtime.ToolConfig, ...]
) -> tuple[str, ...]:
    """Every host the Agent names (model, tools, MCP servers, other Agents), sorted, once each.

    This is the allowlist of an Agent whose `egress.allowHosts` is empty: what it declares and
    nothing more.
    """
    return tuple(sorted(set(_hosts(model, tools))))


def _hosts(model: runtime.ModelConfig, tools: tuple[runtime.ToolConfig, ...]) -> Iterator[str]:
    yield (urlsplit(model.endpoint).hostname or "") if model.endpoint else MISTRAL_API_HOST
    for tool in tools:
        for target in (tool.http, tool.mcp, tool.agent):
            if target is not None:
                yield urlsplit(target.url).hostname or ""


def _model(model: ModelSpec, secrets: SecretSourcing) -> runtime.ModelConfig:
    return runtime.ModelConfig(
        name=model.name,
        endpoint=model.endpoint,
        api_key=secrets(model.api_key_secret_ref) if model.api_key_secret_ref else None,
        temperature=model.temperature,
        top_p=model.top_p,
        max_tokens=model.max_tokens,
        timeout_seconds=model.timeout_seconds,
        retry=_retry(model.retry),
    )


def _retry(retry: RetrySpec) -> runtime.RetryPolicy:
    return runtime.RetryPolicy(**retry.model_dump())


def _tool(tool: ToolSpec, namespace: str, secrets: SecretSourcing) -> runtime.ToolConfig:
    parameters = {} if tool.parameters is None else {"parameters": tool.parameters}
    return runtime.ToolConfig(
        name=tool.name,
        description=tool.description,
        output_schema=tool.output_schema,
        http=_http(tool.http, secrets) if tool.http else None,
        mcp=_mcp(tool.mcp, secrets) if tool.mcp else None,
        agent=_agent(tool.agent, namespace) if tool.agent else None,
        builtin=tool.builtin,
        library_ids=tool.library_ids,
        require_approval=tool.require_approval,
        **parameters,
    )


def _http(http: HttpToolSpec, secrets: SecretSourcing) -> runtime.HttpToolConfig:
    return runtime.HttpToolConfig(
        url=http.url,
        method=http.method,
        headers=_headers(http.headers, secrets),
        timeout_seconds=http.timeout_seconds,
        retry=runtime.HttpRetryPolicy(**http.retry.model_dump()),
        idempotency_key_header=http.idempotency_key_header,
    )


def _mcp(mcp: McpToolSpec, secrets: SecretSourcing) -> runtime.McpToolConfig:
    return runtime.McpToolConfig(
        url=mcp.url,
        include=mcp.include,
        headers=_headers(mcp.headers, secrets),
        timeout_seconds=mcp.timeout_seconds,
        refresh_seconds=mcp.refresh_seconds,
    )


def _agent(agent: AgentToolSpec, namespace: str) -> runtime.AgentToolConfig:
    return runtime.AgentToolConfig(
        url=agent_service_url(agent.name, agent.namespace or namespace),
        agent_name=agent.name,
        timeout_seconds=agent.timeout_seconds,
        retry=_retry(agent.retry),
        bearer_token=secret_source(agent.auth.bearer_token_secret_ref) if agent.auth else None,
    )


def _headers(
    headers: tuple[HeaderSpec, ...], secrets: SecretSourcing
) -> tuple[runtime.Header, ...]:
    return tuple(
        runtime.Header(
            name=header.name,
            value=header.value,
            value_from=secrets(header.value_from.secret_key_ref) if header.value_from else None,
        )
        for header in headers
    )


def _conversations(conversations: ConversationsSpec | None) -> runtime.Conversations | None:
    """The store settings; the Redis URL only as the path of its mounted Secret key."""
    if conversations is None:
        return None
    redis = conversations.store.redis
    return runtime.Conversations(
        ttl_seconds=conversations.ttl_seconds,
        history_turns=conversations.history_turns,
        approval_timeout_seconds=conversations.approval_timeout_seconds,
        redis=runtime.RedisStore(url=secret_source(redis.url_secret_ref)) if redis else None,
    )


def _response_format(response_format: ResponseFormatSpec | None) -> runtime.ResponseFormat | None:
    if response_format is None:
        return None
    schema = response_format.json_schema
    return runtime.ResponseFormat(name=schema.name, schema_=schema.schema_, strict=schema.strict)
