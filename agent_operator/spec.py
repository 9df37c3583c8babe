"""The `Agent` resource's spec and status, as pydantic models: the one source of truth.

The operator parses every Agent with these models, and `agent_operator.crd` generates the CRD's
OpenAPI schema from them, so the API server and the operator refuse the same things. Rules that
span several fields are written twice, side by side: as a CEL rule (a `CelRule`, published in
the model's schema under `x-kubernetes-validations`) for the API server, and as a pydantic
validator that raises the very same message for the operator and `agent-operator render`.

Field names are snake_case in Python and camelCase on the wire, like every Kubernetes API.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic.alias_generators import to_camel

from agent_runtime.config import checked_json_schema

#: The API group, version and kind of the resource; the CRD and the operator both use these.
GROUP = "agent-operator.io"
VERSION = "v1alpha1"
KIND = "Agent"
PLURAL = "agents"
API_VERSION = f"{GROUP}/{VERSION}"

#: A DNS-1123 subdomain: what Kubernetes accepts as the name of most objects (Secrets, Agents).
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
#: A DNS-1123 label: what Kubernetes accepts as a namespace name.
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
#: A key of a Secret, which becomes a file name: no path separator, never `.` or `..`.
DATA_KEY = r"^\.?[-_a-zA-Z0-9][-._a-zA-Z0-9]*$"
#: A tool name as Mistral's API accepts it.
TOOL_NAME = r"^[a-zA-Z_][a-zA-Z0-9_-]{0,63}$"
#: An absolute http(s) URL.
HTTP_URL = r"^https?://[^\s/?#]+([/?#]\S*)?$"
#: An HTTP header name (an RFC 9110 token).
HEADER_NAME = r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"
#: A host name, `*.` followed by a domain suffix, or `*` alone (any host), as the runtime's
#: egress allow-list takes.
HOST_PATTERN = r"^(\*|(\*\.)?([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]*[a-z0-9])?)$"
#: An IPv4 or IPv6 CIDR (the pydantic side checks IPv6 fully with `ipaddress`).
CIDR = (
    r"^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
    r"/(3[0-2]|[12]?[0-9])$|^[0-9a-fA-F:.]*:[0-9a-fA-F:.]*/(12[0-8]|1[01][0-9]|[1-9]?[0-9])$"
)
#: A Kubernetes resource quantity such as `100m`, `128Mi` or `1`.
QUANTITY = (
    r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]"
    r"|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)
#: A condition reason: CamelCase, as `metav1.Condition` requires.
CONDITION_REASON = r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"


@dataclass(frozen=True)
class CelRule:
    """One cross-field rule: a CEL expression for the API server and the message both sides use.

    `rule` sees the guarded object as `self`. Rules guard optional fields with `has()`, so they
    also hold for an object that no defaults were applied to.
    """

    rule: str
    message: str

    def schema(self) -> dict[str, str]:
        """The rule as one entry of `x-kubernetes-validations`."""
        return {"rule": self.rule, "message": self.message}


def _validations(*rules: CelRule) -> dict[str, Any]:
    """The `json_schema_extra` that publishes `rules` on a model or a field."""
    return {"x-kubernetes-validations": [rule.schema() for rule in rules]}


class SpecError(ValueError):
    """An Agent that cannot work as written; the message names the field, e.g. `spec.model`."""


class _Spec(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown fields refused; immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


def _cidr(value: str) -> str:
    ipaddress.ip_network(value, strict=False)
    return value


def _quantity(value: int | str) -> int | str:
    if isinstance(value, str) and not re.fullmatch(QUANTITY, value):
        raise ValueError(f"{value!r} is not a resource quantity such as 100m or 128Mi")
    return value


#: A JSON Schema document: the API server keeps it as written, so the operator checks it
#: against its meta-schema with the runtime's own check (an `InvalidSpec` naming the field).
JsonSchemaDocument = Annotated[
    dict[str, Any],
    AfterValidator(checked_json_schema),
    WithJsonSchema({"type": "object", "x-kubernetes-preserve-unknown-fields": True}),
]
#: A resource quantity: an integer or a string such as `100m`.
Quantity = Annotated[
    int | str,
    Field(union_mode="left_to_right"),
    AfterValidator(_quantity),
    WithJsonSchema({"x-kubernetes-int-or-string": True, "pattern": QUANTITY}),
]
Cidr = Annotated[str, Field(pattern=CIDR, max_length=64), AfterValidator(_cidr)]
HostPattern = Annotated[str, Field(pattern=HOST_PATTERN, max_length=253)]
McpToolName = Annotated[str, Field(min_length=1, max_length=128)]


def _nested_default() -> dict[str, Any]:
    """Publish `default: {}` so the API server fills a nested object's own defaults."""
    return {"default": {}}


# --- references ------------------------------------------------------------------------------


class SecretKeyRef(_Spec):
    """One key of a Secret in the Agent's namespace."""

    name: str = Field(
        min_length=1, max_length=253, pattern=DNS_SUBDOMAIN, description="Name of the Secret."
    )
    key: str = Field(
        min_length=1,
        max_length=253,
        pattern=DATA_KEY,
        description="Key inside the Secret; it is mounted as a file of that name.",
    )


class HeaderValueSource(_Spec):
    """Where a header's value comes from, when it is not written literally."""

    secret_key_ref: SecretKeyRef = Field(description="A key of a Secret holding the value.")


HEADER_EXACTLY_ONE = CelRule(
    rule="has(self.value) != has(self.valueFrom)",
    message="a header needs exactly one of value or valueFrom",
)


class HeaderSpec(_Spec):
    """One HTTP header sent with every call: a literal value, or a Secret's key."""

    model_config = ConfigDict(json_schema_extra=_validations(HEADER_EXACTLY_ONE))

    name: str = Field(min_length=1, max_length=256, pattern=HEADER_NAME, description="Header name.")
    value: str | None = Field(
        default=None, max_length=8192, description="Literal value; never a credential."
    )
    value_from: HeaderValueSource | None = Field(
        default=None, description="Read the value from a Secret (re-read when it rotates)."
    )

    @model_validator(mode="after")
    def _exactly_one_value(self) -> HeaderSpec:
        if (self.value is None) == (self.value_from is None):
            raise ValueError(HEADER_EXACTLY_ONE.message)
        return self


RETRY_BACKOFF_ORDERED = CelRule(
    rule="!has(self.initialBackoffSeconds) || !has(self.maxBackoffSeconds)"
    " || self.initialBackoffSeconds <= self.maxBackoffSeconds",
    message="initialBackoffSeconds must not exceed maxBackoffSeconds",
)


class RetrySpec(_Spec):
    """Retries with exponential backoff and jitter for one downstream call."""

    model_config = ConfigDict(json_schema_extra=_validations(RETRY_BACKOFF_ORDERED))

    attempts: int = Field(default=3, ge=1, le=10, description="Tries in all, the first included.")
    initial_backoff_seconds: float = Field(
        default=0.5, ge=0, le=60, description="Delay before the second try."
    )
    max_backoff_seconds: float = Field(
        default=10.0, ge=0, le=300, description="Upper bound of any delay between tries."
    )

    @model_validator(mode="after")
    def _backoff_ordered(self) -> RetrySpec:
        if self.initial_backoff_seconds > self.max_backoff_seconds:
            raise ValueError(RETRY_BACKOFF_ORDERED.message)
        return self


class HttpRetrySpec(RetrySpec):
    """Retries of an HTTP tool; a call that may have run is retried only when that is safe."""

    unsafe: bool = Field(
        default=False,
        description="Also retry a POST, PUT, PATCH or DELETE after a timeout, a connection"
        " dropped after sending, or a 5xx, though it may have run already. When false, only a"
        " GET is retried after these; a refused connection and a 429 with Retry-After are"
        " retried for any method.",
    )


# --- the model -------------------------------------------------------------------------------


class ModelSpec(_Spec):
    """The Mistral model the agent talks to."""

    name: str = Field(
        min_length=1, max_length=128, description="Model name, e.g. mistral-large-latest."
    )
    temperature: float | None = Field(
        default=None, ge=0, le=1.5, description="Sampling temperature; unset: the model's default."
    )
    top_p: float | None = Field(
        default=None, ge=0, le=1, description="Nucleus sampling; unset: the model's default."
    )
    max_tokens: int | None = Field(
        default=None, ge=1, le=1_000_000, description="Upper bound of tokens per completion."
    )
    api_key_secret_ref: SecretKeyRef | None = Field(
        default=None, description="The API key; unset for a server that needs none."
    )
    endpoint: str | None = Field(
        default=None,
        max_length=2048,
        pattern=HTTP_URL,
        description="Base URL of a Mistral-compatible server; unset: Mistral's API.",
    )
    timeout_seconds: float = Field(
        default=30.0, gt=0, le=600, description="Timeout of one model call."
    )
    retry: RetrySpec = Field(
        default_factory=RetrySpec,
        description="Retries of a failed model call.",
        json_schema_extra=_nested_default(),
    )


# --- tools -----------------------------------------------------------------------------------


class HttpToolSpec(_Spec):
    """A declared HTTP endpoint: arguments become the query (GET, DELETE) or a JSON body."""

    url: str = Field(max_length=2048, pattern=HTTP_URL, description="The endpoint's URL.")
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = Field(
        default="POST", description="HTTP method."
    )
    headers: tuple[HeaderSpec, ...] = Field(
        default=(), max_length=32, description="Headers sent with every call."
    )
    timeout_seconds: float = Field(default=10.0, gt=0, le=600, description="Timeout of one call.")
    retry: HttpRetrySpec = Field(
        default_factory=HttpRetrySpec,
        description="Retries of a failed call.",
        json_schema_extra=_nested_default(),
    )
    idempotency_key_header: str | None = Field(
        default=None,
        max_length=256,
        pattern=HEADER_NAME,
        description="A header, e.g. Idempotency-Key, sent with a fresh key per call and the same"
        " key on its retries; a tool that declares one is retried like a GET.",
    )


class McpToolSpec(_Spec):
    """The tools of a remote MCP server, over streamable HTTP."""

    url: str = Field(max_length=2048, pattern=HTTP_URL, description="The MCP server's URL.")
    include: tuple[McpToolName, ...] = Field(
        default=(), max_length=128, description="Names of the server's tools to offer; empty: all."
    )
    headers: tuple[HeaderSpec, ...] = Field(
        default=(), max_length=32, description="Headers sent with every request."
    )
    timeout_seconds: float = Field(default=10.0, gt=0, le=600, description="Timeout of one call.")
    refresh_seconds: float = Field(
        default=300.0, gt=0, le=86400, description="How often the server's tools are listed."
    )


class AgentToolAuthSpec(_Spec):
    """The token sent to another Agent whose `spec.auth` asks for one.

    The Secret lives in this Agent's namespace (a pod mounts no other namespace's Secrets), and
    is named here rather than looked up from the other Agent, so that an Agent holds exactly
    the tokens its author gave it.
    """

    bearer_token_secret_ref: SecretKeyRef = Field(
        description="A key of a Secret in this Agent's namespace holding the other Agent's"
        " token; it is mounted as a file and sent as `Authorization: Bearer`."
    )


class AgentToolSpec(_Spec):
    """Another Agent, called over its Service as an OpenAI-compatible chat endpoint."""

    name: str = Field(
        min_length=1, max_length=253, pattern=DNS_SUBDOMAIN, description="Name of the Agent."
    )
    namespace: str | None = Field(
        default=None,
        min_length=1,
        max_length=63,
        pattern=DNS_LABEL,
        description="Namespace of the Agent; unset: this Agent's namespace.",
    )
    timeout_seconds: float = Field(
        default=60.0, gt=0, le=3600, description="Timeout of one call to the other agent."
    )
    retry: RetrySpec = Field(
        default_factory=RetrySpec,
        description="Retries of a failed call.",
        json_schema_extra=_nested_default(),
    )
    auth: AgentToolAuthSpec | None = Field(
        default=None, description="The other Agent's token, when its `spec.auth` requires one."
    )


TOOL_EXACTLY_ONE_KIND = CelRule(
    rule="(has(self.http) ? 1 : 0) + (has(self.mcp) ? 1 : 0) + (has(self.agent) ? 1 : 0)"
    " + (has(self.builtin) ? 1 : 0) == 1",
    message="a tool needs exactly one of http, mcp, agent or builtin",
)

LIBRARY_IDS_FOR_DOCUMENT_LIBRARY = CelRule(
    rule="has(self.libraryIds) && size(self.libraryIds) > 0"
    " ? (has(self.builtin) && self.builtin == 'document_library')"
    " : !(has(self.builtin) && self.builtin == 'document_library')",
    message="libraryIds is needed by, and only by, the document_library built-in",
)

#: Mistral's built-in tools: they run on Mistral's side, through the Conversations API.
BuiltinToolName = Literal[
    "web_search", "web_search_premium", "code_interpreter", "image_generation", "document_library"
]


class ToolSpec(_Spec):
    """One tool offered to the model; exactly one of `http`, `mcp`, `agent` or `builtin`."""

    model_config = ConfigDict(
        json_schema_extra=_validations(TOOL_EXACTLY_ONE_KIND, LIBRARY_IDS_FOR_DOCUMENT_LIBRARY)
    )

    name: str = Field(
        max_length=64, pattern=TOOL_NAME, description="Name the model calls the tool by."
    )
    description: str = Field(
        default="", max_length=4096, description="What the tool does, for the model."
    )
    parameters: JsonSchemaDocument | None = Field(
        default=None, description="JSON Schema of the arguments; unset: no arguments."
    )
    output_schema: JsonSchemaDocument | None = Field(
        default=None, description="JSON Schema the tool's result must satisfy."
    )
    http: HttpToolSpec | None = Field(default=None, description="Call an HTTP endpoint.")
    mcp: McpToolSpec | None = Field(default=None, description="Offer an MCP server's tools.")
    agent: AgentToolSpec | None = Field(default=None, description="Ask another Agent.")
    builtin: BuiltinToolName | None = Field(
        default=None,
        description="A Mistral built-in tool, run on Mistral's side: the Agent then talks to"
        " its model through Mistral's Conversations API.",
    )
    library_ids: tuple[Annotated[str, Field(min_length=1, max_length=128)], ...] = Field(
        default=(),
        max_length=64,
        description="The Mistral document libraries the document_library built-in searches.",
    )
    require_approval: bool = Field(
        default=False,
        description="Hold each call of this tool until a person allows or denies it: the"
        " client gets the pending call and answers with a tool confirmation. Needs state, so"
        " more than one replica needs spec.conversations.store.redis.",
    )

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> ToolSpec:
        kinds = [self.http, self.mcp, self.agent, self.builtin]
        if sum(kind is not None for kind in kinds) != 1:
            raise ValueError(TOOL_EXACTLY_ONE_KIND.message)
        if bool(self.library_ids) != (self.builtin == "document_library"):
            raise ValueError(LIBRARY_IDS_FOR_DOCUMENT_LIBRARY.message)
        return self


TOOL_NAMES_UNIQUE = CelRule(
    rule="self.all(t, self.exists_one(u, u.name == t.name))",
    message="tool names must be unique",
)


# --- the answer, the limits, the pods --------------------------------------------------------


class JsonSchemaFormat(_Spec):
    """A named JSON Schema that the final answer must satisfy."""

    name: str = Field(
        min_length=1,
        max_length=64,
        pattern=r"^[a-zA-Z0-9_-]+$",
        description="Name of the schema, shown to the model.",
    )
    schema_: JsonSchemaDocument = Field(alias="schema", description="The JSON Schema.")
    strict: bool = Field(default=True, description="Ask the model to follow the schema exactly.")


class ResponseFormatSpec(_Spec):
    """Structured output: the final answer is JSON valid against a schema."""

    json_schema: JsonSchemaFormat = Field(description="The schema of the answer.")


class LimitsSpec(_Spec):
    """Bounds on the work one request may cause."""

    max_turns: int = Field(default=8, ge=1, le=100, description="Model calls per request.")
    max_tool_calls: int = Field(default=16, ge=0, le=1000, description="Tool calls per request.")
    request_timeout_seconds: float = Field(
        default=60.0, gt=0, le=3600, description="Wall-clock bound of one request."
    )
    max_request_bytes: int = Field(
        default=1_048_576, ge=1024, le=67_108_864, description="Largest accepted request body."
    )


AUTOSCALING_BOUNDS_ORDERED = CelRule(
    rule="!has(self.minReplicas) || self.minReplicas <= self.maxReplicas",
    message="minReplicas must not exceed maxReplicas",
)


class AutoscalingSpec(_Spec):
    """A HorizontalPodAutoscaler on CPU; when set, it owns the number of replicas."""

    model_config = ConfigDict(json_schema_extra=_validations(AUTOSCALING_BOUNDS_ORDERED))

    min_replicas: int = Field(default=1, ge=1, le=1000, description="Fewest replicas.")
    max_replicas: int = Field(ge=1, le=1000, description="Most replicas.")
    target_cpu_utilization_percentage: int = Field(
        default=80,
        alias="targetCPUUtilizationPercentage",
        ge=1,
        le=100,
        description="Average CPU use, in percent of requests, to aim at.",
    )

    @model_validator(mode="after")
    def _bounds_ordered(self) -> AutoscalingSpec:
        if self.min_replicas > self.max_replicas:
            raise ValueError(AUTOSCALING_BOUNDS_ORDERED.message)
        return self


RESOURCE_NAMES_KNOWN = CelRule(
    rule="self.all(name, name in ['cpu', 'memory', 'ephemeral-storage'] || name.contains('/'))",
    message="resource names are cpu, memory, ephemeral-storage or a qualified extended resource"
    " such as nvidia.com/gpu",
)
#: Resources a container may request without a domain prefix.
STANDARD_RESOURCES = frozenset({"cpu", "memory", "ephemeral-storage"})


def _known_resource_names(amounts: dict[str, int | str]) -> dict[str, int | str]:
    for name in amounts:
        if name not in STANDARD_RESOURCES and "/" not in name:
            raise ValueError(RESOURCE_NAMES_KNOWN.message)
    return amounts


#: Amounts of resources by name, as in a container's `resources.requests`.
ResourceList = Annotated[
    dict[str, Quantity],
    Field(max_length=8),
    AfterValidator(_known_resource_names),
]


class ResourcesSpec(_Spec):
    """CPU and memory of the runtime container, as in a Pod's `resources`."""

    requests: ResourceList | None = Field(
        default=None,
        description="Guaranteed resources, e.g. {cpu: 100m, memory: 128Mi}.",
        json_schema_extra=_validations(RESOURCE_NAMES_KNOWN),
    )
    limits: ResourceList | None = Field(
        default=None,
        description="Upper bounds, e.g. {memory: 512Mi}.",
        json_schema_extra=_validations(RESOURCE_NAMES_KNOWN),
    )


class EgressSpec(_Spec):
    """Where the agent may connect to, besides what its model and tools declare."""

    allow_hosts: tuple[HostPattern, ...] = Field(
        default=(),
        max_length=64,
        description=(
            "Host names (or *.suffix) the runtime may call; empty: exactly the hosts the Agent"
            ' declares (its model endpoint, tools, MCP servers and other Agents); ["*"]: any.'
        ),
    )
    allow_cidrs: tuple[Cidr, ...] = Field(
        default=(),
        alias="allowCIDRs",
        max_length=64,
        description="Extra IP ranges the NetworkPolicy lets the pods reach.",
    )


class ObservabilitySpec(_Spec):
    """Traces and logs."""

    otlp_endpoint: str | None = Field(
        default=None,
        max_length=2048,
        pattern=HTTP_URL,
        description="OTLP/HTTP collector URL; unset: no traces are exported.",
    )
    log_content: bool = Field(
        default=False, description="Record prompts, answers and tool I/O in spans."
    )
    service_name: str | None = Field(
        default=None, max_length=253, description="Service name in traces; unset: the Agent's."
    )


class AuthSpec(_Spec):
    """Authentication on the agent's HTTP API; probes and metrics stay open."""

    bearer_token_secret_ref: SecretKeyRef | None = Field(
        default=None, description="Callers must send this token as `Authorization: Bearer`."
    )


# --- state: conversations, approvals, budgets ------------------------------------------------


class RedisStoreSpec(_Spec):
    """A Redis (or Valkey) server that every replica of the agent shares."""

    url_secret_ref: SecretKeyRef = Field(
        description="A Secret's key holding the redis:// or rediss:// URL, which may carry a"
        " password; mounted as a file, never written to the ConfigMap. The NetworkPolicy cannot"
        " see a secret host: list the server's addresses in egress.allowCIDRs."
    )


class ConversationStoreSpec(_Spec):
    """Where conversations, held tool calls and token counts are kept."""

    redis: RedisStoreSpec | None = Field(
        default=None,
        description="Keep conversations, held tool calls and token counts in Redis, shared by"
        " every replica; unset: in the pod's memory, which serves one replica only and is lost"
        " when the pod stops.",
    )


class ConversationsSpec(_Spec):
    """Stateful conversations: the agent keeps the history, the client sends only new input."""

    ttl_seconds: int = Field(
        default=86400,
        ge=60,
        le=31_536_000,
        description="A conversation idle this long expires, with its held tool calls and its"
        " token count.",
    )
    history_turns: int = Field(
        default=50,
        ge=1,
        le=1000,
        description="Turns kept per conversation, the latest; a turn is one input and all the"
        " agent did to answer it, so a tool call is never kept without its result.",
    )
    approval_timeout_seconds: int = Field(
        default=3600,
        ge=10,
        le=604_800,
        description="How long a held tool call waits for its decision before it expires.",
    )
    store: ConversationStoreSpec = Field(
        default_factory=ConversationStoreSpec,
        description="Where the state is kept.",
        json_schema_extra=_nested_default(),
    )


class BudgetSpec(_Spec):
    """Token budgets, counted from the model's reported usage across every replica."""

    tokens_per_conversation: int | None = Field(
        default=None,
        ge=1,
        le=1_000_000_000,
        description="Tokens one conversation may use; then its requests get 429. Unset: no bound.",
    )
    tokens_per_day: int | None = Field(
        default=None,
        ge=1,
        le=1_000_000_000_000,
        description="Tokens the agent may use per UTC day; then requests get 429 with"
        " Retry-After until midnight UTC. Unset: no bound.",
    )


STATE_NEEDS_SHARED_STORE = CelRule(
    rule="!(has(self.conversations) || has(self.budget)"
    " || (has(self.tools) && self.tools.exists(t, has(t.requireApproval) && t.requireApproval)))"
    " || (has(self.conversations) && has(self.conversations.store)"
    " && has(self.conversations.store.redis))"
    " || ((!has(self.replicas) || self.replicas <= 1) && !has(self.autoscaling))",
    message="conversations, approvals and budgets kept in the pod's memory serve one replica"
    " only: configure spec.conversations.store.redis to run more replicas or to autoscale",
)


# --- publishing on Mistral's platform --------------------------------------------------------


class MistralSpec(_Spec):
    """A copy of the Agent kept on Mistral's platform, as an agent of its Agents API."""

    publish: bool = Field(
        default=False,
        description="Keep a Mistral-hosted agent in step with this Agent: created, updated "
        "(a new version and a version alias per generation) and deleted with it.",
    )
    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=256,
        description="Name of the hosted agent; unset: `<namespace>-<name>` of the Agent.",
    )
    description: str | None = Field(
        default=None, max_length=4096, description="Description of the hosted agent."
    )
    deletion_policy: Literal["Delete", "Retain"] = Field(
        default="Delete",
        description="What happens to the hosted agent when the Agent is deleted or stops "
        "publishing: `Delete` deletes it (the Agent then carries a finalizer until it is "
        "done); `Retain` leaves it on Mistral's platform.",
    )


AUTOSCALING_NEEDS_CPU_REQUEST = CelRule(
    rule="!has(self.autoscaling) || !has(self.resources) || !has(self.resources.requests)"
    " || 'cpu' in self.resources.requests",
    message="autoscaling on CPU needs resources.requests.cpu when resources.requests is set",
)


class AgentSpec(_Spec):
    """The desired state of an Agent: a model, its instructions, its tools, and its pods."""

    model_config = ConfigDict(
        json_schema_extra=_validations(AUTOSCALING_NEEDS_CPU_REQUEST, STATE_NEEDS_SHARED_STORE)
    )

    model: ModelSpec = Field(description="The Mistral model the agent talks to.")
    instructions: str = Field(
        default="", max_length=65536, description="The system prompt of every conversation."
    )
    tools: tuple[ToolSpec, ...] = Field(
        default=(),
        max_length=64,
        description="Tools offered to the model; names are unique.",
        json_schema_extra={
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            **_validations(TOOL_NAMES_UNIQUE),
        },
    )
    response_format: ResponseFormatSpec | None = Field(
        default=None, description="Structured output; unset: free text."
    )
    limits: LimitsSpec = Field(
        default_factory=LimitsSpec,
        description="Bounds on one request's work.",
        json_schema_extra=_nested_default(),
    )
    replicas: int = Field(
        default=1, ge=0, le=1000, description="Pods serving the agent; ignored under autoscaling."
    )
    autoscaling: AutoscalingSpec | None = Field(
        default=None, description="Scale on CPU between two bounds instead of `replicas`."
    )
    resources: ResourcesSpec | None = Field(
        default=None, description="CPU and memory of the runtime; unset: the operator's default."
    )
    image: str | None = Field(
        default=None,
        min_length=1,
        max_length=512,
        pattern=r"^\S+$",
        description="Runtime image override; unset: the operator's runtime image.",
    )
    egress: EgressSpec = Field(
        default_factory=EgressSpec,
        description="Outbound connections the agent may make.",
        json_schema_extra=_nested_default(),
    )
    observability: ObservabilitySpec = Field(
        default_factory=ObservabilitySpec,
        description="Traces and logs.",
        json_schema_extra=_nested_default(),
    )
    auth: AuthSpec | None = Field(default=None, description="Authentication on the agent's API.")
    conversations: ConversationsSpec | None = Field(
        default=None,
        description="Stateful conversations; unset: stateless, the client sends the whole"
        " history (held tool calls and budgets still keep state, in memory by default).",
    )
    budget: BudgetSpec | None = Field(
        default=None, description="Token budgets per conversation and per day; unset: none."
    )
    mistral: MistralSpec | None = Field(
        default=None,
        description="Publish the Agent on Mistral's platform, as a hosted agent with versions.",
    )

    @model_validator(mode="after")
    def _tool_names_unique(self) -> AgentSpec:
        names = [tool.name for tool in self.tools]
        if len(names) != len(set(names)):
            raise ValueError(TOOL_NAMES_UNIQUE.message)
        return self

    @model_validator(mode="after")
    def _state_needs_shared_store(self) -> AgentSpec:
        stateful = (
            self.conversations is not None
            or self.budget is not None
            or any(tool.require_approval for tool in self.tools)
        )
        shared = self.conversations is not None and self.conversations.store.redis is not None
        if stateful and not shared and (self.replicas > 1 or self.autoscaling is not None):
            raise ValueError(STATE_NEEDS_SHARED_STORE.message)
        return self

    @model_validator(mode="after")
    def _autoscaling_needs_cpu_request(self) -> AgentSpec:
        requests = self.resources.requests if self.resources else None
        if self.autoscaling and requests is not None and "cpu" not in requests:
            raise ValueError(AUTOSCALING_NEEDS_CPU_REQUEST.message)
        return self


# --- status ----------------------------------------------------------------------------------


class Condition(_Spec):
    """One observation of the Agent, in the shape of `metav1.Condition`."""

    type: str = Field(
        min_length=1, max_length=316, description="Kind of condition, e.g. Ready, ResolvedRefs."
    )
    status: Literal["True", "False", "Unknown"] = Field(description="Whether it holds.")
    reason: str = Field(
        min_length=1,
        max_length=1024,
        pattern=CONDITION_REASON,
        description="CamelCase reason of the last transition.",
    )
    message: str = Field(default="", max_length=32768, description="Human-readable details.")
    last_transition_time: str = Field(
        json_schema_extra={"format": "date-time"},
        description="When the status last changed (RFC 3339).",
    )
    observed_generation: int | None = Field(
        default=None, ge=0, description="The generation the condition was computed from."
    )


class HostedAgentStatus(_Spec):
    """The Mistral-hosted copy of the Agent, as last published."""

    agent_id: str | None = Field(default=None, max_length=256, description="Its agent id.")
    version: int | None = Field(default=None, ge=0, description="Its version in step.")
    alias: str | None = Field(
        default=None, max_length=256, description="The version alias of this generation."
    )
    observed_generation: int | None = Field(
        default=None, ge=0, description="The generation last published."
    )


class AgentStatus(_Spec):
    """What the operator last observed of the Agent's children."""

    # Kopf keeps its own progress records in `status.kopf`: the server must not prune them.
    model_config = ConfigDict(json_schema_extra={"x-kubernetes-preserve-unknown-fields": True})

    observed_generation: int | None = Field(
        default=None, ge=0, description="The generation last reconciled."
    )
    replicas: int | None = Field(default=None, ge=0, description="Pods of the agent.")
    ready_replicas: int | None = Field(default=None, ge=0, description="Pods ready to serve.")
    selector: str | None = Field(
        default=None, max_length=1024, description="Label selector of the pods, for `scale`."
    )
    endpoint: str | None = Field(
        default=None, max_length=2048, description="In-cluster URL of the agent's API."
    )
    conditions: tuple[Condition, ...] = Field(
        default=(),
        max_length=16,
        description="Current conditions, one per type.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]},
    )
    mistral: HostedAgentStatus | None = Field(
        default=None, description="The Mistral-hosted agent, when `spec.mistral.publish` is set."
    )


# --- parsing ---------------------------------------------------------------------------------


def parse_spec(spec: Mapping[str, Any]) -> AgentSpec:
    """Parse an Agent's `spec`, or raise `SpecError` naming the first wrong fields."""
    try:
        return AgentSpec.model_validate(spec)
    except ValidationError as exc:
        raise SpecError(describe_errors(exc, root="spec")) from None


def describe_errors(exc: ValidationError, root: str) -> str:
    """One line per error: `spec.tools[1].http.url: <what is wrong>`."""
    return "; ".join(
        f"{field_path(root, error['loc'])}: {_message(error['msg'])}" for error in exc.errors()
    )


def field_path(root: str, loc: tuple[int | str, ...]) -> str:
    """A pydantic error location written as a Kubernetes field path."""
    path = root
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif not part.startswith("function-after["):
            path += f".{part}"
    return path


def _message(msg: str) -> str:
    return msg.removeprefix("Value error, ")
