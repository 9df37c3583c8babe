"""The `AgentEvaluation` resource: test cases an Agent's answers must pass, and their results.

An evaluation names an Agent and lists cases. A case is a conversation sent to the agent, the
answers its tools give (scripted, so no live service is needed), and checks on what came back:
text it must or must not contain, a regex, a JSON Schema, tools called or not (with arguments
matching a schema), bounds on turns and tokens, and a judge (another model asked a rubric
question). `agent-operator eval` runs the cases on this machine; the status it prints is the
`EvaluationStatus` below, the very object the operator writes to the resource.

As for the Agent (`agent_operator.spec`), rules spanning several fields are a `CelRule` for the
API server and a pydantic validator with the same message; checks the API server cannot make (a
regex that compiles, a JSON Schema valid against its meta-schema) are made here only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from agent_operator.spec import (
    DNS_SUBDOMAIN,
    GROUP,
    HTTP_URL,
    TOOL_NAME,
    VERSION,
    CelRule,
    Condition,
    JsonSchemaDocument,
    SecretKeyRef,
    SpecError,
    _Spec,
    _validations,
    describe_errors,
)
from agent_runtime.config import checked_json_schema

#: The kind and plural of the resource, in the Agent's API group and version.
EVALUATION_KIND = "AgentEvaluation"
EVALUATION_PLURAL = "agentevaluations"
EVALUATION_API_VERSION = f"{GROUP}/{VERSION}"

#: Condition type and reasons of an evaluation's outcome.
PASSED = "Passed"
REASON_ALL_PASSED = "AllCasesPassed"
REASON_CASES_FAILED = "CasesFailed"
REASON_AGENT_NOT_FOUND = "AgentNotFound"
REASON_INVALID = "InvalidEvaluation"
REASON_JUDGE_UNAVAILABLE = "JudgeUnavailable"
REASON_RUNTIME_UNAVAILABLE = "RuntimeUnavailable"

#: Any JSON value, kept as written by the API server (a tool's scripted answer).
JsonValue = Annotated[Any, WithJsonSchema({"x-kubernetes-preserve-unknown-fields": True})]


def _schema_document(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON Schema, refused unless its own meta-schema accepts it (the Agent's own check)."""
    return checked_json_schema(schema)


class AgentRef(_Spec):
    """The Agent under evaluation, in the evaluation's namespace."""

    name: str = Field(
        min_length=1, max_length=253, pattern=DNS_SUBDOMAIN, description="Name of the Agent."
    )


class Message(_Spec):
    """One message of a case's conversation."""

    role: Literal["system", "user", "assistant"] = Field(description="Who speaks.")
    content: str = Field(max_length=65536, description="What is said.")


class ToolResponse(_Spec):
    """A scripted answer of one tool: the tool is never called for real during an evaluation.

    Several answers for the same tool answer its successive calls; the last one repeats.
    """

    tool: str = Field(max_length=64, pattern=TOOL_NAME, description="Name of the Agent's tool.")
    body: JsonValue = Field(description="The JSON the tool answers (an object, text, a number).")
    status: int = Field(
        default=200, ge=200, le=599, description="HTTP status of the answer; 4xx/5xx: a failure."
    )


class ToolCallCheck(_Spec):
    """A tool that must have been called, and optionally the schema its arguments match."""

    name: str = Field(max_length=64, pattern=TOOL_NAME, description="Name of the tool.")
    arguments: JsonSchemaDocument | None = Field(
        default=None, description="JSON Schema that the arguments of some call must satisfy."
    )

    @field_validator("arguments")
    @classmethod
    def _valid_schema(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if value is None else _schema_document(value)


class JudgeCheck(_Spec):
    """A rubric question put to the evaluation's judge model, and the score that passes."""

    rubric: str = Field(
        min_length=1, max_length=8192, description="What a good answer does, as a question."
    )
    threshold: float = Field(
        default=0.7, ge=0, le=1, description="Lowest score (0 to 1) that passes."
    )


CHECK_EXACTLY_ONE_KIND = CelRule(
    rule="(has(self.contains) ? 1 : 0) + (has(self.notContains) ? 1 : 0)"
    " + (has(self.matches) ? 1 : 0) + (has(self.jsonSchema) ? 1 : 0)"
    " + (has(self.toolCalled) ? 1 : 0) + (has(self.toolNotCalled) ? 1 : 0)"
    " + (has(self.maxTurns) ? 1 : 0) + (has(self.maxTokens) ? 1 : 0)"
    " + (has(self.judge) ? 1 : 0) == 1",
    message="a check needs exactly one of contains, notContains, matches, jsonSchema,"
    " toolCalled, toolNotCalled, maxTurns, maxTokens or judge",
)


class Check(_Spec):
    """One check on a case's outcome; exactly one kind per check."""

    model_config = ConfigDict(json_schema_extra=_validations(CHECK_EXACTLY_ONE_KIND))

    contains: str | None = Field(
        default=None, min_length=1, max_length=4096, description="Text the answer contains."
    )
    not_contains: str | None = Field(
        default=None, min_length=1, max_length=4096, description="Text the answer lacks."
    )
    matches: str | None = Field(
        default=None,
        min_length=1,
        max_length=4096,
        description="A Python regular expression found somewhere in the answer.",
    )
    json_schema: JsonSchemaDocument | None = Field(
        default=None, description="The answer is JSON valid against this JSON Schema."
    )
    tool_called: ToolCallCheck | None = Field(
        default=None, description="A tool the agent called (with arguments matching a schema)."
    )
    tool_not_called: str | None = Field(
        default=None, max_length=64, pattern=TOOL_NAME, description="A tool the agent never called."
    )
    max_turns: int | None = Field(
        default=None, ge=1, le=100, description="Most model calls the case may take."
    )
    max_tokens: int | None = Field(
        default=None, ge=1, le=10_000_000, description="Most tokens (prompt and completion)."
    )
    judge: JudgeCheck | None = Field(default=None, description="Ask the judge model.")

    @field_validator("matches")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return value

    @field_validator("json_schema")
    @classmethod
    def _valid_schema(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if value is None else _schema_document(value)

    @model_validator(mode="after")
    def _exactly_one_kind(self) -> Check:
        if sum(value is not None for value in self.model_dump().values()) != 1:
            raise ValueError(CHECK_EXACTLY_ONE_KIND.message)
        return self


CASE_ENDS_WITH_USER = CelRule(
    rule="self.messages[size(self.messages) - 1].role == 'user'",
    message="a case's last message is the user's",
)


class Case(_Spec):
    """One conversation sent to the agent, and the checks its outcome must pass."""

    model_config = ConfigDict(json_schema_extra=_validations(CASE_ENDS_WITH_USER))

    name: str = Field(
        min_length=1,
        max_length=63,
        pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
        description="Name of the case, unique in the evaluation.",
    )
    messages: tuple[Message, ...] = Field(
        min_length=1, max_length=64, description="The conversation; it ends with the user's turn."
    )
    tool_responses: tuple[ToolResponse, ...] = Field(
        default=(), max_length=64, description="What the tools answer, instead of live services."
    )
    checks: tuple[Check, ...] = Field(
        min_length=1, max_length=32, description="What the outcome must satisfy; all must pass."
    )

    @model_validator(mode="after")
    def _ends_with_user(self) -> Case:
        if self.messages[-1].role != "user":
            raise ValueError(CASE_ENDS_WITH_USER.message)
        return self


class JudgeModel(_Spec):
    """The model that grades answers by rubric, through the same Mistral SDK."""

    name: str = Field(min_length=1, max_length=128, description="Model name.")
    endpoint: str | None = Field(
        default=None,
        max_length=2048,
        pattern=HTTP_URL,
        description="Base URL of a Mistral-compatible server; unset: Mistral's API.",
    )
    api_key_secret_ref: SecretKeyRef | None = Field(
        default=None, description="The judge's API key; unset for a server that needs none."
    )
    timeout_seconds: float = Field(
        default=30.0, gt=0, le=600, description="Timeout of one question to the judge."
    )


CASE_NAMES_UNIQUE = CelRule(
    rule="self.all(c, self.exists_one(d, d.name == c.name))", message="case names must be unique"
)
JUDGE_DECLARED = CelRule(
    rule="has(self.judge) || self.cases.all(c, c.checks.all(k, !has(k.judge)))",
    message="a judge check needs spec.judge",
)


class EvaluationSpec(_Spec):
    """The desired evaluation: an Agent, its cases, and the judge some checks ask."""

    model_config = ConfigDict(json_schema_extra=_validations(JUDGE_DECLARED))

    agent_ref: AgentRef = Field(description="The Agent under evaluation.")
    cases: tuple[Case, ...] = Field(
        min_length=1,
        max_length=256,
        description="The cases; names are unique.",
        json_schema_extra={
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            **_validations(CASE_NAMES_UNIQUE),
        },
    )
    judge: JudgeModel | None = Field(default=None, description="The model judge checks ask.")

    @model_validator(mode="after")
    def _names_unique(self) -> EvaluationSpec:
        names = [case.name for case in self.cases]
        if len(names) != len(set(names)):
            raise ValueError(CASE_NAMES_UNIQUE.message)
        return self

    @model_validator(mode="after")
    def _judge_declared(self) -> EvaluationSpec:
        wanted = any(check.judge for case in self.cases for check in case.checks)
        if wanted and self.judge is None:
            raise ValueError(JUDGE_DECLARED.message)
        return self


# --- status ----------------------------------------------------------------------------------


class CaseResult(_Spec):
    """The outcome of one case."""

    name: str = Field(max_length=63, description="Name of the case.")
    passed: bool = Field(description="Whether every check passed.")
    reason: str = Field(
        default="",
        max_length=4096,
        description="Why it failed, every failed check; empty when passed.",
    )
    turns: int | None = Field(default=None, ge=0, description="Model calls the agent made.")
    tokens: int | None = Field(default=None, ge=0, description="Tokens used in all.")


class EvaluationStatus(_Spec):
    """The last run's results: per case, in sum, and as a `Passed` condition."""

    # As for Agents, Kopf keeps its progress records in `status.kopf`: never pruned.
    model_config = ConfigDict(json_schema_extra={"x-kubernetes-preserve-unknown-fields": True})

    observed_generation: int | None = Field(
        default=None, ge=0, description="The generation of the evaluation last run."
    )
    passed: int = Field(default=0, ge=0, description="Cases that passed.")
    total: int = Field(default=0, ge=0, description="Cases run.")
    summary: str = Field(default="", max_length=64, description="passed/total, for kubectl get.")
    results: tuple[CaseResult, ...] = Field(
        default=(),
        max_length=256,
        description="One result per case, in the order of spec.cases.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"]},
    )
    conditions: tuple[Condition, ...] = Field(
        default=(),
        max_length=8,
        description="Passed: whether every case passed, or why the evaluation could not run.",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]},
    )


# --- parsing ---------------------------------------------------------------------------------


class EvaluationObject(BaseModel):
    """A whole AgentEvaluation object as read from a file: identity and spec."""

    model_config = ConfigDict(frozen=True)

    name: str
    namespace: str
    generation: int | None
    spec: EvaluationSpec


def parse_evaluation(obj: Mapping[str, Any]) -> EvaluationObject:
    """Parse an AgentEvaluation object, or raise `SpecError` naming the first wrong fields."""
    if obj.get("apiVersion") != EVALUATION_API_VERSION or obj.get("kind") != EVALUATION_KIND:
        raise SpecError(
            f"apiVersion/kind: expected {EVALUATION_API_VERSION} {EVALUATION_KIND}, "
            f"got {obj.get('apiVersion')} {obj.get('kind')}"
        )
    metadata = obj.get("metadata")
    metadata = metadata if isinstance(metadata, Mapping) else {}
    name = metadata.get("name")
    if not isinstance(name, str) or not re.fullmatch(DNS_SUBDOMAIN, name):
        raise SpecError(f"metadata.name: {name!r} is not a DNS-1123 subdomain")
    spec = obj.get("spec")
    if not isinstance(spec, Mapping):
        raise SpecError("spec: an AgentEvaluation needs a spec")
    try:
        parsed = EvaluationSpec.model_validate(spec)
    except ValidationError as exc:
        raise SpecError(describe_errors(exc, root="spec")) from None
    generation = metadata.get("generation")
    return EvaluationObject(
        name=name,
        namespace=str(metadata.get("namespace") or "default"),
        generation=generation if isinstance(generation, int) else None,
        spec=parsed,
    )
