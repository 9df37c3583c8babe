"""The wire shapes of the runtime's HTTP API, compatible with Mistral's and OpenAI's.

Any Mistral or OpenAI client can talk to an agent by pointing its base URL at the runtime, so
the request, response, chunk and error bodies here follow those APIs field for field.

Unknown-field policy of a chat completion request:

- fields the runtime uses: `model`, `messages`, `temperature`, `top_p`, `max_tokens` (and
  OpenAI's `max_completion_tokens`), `stream`, `stream_options`, `response_format`, `stop`,
  `random_seed` (and OpenAI's `seed`), `n` (only 1);
- `tools`: accepted only empty or null: the agent's tools are configured by its Agent resource
  and a caller may not add any;
- `tool_choice`: every value the API defines: `auto`, `none` (no tool runs), `any` and
  `required` (the first turn must call a tool), or `{"type": "function", "function": {"name":
  ...}}` (the first turn must call that tool, which the agent must have);
- `parallel_tool_calls`: accepted and ignored;
- `metadata`, `user`, `store`, `safe_prompt`, `prompt_cache_key`, `service_tier`,
  `safety_identifier`: accepted and ignored, they cannot change the answer;
- anything else: refused with 422 naming the field, so a typo never silently does nothing.

Messages take text content (a string or text parts; other parts are refused) and the fields
a client replays from an earlier answer (`tool_calls`, `prefix`, OpenAI's `refusal`, ...).
"""

from __future__ import annotations

from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator
from pydantic_core import PydanticCustomError

#: The `tool_choice` strings of Mistral's and OpenAI's APIs (`any` is Mistral's `required`).
TOOL_CHOICES: Final = ("auto", "none", "any", "required")
#: How a refused `tool_choice` is explained: every shape the API takes.
TOOL_CHOICE_HELP: Final = (
    "must be one of 'auto', 'none', 'any', 'required', "
    'or {"type": "function", "function": {"name": ...}}'
)


class _Wire(BaseModel):
    """A response body: serialised as is, extra keys never added."""

    model_config = ConfigDict(extra="forbid")


class TextChunk(BaseModel):
    """One text part of a multi-part message content."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["text"]
    text: str


def _text_content(value: Any) -> Any:
    """Refuse content that is not text, in words rather than as the union's Python types."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, list) and all(
        isinstance(part, dict)
        and part.get("type") == "text"
        and isinstance(part.get("text"), str)
        and set(part) == {"type", "text"}
        for part in value
    ):
        return value
    raise PydanticCustomError("content_type", "must be a string, a list of text parts, or null")


class FunctionCall(BaseModel):
    """A function call carried by an assistant message of the conversation so far."""

    model_config = ConfigDict(extra="allow")

    name: str
    arguments: str | dict[str, Any]


class ToolCall(BaseModel):
    """A tool call carried by an assistant message of the conversation so far."""

    model_config = ConfigDict(extra="allow")

    id: str | None = None
    type: Literal["function"] | None = "function"
    function: FunctionCall


class ChatMessage(BaseModel):
    """One message of the conversation the caller sends."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[TextChunk] | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None
    prefix: bool | None = None
    # What OpenAI's `message.model_dump()` carries back in a replayed answer; ignored.
    refusal: str | None = None
    annotations: list[Any] | None = None
    audio: dict[str, Any] | None = None
    function_call: dict[str, Any] | None = None

    @field_validator("content", mode="before")
    @classmethod
    def _content_is_text(cls, value: Any) -> Any:
        return _text_content(value)

    def to_engine(self) -> dict[str, Any]:
        """The message as the engine takes it: text content, OpenAI's `developer` as `system`."""
        message = self.model_dump(
            exclude_none=True, exclude={"refusal", "annotations", "audio", "function_call"}
        )
        if self.role == "developer":
            message["role"] = "system"
        if isinstance(self.content, list):
            message["content"] = "".join(chunk.text for chunk in self.content)
        elif self.content is None:
            message["content"] = ""
        return message


class NamedFunction(BaseModel):
    """The function a named `tool_choice` forces."""

    model_config = ConfigDict(extra="forbid")

    name: str


class NamedToolChoice(BaseModel):
    """`{"type": "function", "function": {"name": ...}}`: the first turn must call this tool."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["function"]
    function: NamedFunction


def _tool_choice(value: Any) -> Any:
    """Refuse an unknown `tool_choice` with every shape the API takes, in one message."""
    if value is None or value in TOOL_CHOICES:
        return value
    if isinstance(value, dict):
        function = value.get("function")
        if (
            set(value) == {"type", "function"}
            and value.get("type") == "function"
            and isinstance(function, dict)
            and set(function) == {"name"}
            and isinstance(function.get("name"), str)
        ):
            return value
    raise PydanticCustomError("tool_choice_type", TOOL_CHOICE_HELP)


class ResponseFormatRequest(BaseModel):
    """A caller's structured-output request, in Mistral's and OpenAI's shape."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["text", "json_object", "json_schema"]
    json_schema: dict[str, Any] | None = None


class StreamOptions(BaseModel):
    """OpenAI's stream options: the runtime always sends usage on the last chunk."""

    model_config = ConfigDict(extra="allow")

    include_usage: bool | None = None


class ChatCompletionRequest(BaseModel):
    """`POST /v1/chat/completions`: the conversation and the sampling options for this call."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = Field(
        default=None, description="Optional; when given it must be the agent's name."
    )
    messages: list[ChatMessage] = Field(min_length=1)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    stream: StrictBool = False
    stream_options: StreamOptions | None = None
    response_format: ResponseFormatRequest | None = None
    stop: str | list[str] | None = None
    random_seed: int | None = Field(default=None, ge=0)
    seed: int | None = Field(default=None, ge=0)
    n: int | None = Field(default=None, ge=1, le=1, description="Only one choice is served.")
    tools: list[dict[str, Any]] | None = Field(
        default=None, max_length=0, description="Refused unless empty: tools are configured."
    )
    tool_choice: Literal["auto", "none", "any", "required"] | NamedToolChoice | None = None
    parallel_tool_calls: bool | None = None
    # Accepted and ignored: these cannot change the answer.
    metadata: dict[str, Any] | None = None
    user: str | None = None
    store: bool | None = None
    safe_prompt: bool | None = None
    prompt_cache_key: str | None = None
    service_tier: str | None = None
    safety_identifier: str | None = None

    @field_validator("stop")
    @classmethod
    def _stop_not_empty(cls, value: str | list[str] | None) -> str | list[str] | None:
        if value == []:
            return None
        return value

    @field_validator("tool_choice", mode="before")
    @classmethod
    def _tool_choice_is_known(cls, value: Any) -> Any:
        return _tool_choice(value)

    def engine_tool_choice(self) -> str | dict[str, Any] | None:
        """The `tool_choice` as Mistral's API takes it, or None."""
        if isinstance(self.tool_choice, NamedToolChoice):
            return self.tool_choice.model_dump()
        return self.tool_choice

    def engine_messages(self) -> list[dict[str, Any]]:
        """The conversation as the engine takes it."""
        return [message.to_engine() for message in self.messages]

    def effective_max_tokens(self) -> int | None:
        """Mistral's `max_tokens`, or OpenAI's newer `max_completion_tokens`."""
        return self.max_tokens if self.max_tokens is not None else self.max_completion_tokens

    def effective_seed(self) -> int | None:
        """Mistral's `random_seed`, or OpenAI's `seed`."""
        return self.random_seed if self.random_seed is not None else self.seed

    def response_format_dict(self) -> dict[str, Any] | None:
        """The response format as Mistral's API takes it, or None."""
        if self.response_format is None:
            return None
        return self.response_format.model_dump(exclude_none=True)


class AssistantMessage(_Wire):
    """The agent's final answer."""

    role: Literal["assistant"] = "assistant"
    content: str
    tool_calls: None = None


class Choice(_Wire):
    """The one choice of a chat completion."""

    index: int = 0
    message: AssistantMessage
    finish_reason: str


class UsageInfo(_Wire):
    """Tokens summed over every model call the agent made for this request."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletionResponse(_Wire):
    """The answer to a non-streaming chat completion."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: UsageInfo


class ChunkDelta(_Wire):
    """What one chunk adds to the answer: the role first, then text."""

    role: Literal["assistant"] | None = None
    content: str | None = None


class ChunkChoice(_Wire):
    """The one choice of a chunk; `finish_reason` is set on the last (`error` if it failed)."""

    index: int = 0
    delta: ChunkDelta
    finish_reason: str | None = None


class StreamError(_Wire):
    """Why a stream that had started failed: its status line was already sent."""

    code: str
    message: str
    status_code: int


class ChatCompletionChunk(_Wire):
    """One server-sent event of a streamed chat completion, in Mistral's chunk format.

    `usage` is on the last chunk; a stream that fails after it started ends with a chunk whose
    choice says `finish_reason: "error"` and a top-level `error`, so clients that ignore
    unknown keys still see the stream end, and clients that look can tell why.
    """

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: UsageInfo | None = None
    error: StreamError | None = None

    def wire(self) -> dict[str, Any]:
        """The JSON of the chunk: absent fields left out, but `finish_reason` always there."""
        data = self.model_dump(mode="json", exclude_none=True)
        for choice, dumped in zip(self.choices, data["choices"], strict=True):
            dumped["finish_reason"] = choice.finish_reason
        return data


class ModelCard(_Wire):
    """The agent, described as a model: OpenAI's fields plus Mistral's `type` and `capabilities`."""

    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str
    type: Literal["base"] = "base"
    name: str | None = None
    description: str | None = None
    capabilities: dict[str, bool] = Field(default_factory=dict)


class ModelList(_Wire):
    """`GET /v1/models`: one model, the agent."""

    object: Literal["list"] = "list"
    data: list[ModelCard]


class ValidationDetail(_Wire):
    """One field-level problem, in the shape Mistral's SDK parses on a 422."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(_Wire):
    """Every error the runtime answers with: Mistral's error shape, which OpenAI's SDK reads too.

    `detail` is set on 422s only, so Mistral's SDK fills its `HTTPValidationError.data`.
    """

    object: Literal["error"] = "error"
    message: str
    type: str
    param: str | None = None
    code: str | None = None
    detail: list[ValidationDetail] | None = None


class Health(_Wire):
    """`GET /healthz` and `GET /readyz`: the state and, when not ready, the reasons."""

    status: Literal["ok", "ready", "not ready"]
    reasons: list[str] = Field(default_factory=list)
