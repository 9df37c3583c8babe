"""The rendered runtime configuration: the contract between the operator and the runtime.

The operator builds a `RuntimeConfig` from an Agent's spec and writes it, as JSON, into the
Agent's ConfigMap; the runtime mounts that file and loads it with `load_config`. Both sides
import this one module, so they cannot drift apart.

Secrets never appear here: a `SecretSource` names where the value lives (a mounted file, or an
environment variable) and the runtime reads it at the moment of use, so a rotated Secret is
picked up without a restart.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

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


class HttpTool(_Model):
    """A declared HTTP endpoint: arguments become the query (GET, DELETE) or a JSON body."""

    url: str
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    headers: tuple[Header, ...] = ()
    timeout_seconds: float = Field(default=10.0, gt=0)
    retry: RetryPolicy = RetryPolicy()


class McpTool(_Model):
    """The tools of a remote MCP server over streamable HTTP, filtered by `include`."""

    url: str
    include: tuple[str, ...] = Field(default=(), description="Tool names to expose; empty: all.")
    headers: tuple[Header, ...] = ()
    timeout_seconds: float = Field(default=10.0, gt=0)
    refresh_seconds: float = Field(default=300.0, gt=0, description="How often tools are listed.")


class AgentTool(_Model):
    """Another Agent, called through its Service's `/v1/chat/completions`."""

    url: str = Field(description="Base URL of the other agent, e.g. http://billing.demo.svc:80.")
    agent_name: str
    timeout_seconds: float = Field(default=60.0, gt=0)
    retry: RetryPolicy = RetryPolicy()
    bearer_token: SecretSource | None = Field(
        default=None,
        description="The other agent's API token, sent as `Authorization: Bearer` when set.",
    )


class Tool(_Model):
    """One tool offered to the model; exactly one of `http`, `mcp` or `agent`."""

    name: str
    description: str = ""
    parameters: dict[str, object] = Field(
        default_factory=lambda: dict[str, object](type="object", properties={}),
        description="JSON Schema of the arguments.",
    )
    output_schema: dict[str, object] | None = Field(
        default=None, description="JSON Schema the tool's result must satisfy."
    )
    http: HttpTool | None = None
    mcp: McpTool | None = None
    agent: AgentTool | None = None

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> Tool:
        kinds = [k for k in ("http", "mcp", "agent") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"tool {self.name!r} needs exactly one of http, mcp or agent")
        return self


class ResponseFormat(_Model):
    """Structured output: the final answer must be JSON valid against `schema`."""

    name: str
    schema_: dict[str, object] = Field(alias="schema")
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
    tools: tuple[Tool, ...] = ()
    response_format: ResponseFormat | None = None
    limits: Limits = Limits()
    egress: Egress = Egress()
    observability: Observability = Observability()
    auth: Auth = Auth()
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
