"""The rendered runtime configuration: the contract between the operator and the runtime.

The operator builds a `RuntimeConfig` from an Agent's spec and writes it, as JSON, into the
Agent's ConfigMap; the runtime mounts that file and loads it with `load_config`. Both sides
import this one module, so they cannot drift apart.

Every JSON Schema the config declares (a tool's parameters and output, the answer's format) is
checked against its own meta-schema by `checked_json_schema` as the model is built: the operator
runs the same check on an Agent's spec, so a malformed schema is refused where it is written and
never reaches a request.

Secrets never appear here: a `SecretSource` names where the value lives (a mounted file, or an
environment variable) and the runtime reads it at the moment of use, so a rotated Secret is
picked up without a restart.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from agent_runtime.schemas import check_schema

#: The file name of the rendered config inside the ConfigMap and the mounted directory.
CONFIG_FILE_NAME = "agent.json"
#: Where the operator mounts the ConfigMap in the pod, and where `serve` looks by default.
CONFIG_MOUNT_DIR = "/etc/agent-runtime"
#: Where the operator mounts referenced Secrets: one directory per Secret, one file per key.
SECRETS_MOUNT_DIR = "/var/run/agent-runtime/secrets"
#: The port the runtime listens on inside the pod.
RUNTIME_PORT = 8080
#: Bumped on any incompatible change of the model below (and `RuntimeConfig.version` with it).
CONFIG_VERSION: Literal[1] = 1


def checked_json_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` itself, once its draft's meta-schema accepts it; else a `ValueError` saying why.

    The one check both sides run: pydantic reports its `ValueError` at the field that holds the
    schema (`tools.0.parameters` here, `spec.tools[0].parameters` in the operator).
    """
    check_schema(schema)
    return schema


#: A JSON Schema document, checked against its meta-schema when the model is built.
JsonSchema = Annotated[dict[str, Any], AfterValidator(checked_json_schema)]


class _Model(BaseModel):
    """camelCase on the wire (like Kubernetes), snake_case in Python; unknown keys refused."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class SecretUnavailableError(RuntimeError):
    """A secret could not be read; the message names where it was looked for, never a value."""


class SecretSource(_Model):
    """Where a secret value is read at the moment of use: exactly one of `file` or `env`."""

    file: str | None = Field(default=None, description="Path of a mounted secret file.")
    env: str | None = Field(default=None, description="Name of an environment variable.")

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretSource:
        if (self.file is None) == (self.env is None):
            raise ValueError("a secret source needs exactly one of 'file' or 'env'")
        return self

    def read(self) -> str:
        """Read the current value (stripped of surrounding whitespace), on every call."""
        if self.file is not None:
            try:
                return Path(self.file).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise SecretUnavailableError(
                    f"secret file {self.file} is not readable: {exc.strerror}"
                ) from None
        assert self.env is not None
        value = os.environ.get(self.env)
        if value is None:
            raise SecretUnavailableError(f"environment variable {self.env} is not set")
        return value.strip()

    def describe(self) -> str:
        """Where the secret lives, for logs and errors (never its value)."""
        return f"file {self.file}" if self.file is not None else f"env {self.env}"


#: What a secret value is replaced with wherever a downstream echoed it back.
REDACTED = "[redacted]"


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret value replaced, as is and as escaped inside a JSON string.

    Used on what a model or a tool answers before it reaches a client, the model, a log line
    or a span: a server that echoes the key or header it was sent must not leak it further.
    """
    for secret in secrets:
        if not secret:
            continue
        for form in {secret, json.dumps(secret)[1:-1]}:
            text = text.replace(form, REDACTED)
    return text


def readable_values(sources: Iterable[SecretSource | None]) -> list[str]:
    """The current values of the sources that can be read now (for `redact`)."""
    values: list[str] = []
    for source in sources:
        if source is None:
            continue
        try:
            values.append(source.read())
        except SecretUnavailableError:
            continue
    return values


class RetryPolicy(_Model):
    """Retries with exponential backoff and jitter for one downstream call."""

    attempts: int = Field(default=3, ge=1, le=10, description="Tries in all, the first included.")
    initial_backoff_seconds: float = Field(default=0.5, ge=0, le=60)
    max_backoff_seconds: float = Field(default=10.0, ge=0, le=300)


class HttpRetryPolicy(RetryPolicy):
    """An HTTP tool's retries; a call that may have reached the server is retried only when safe.

    Safe: a GET (the safe method of RFC 9110 that tools use), or a tool that opts in with
    `unsafe`, or one that declares an idempotency key header.
    """

    unsafe: bool = Field(
        default=False,
        description="Also retry a call that may have run (POST, PUT, PATCH, DELETE) after a"
        " timeout, a dropped connection or a 5xx.",
    )


class ModelConfig(_Model):
    """The Mistral model the agent talks to, through the official `mistralai` SDK."""

    name: str
    endpoint: str | None = Field(
        default=None, description="Base URL of a Mistral-compatible server; None: Mistral's API."
    )
    api_key: SecretSource | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    timeout_seconds: float = Field(default=30.0, gt=0, description="Per model call.")
    retry: RetryPolicy = RetryPolicy()


class Header(_Model):
    """One HTTP header: a literal value or a secret."""

    name: str
    value: str | None = None
    value_from: SecretSource | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Header:
        if (self.value is None) == (self.value_from is None):
            raise ValueError(f"header {self.name!r} needs exactly one of 'value' or 'valueFrom'")
        return self


class HttpToolConfig(_Model):
    """A declared HTTP endpoint: arguments become the query (GET, DELETE) or a JSON body."""

    url: str
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    headers: tuple[Header, ...] = ()
    timeout_seconds: float = Field(default=10.0, gt=0)
    retry: HttpRetryPolicy = HttpRetryPolicy()
    idempotency_key_header: str | None = Field(
        default=None,
        description="A header sent with a fresh key per call, the same on each of its retries.",
    )


class McpToolConfig(_Model):
    """The tools of a remote MCP server over streamable HTTP, filtered by `include`."""

    url: str
    include: tuple[str, ...] = Field(default=(), description="Tool names to expose; empty: all.")
    headers: tuple[Header, ...] = ()
    timeout_seconds: float = Field(default=10.0, gt=0)
    refresh_seconds: float = Field(default=300.0, gt=0, description="How often tools are listed.")


class AgentToolConfig(_Model):
    """Another Agent, called through its Service's `/v1/chat/completions`."""

    url: str = Field(description="Base URL of the other agent, e.g. http://billing.demo.svc:80.")
    agent_name: str
    timeout_seconds: float = Field(default=60.0, gt=0)
    retry: RetryPolicy = RetryPolicy()
    bearer_token: SecretSource | None = Field(
        default=None,
        description="The other agent's API token, sent as `Authorization: Bearer` when set.",
    )


#: Mistral's built-in tools: they run on Mistral's side, through the Conversations API.
BuiltinTool = Literal[
    "web_search", "web_search_premium", "code_interpreter", "image_generation", "document_library"
]


class ToolConfig(_Model):
    """One tool offered to the model; exactly one of `http`, `mcp`, `agent` or `builtin`."""

    name: str
    description: str = ""
    parameters: JsonSchema = Field(
        default_factory=lambda: dict[str, Any](type="object", properties={}),
        description="JSON Schema of the arguments.",
    )
    output_schema: JsonSchema | None = Field(
        default=None, description="JSON Schema the tool's result must satisfy."
    )
    http: HttpToolConfig | None = None
    mcp: McpToolConfig | None = None
    agent: AgentToolConfig | None = None
    builtin: BuiltinTool | None = Field(
        default=None, description="A Mistral built-in tool, run on Mistral's side."
    )
    library_ids: tuple[str, ...] = Field(
        default=(), description="The document libraries a `document_library` built-in searches."
    )
    require_approval: bool = Field(
        default=False, description="Hold each call until a person allows or denies it."
    )

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> ToolConfig:
        kinds = [k for k in ("http", "mcp", "agent", "builtin") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"tool {self.name!r} needs exactly one of http, mcp, agent or builtin")
        if self.library_ids and self.builtin != "document_library":
            raise ValueError(f"tool {self.name!r}: libraryIds is only for document_library")
        return self

    def builtin_definition(self) -> dict[str, Any]:
        """The Conversations API's entry for this built-in tool."""
        if self.builtin == "document_library":
            return {"type": "document_library", "library_ids": list(self.library_ids)}
        return {"type": self.builtin}


class ResponseFormat(_Model):
    """Structured output: the final answer must be JSON valid against `schema`."""

    name: str
    schema_: JsonSchema = Field(alias="schema")
    strict: bool = True


class Limits(_Model):
    """Bounds on one request's work."""

    max_turns: int = Field(default=8, ge=1, description="Model calls per request.")
    max_tool_calls: int = Field(default=16, ge=0, description="Tool calls per request.")
    request_timeout_seconds: float = Field(default=60.0, gt=0)
    max_request_bytes: int = Field(default=1_048_576, ge=1024, description="HTTP body limit.")


class Egress(_Model):
    """Hosts the runtime may call; empty: any. Entries are host names or `*.suffix` patterns."""

    allow_hosts: tuple[str, ...] = ()


class Observability(_Model):
    """Traces, metrics and logs."""

    otlp_endpoint: str | None = None
    log_content: bool = Field(default=False, description="Put prompts and tool I/O in spans.")
    service_name: str | None = None


class Auth(_Model):
    """Optional bearer-token auth on the API; /healthz, /readyz and /metrics stay open."""

    bearer_token: SecretSource | None = None


class RedisStore(_Model):
    """A Redis (or Valkey) server shared by every replica of the agent."""

    url: SecretSource = Field(
        description="The redis:// or rediss:// URL; a secret, as it may carry a password."
    )


class Conversations(_Model):
    """Stored conversations, held tool calls and token counts: in-process, or in Redis."""

    ttl_seconds: float = Field(default=86400, gt=0, description="Idle conversations expire.")
    history_turns: int = Field(
        default=50, ge=1, description="Turns of history kept per conversation, the latest."
    )
    approval_timeout_seconds: float = Field(
        default=3600, gt=0, description="How long a held tool call waits for its decision."
    )
    max_conversations: int = Field(
        default=10_000, ge=1, description="In-process store only: the least recent are dropped."
    )
    store_timeout_seconds: float = Field(default=2.0, gt=0, description="Per store call.")
    redis: RedisStore | None = Field(default=None, description="None: the in-process store.")


class Budget(_Model):
    """Token budgets, counted from the model's reported usage; None: unbounded."""

    tokens_per_conversation: int | None = Field(default=None, ge=1)
    tokens_per_day: int | None = Field(default=None, ge=1, description="Per agent, per UTC day.")


class AgentIdentity(_Model):
    """Which Agent this runtime serves."""

    name: str
    namespace: str = "default"


class RuntimeConfig(_Model):
    """Everything the runtime needs to serve one agent."""

    version: Literal[1] = CONFIG_VERSION
    agent: AgentIdentity
    model: ModelConfig
    instructions: str = ""
    tools: tuple[ToolConfig, ...] = ()
    response_format: ResponseFormat | None = None
    limits: Limits = Limits()
    egress: Egress = Egress()
    observability: Observability = Observability()
    auth: Auth = Auth()
    conversations: Conversations | None = Field(
        default=None, description="None: stateless, the client sends the whole history."
    )
    budget: Budget | None = None
    hosted_agent_id: str | None = Field(
        default=None,
        description="The agent's id on Mistral's platform, once the operator published it; "
        "read only by a runtime that starts conversations by `agent_id`.",
    )

    def to_json(self) -> str:
        """The canonical rendering: stable key order, aliases, defaults included."""
        return self.model_dump_json(by_alias=True, indent=2)


def load_config(path: str | os.PathLike[str]) -> RuntimeConfig:
    """Load a rendered config file (JSON; YAML is accepted too, as a convenience)."""
    p = Path(path)
    if p.is_dir():
        p = p / CONFIG_FILE_NAME
    text = p.read_text(encoding="utf-8")
    if p.suffix in (".yaml", ".yml"):
        import yaml

        return RuntimeConfig.model_validate(yaml.safe_load(text))
    return RuntimeConfig.model_validate_json(text)
