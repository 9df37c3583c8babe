"""Mistral's Conversations API, served from the agent's conversation store.

`POST /v1/conversations` starts a conversation, `POST /v1/conversations/{id}` appends to it
(new inputs, or a person's decisions on held tool calls), `GET .../history` and
`GET .../messages` read it back; with `stream: true` the answer comes as Mistral's named
server-sent events. The official `mistralai` SDK (`client.beta.conversations`) drives it
unchanged.

Like chat completions, it is a thin encoder of the loop's events; what it adds is the store:
the history is read before the loop runs and the turn written after it ends, in one append,
so a turn that fails or a replica that dies mid-turn leaves nothing half-written. A call of a
tool declared `requireApproval` ends the turn with the call held in the store and answered as
a `function.call` entry with `confirmation_status: "pending"`; the append that carries
`tool_confirmations` decides it in the store (exactly once, across replicas) and resumes the
loop on whichever replica received it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import StreamingResponse

from agent_runtime.chat import usage_info
from agent_runtime.engine import EventStream
from agent_runtime.errors import ModelNotFound, loop_error_status
from agent_runtime.events import (
    Event,
    Failed,
    Final,
    HeldForApproval,
    LoopError,
    TextDelta,
    ToolFinished,
    ToolStarted,
)
from agent_runtime.loop import RequestOptions, ToolDecision
from agent_runtime.model import Usage
from agent_runtime.routes import ERROR_RESPONSES, ServiceState, require_token, state_of
from agent_runtime.sse import STREAM_HEADERS
from agent_runtime.store import (
    ConversationStore,
    Decision,
    Entry,
    FunctionCall,
    FunctionResult,
    MessageInput,
    MessageOutput,
    StoreUnavailableError,
    ToolCallRequest,
    check_budget,
)
from agent_runtime.store.meter import StoreMeter
from agent_runtime.store.models import new_id

__all__ = ["chat_messages", "router"]


# Requests ---------------------------------------------------------------------------------------
class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CompletionArgs(_Body):
    """The model settings a request may override, as Mistral's `completion_args` names them."""

    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    max_tokens: int | None = Field(default=None, ge=1)
    stop: str | list[str] | None = None
    random_seed: int | None = Field(default=None, ge=0)


class ToolConfirmation(_Body):
    """A person's decision on one held tool call (`ToolCallConfirmation` in the SDK)."""

    tool_call_id: str = Field(min_length=1, max_length=256)
    confirmation: Literal["allow", "deny"]
    reason: str | None = Field(default=None, max_length=4096, description="Why, if given.")
    decided_by: str | None = Field(default=None, max_length=256, description="Who, if given.")


#: The inputs of a turn: a text, or `message.input` entries.
Inputs = str | list[dict[str, Any]]


class StartRequest(_Body):
    """`POST /v1/conversations`: the fields of the SDK's `ConversationRequest`."""

    inputs: Inputs
    stream: bool = False
    store: bool | None = None
    handoff_execution: Literal["client", "server"] | None = None
    instructions: str | None = None
    tools: list[dict[str, Any]] | None = None
    completion_args: CompletionArgs | None = None
    guardrails: list[dict[str, Any]] | None = None
    name: str | None = None
    description: str | None = None
    metadata: dict[str, Any] | None = None
    agent_id: str | None = None
    agent_version: str | int | None = None
    model: str | None = None


class AppendRequest(_Body):
    """`POST /v1/conversations/{id}`: new inputs, or decisions on the held tool calls."""

    inputs: Inputs | None = None
    stream: bool = False
    store: bool | None = None
    handoff_execution: Literal["client", "server"] | None = None
    completion_args: CompletionArgs | None = None
    tool_confirmations: list[ToolConfirmation] | None = None


def _refuse(message: str, status: int = 400) -> HTTPException:
    return HTTPException(status, detail=message)


def input_entries(inputs: Inputs) -> list[Entry]:
    """The `message.input` entries of a turn's inputs; anything else is a 400."""
    if isinstance(inputs, str):
        return [MessageInput(content=inputs)]
    entries: list[Entry] = []
    for item in inputs:
        if item.get("type", "message.input") != "message.input":
            raise _refuse(
                f"inputs of type {item.get('type')!r} are not accepted: this agent runs its"
                " own tools, so send message.input entries only"
            )
        role = item.get("role", "user")
        if role not in ("user", "assistant"):
            raise _refuse(f"an input's role must be user or assistant, not {role!r}")
        entries.append(MessageInput(role=role, content=_text(item.get("content"))))
    if not entries:
        raise _refuse("inputs must hold at least one message")
    return entries


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [c.get("text") for c in content if isinstance(c, dict) and c.get("type") == "text"]
        if len(texts) == len(content) and all(isinstance(t, str) for t in texts):
            return "".join(str(t) for t in texts)
    raise _refuse("an input's content must be a text, or a list of text chunks")


# History as chat messages -----------------------------------------------------------------------
def chat_messages(entries: Sequence[Entry], open_calls: frozenset[str] = frozenset()) -> list[Any]:
    """The stored entries as the chat messages the loop sends the model.

    A `function.call` with no `function.result` (a held call that expired or was never
    decided) is answered to the model as not run, so the history stays valid for the model's
    API; the calls in `open_calls` are left for this request to answer.
    """
    answered = {e.tool_call_id for e in entries if isinstance(e, FunctionResult)}
    names = {e.tool_call_id: e.name for e in entries if isinstance(e, FunctionCall)}
    messages: list[dict[str, Any]] = []
    unanswered: list[FunctionCall] = []
    previous_was_call = False
    for entry in entries:
        if not isinstance(entry, FunctionCall):
            messages += [_not_run(call) for call in unanswered]
            unanswered = []
        if isinstance(entry, MessageInput):
            messages.append({"role": entry.role, "content": entry.content})
        elif isinstance(entry, MessageOutput):
            messages.append({"role": "assistant", "content": entry.content})
        elif isinstance(entry, FunctionResult):
            name = names.get(entry.tool_call_id, "")
            messages.append(
                {
                    "role": "tool",
                    "tool_call_id": entry.tool_call_id,
                    "name": name,
                    "content": entry.result,
                }
            )
        else:
            call = {
                "id": entry.tool_call_id,
                "type": "function",
                "function": {"name": entry.name, "arguments": entry.arguments},
            }
            if previous_was_call:
                messages[-1]["tool_calls"].append(call)
            else:
                messages.append({"role": "assistant", "content": "", "tool_calls": [call]})
            if entry.tool_call_id not in answered and entry.tool_call_id not in open_calls:
                unanswered.append(entry)
        previous_was_call = isinstance(entry, FunctionCall)
    return messages + [_not_run(call) for call in unanswered]


def _not_run(call: FunctionCall) -> dict[str, Any]:
    content = json.dumps({"error": "this tool call was not run: it was never allowed"})
    return {
        "role": "tool",
        "tool_call_id": call.tool_call_id,
        "name": call.name,
        "content": content,
    }


# Responses ---------------------------------------------------------------------------------------
def wire_entry(entry: Entry, status: str | None = None) -> dict[str, Any]:
    """An entry as the API answers it; a function call with its confirmation status if held."""
    data = entry.model_dump(mode="json")
    data["object"] = "entry"
    if isinstance(entry, FunctionCall):
        data["confirmation_status"] = status
    return data


@dataclass
class TurnRecord:
    """What one turn recorded from the loop's events: its entries, held calls and usage."""

    agent: str
    skip_calls: frozenset[str] = frozenset()
    message_id: str = field(default_factory=lambda: new_id("entry"))
    entries: list[Entry] = field(default_factory=list)
    held: list[FunctionCall] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)

    def record(self, event: Event) -> None:
        """Record one event; a `Failed` one raises its error."""
        if isinstance(event, ToolStarted) and event.call_id not in self.skip_calls:
            self.entries.append(
                FunctionCall(tool_call_id=event.call_id, name=event.name, arguments=event.arguments)
            )
        elif isinstance(event, ToolFinished):
            self.entries.append(FunctionResult(tool_call_id=event.call_id, result=event.content))
        elif isinstance(event, TextDelta):
            self.text.append(event.text)
        elif isinstance(event, Final):
            self.usage = event.usage
            self.entries.append(
                MessageOutput(id=self.message_id, content=event.content, model=self.agent)
            )
        elif isinstance(event, HeldForApproval):
            self.usage = event.usage
            held = {c.call_id for c in event.calls}
            self.held = [
                e for e in self.entries if isinstance(e, FunctionCall) and e.tool_call_id in held
            ]
        elif isinstance(event, Failed):
            raise event.error

    def outputs(self) -> list[dict[str, Any]]:
        """The response's outputs: the answer, or the calls waiting for a decision."""
        if self.held:
            return [wire_entry(call, "pending") for call in self.held]
        return [wire_entry(e) for e in self.entries if isinstance(e, MessageOutput)]


def _usage(usage: Usage) -> dict[str, Any]:
    return usage_info(usage).model_dump()


# The service -------------------------------------------------------------------------------------
@dataclass
class Turn:
    """One request on a conversation: what it sends the loop and how it is written back."""

    conversation_id: str
    inputs: list[Entry]
    messages: list[Any]
    new_turn: bool = True
    decisions: tuple[ToolDecision, ...] = ()
    completion_args: CompletionArgs | None = None


@dataclass
class ConversationService:
    """The routes' logic over the state the lifespan built, for one request."""

    state: ServiceState
    store: ConversationStore

    @classmethod
    def of(cls, request: Request) -> ConversationService:
        state = state_of(request)
        if state.store is None:
            raise _refuse(
                f"agent {state.agent_name} keeps no conversations: set spec.conversations", 404
            )
        return cls(state, state.store)

    async def run(self, turn: Turn, *, stream: bool) -> Response:
        """Run one turn; answer it whole, or as named server-sent events."""
        budget = self.state.config.budget
        if budget is not None:
            usage = await self.store.usage(turn.conversation_id)
            check_budget(usage, budget, datetime.now(UTC))
        meter = StoreMeter(
            self.store, turn.conversation_id, budget, self.state.metrics, self.state.agent_name
        )
        args = turn.completion_args or CompletionArgs()
        options = RequestOptions(
            temperature=args.temperature,
            top_p=args.top_p,
            max_tokens=args.max_tokens,
            stop=[args.stop] if isinstance(args.stop, str) else args.stop,
            random_seed=args.random_seed,
            hold_for_approval=True,
            decisions=turn.decisions,
            meter=meter,
        )
        events = self.state.engine.run(turn.messages, options, stream=stream)
        record = TurnRecord(self.state.agent_name, frozenset(d.call_id for d in turn.decisions))
        if not stream:
            await self._collect(record, events)
            await self._save(turn, record)
            return JSONResponse(
                {
                    "object": "conversation.response",
                    "conversation_id": turn.conversation_id,
                    "outputs": record.outputs(),
                    "usage": _usage(record.usage),
                }
            )
        opening = await self._opening(record, events)
        return StreamingResponse(
            _named(self._stream(turn, record, opening, events)),
            media_type="text/event-stream",
            headers=dict(STREAM_HEADERS),
        )

    async def _collect(self, record: TurnRecord, events: EventStream) -> None:
        try:
            async for event in events:
                record.record(event)
        finally:
            await events.aclose()

    async def _opening(self, record: TurnRecord, events: EventStream) -> list[Event]:
        """The events up to the first a client would see; a failure before it is an HTTP error."""
        seen: list[Event] = []
        try:
            async for event in events:
                seen.append(event)
                if isinstance(event, Failed):
                    raise event.error
                if isinstance(event, TextDelta | Final | HeldForApproval):
                    break
        except BaseException:
            await events.aclose()
            raise
        return seen

    async def _stream(
        self, turn: Turn, record: TurnRecord, opening: list[Event], events: EventStream
    ) -> AsyncGenerator[dict[str, Any]]:
        created = datetime.now(UTC).isoformat()
        yield {"type": "conversation.response.started", "conversation_id": turn.conversation_id}
        try:
            async for event in _chain(opening, events):
                try:
                    record.record(event)
                except LoopError as error:
                    yield _error_event(error.message, loop_error_status(error))
                    return
                if isinstance(event, TextDelta):
                    yield {
                        "type": "message.output.delta",
                        "id": record.message_id,
                        "content": event.text,
                        "model": record.agent,
                        "created_at": created,
                    }
            await self._save(turn, record)
        except StoreUnavailableError as exc:
            yield _error_event(str(exc), 503)
            return
        finally:
            await events.aclose()
        for index, call in enumerate(record.held):
            yield {
                "type": "function.call.delta",
                "id": call.id,
                "name": call.name,
                "tool_call_id": call.tool_call_id,
                "arguments": call.arguments,
                "output_index": index,
                "confirmation_status": "pending",
            }
        yield {"type": "conversation.response.done", "usage": _usage(record.usage)}

    async def _save(self, turn: Turn, record: TurnRecord) -> None:
        """Write the turn in one append, then hold its calls waiting for a person."""
        entries = [*turn.inputs, *record.entries]
        await self.store.append(turn.conversation_id, entries, new_turn=turn.new_turn)
        if record.held:
            calls = [
                ToolCallRequest(id=c.tool_call_id, name=c.name, arguments=c.arguments)
                for c in record.held
            ]
            await self.store.hold(turn.conversation_id, calls)
            for call in calls:
                self.state.metrics.approvals.labels(tool=call.name, decision="held").inc()

    async def decide(
        self, conversation_id: str, confirmations: list[ToolConfirmation]
    ) -> tuple[ToolDecision, ...]:
        """Decide the held calls, each exactly once; every pending one must be decided."""
        now = datetime.now(UTC)
        held = await self.store.approvals(conversation_id)
        pending = {a.id for a in held if a.status == "pending" and not a.expired(now)}
        named = [c.tool_call_id for c in confirmations]
        if len(set(named)) != len(named):
            raise _refuse("each tool_call_id may be confirmed once per request")
        missing = sorted(pending - set(named))
        if missing and pending & set(named):
            raise _refuse(f"decide every pending tool call together; missing: {', '.join(missing)}")
        decisions = []
        for confirmation in confirmations:
            allow = confirmation.confirmation == "allow"
            approval = await self.store.decide(
                conversation_id,
                confirmation.tool_call_id,
                Decision(
                    allow=allow, reason=confirmation.reason, decided_by=confirmation.decided_by
                ),
            )
            self.state.metrics.approvals.labels(
                tool=approval.tool_call.name, decision=confirmation.confirmation
            ).inc()
            call = approval.tool_call
            decisions.append(
                ToolDecision(call.id, call.name, call.arguments, allow, confirmation.reason)
            )
        return tuple(decisions)

    async def waiting(self, conversation_id: str) -> list[str]:
        """The held calls of the conversation still waiting for a decision."""
        if not any(tool.require_approval for tool in self.state.config.tools):
            return []
        now = datetime.now(UTC)
        held = await self.store.approvals(conversation_id)
        return [a.id for a in held if a.status == "pending" and not a.expired(now)]


def _error_event(message: str, status: int) -> dict[str, Any]:
    return {"type": "conversation.response.error", "message": message, "code": status}


async def _chain(opening: list[Event], events: EventStream) -> AsyncGenerator[Event]:
    for event in opening:
        yield event
    async for event in events:
        yield event


async def _named(events: AsyncGenerator[dict[str, Any]]) -> AsyncIterator[bytes]:
    """Mistral's conversation events: `event: <type>` and `data: <json>`, with no `[DONE]`."""
    try:
        async for item in events:
            data = json.dumps(item, ensure_ascii=False)
            yield f"event: {item['type']}\ndata: {data}\n\n".encode()
    finally:
        await events.aclose()


# Routes ------------------------------------------------------------------------------------------
router = APIRouter(dependencies=[Depends(require_token)], tags=["conversations"])

#: The error answers of the conversation routes, for the OpenAPI document.
CONVERSATION_ERRORS: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    404: {"description": "No such conversation, or it expired; or no such held tool call."},
    409: {"description": "The tool call was decided before, or the conversation waits for one."},
    410: {"description": "The held tool call expired before it was decided."},
    429: {"description": "A token budget is spent (`Retry-After` for the daily one)."},
    503: {"description": "The conversation store did not answer."},
}


def _check_agent(state: ServiceState, body: StartRequest) -> None:
    for named in (body.agent_id, body.model):
        if named is not None and named != state.agent_name:
            raise ModelNotFound(named, state.agent_name)
    if body.instructions is not None or body.tools:
        raise _refuse("this agent's instructions and tools are set by its Agent resource")
    if body.store is False:
        raise _refuse("this agent stores every conversation: store may not be false")


@router.post("/v1/conversations", responses=CONVERSATION_ERRORS)
async def start_conversation(body: StartRequest, request: Request) -> Response:
    service = ConversationService.of(request)
    _check_agent(service.state, body)
    inputs = input_entries(body.inputs)
    conversation = await service.store.create(service.state.agent_name)
    turn = Turn(
        conversation.id, inputs, chat_messages(inputs), completion_args=body.completion_args
    )
    return await service.run(turn, stream=body.stream)


@router.post("/v1/conversations/{conversation_id}", responses=CONVERSATION_ERRORS)
async def append_to_conversation(
    conversation_id: str, body: AppendRequest, request: Request
) -> Response:
    service = ConversationService.of(request)
    if body.store is False:
        raise _refuse("this agent stores every conversation: store may not be false")
    if (body.inputs is None) == (not body.tool_confirmations):
        raise _refuse("send either inputs or tool_confirmations")
    conversation = await service.store.get(conversation_id)
    if body.tool_confirmations:
        decisions = await service.decide(conversation_id, body.tool_confirmations)
        open_calls = frozenset(d.call_id for d in decisions)
        messages = chat_messages(conversation.entries, open_calls)
        turn = Turn(conversation_id, [], messages, False, decisions, body.completion_args)
        return await service.run(turn, stream=body.stream)
    waiting = await service.waiting(conversation_id)
    if waiting:
        raise _refuse(
            f"the conversation waits for a decision on tool calls {', '.join(waiting)}:"
            " append tool_confirmations first",
            409,
        )
    assert body.inputs is not None
    inputs = input_entries(body.inputs)
    messages = chat_messages([*conversation.entries, *inputs])
    turn = Turn(conversation_id, inputs, messages, completion_args=body.completion_args)
    return await service.run(turn, stream=body.stream)


@router.get("/v1/conversations/{conversation_id}/history", responses=CONVERSATION_ERRORS)
async def conversation_history(conversation_id: str, request: Request) -> Response:
    service = ConversationService.of(request)
    conversation = await service.store.get(conversation_id)
    statuses = {a.id: a.status for a in await service.store.approvals(conversation_id)}
    entries = [
        wire_entry(e, statuses.get(e.tool_call_id) if isinstance(e, FunctionCall) else None)
        for e in conversation.entries
    ]
    return JSONResponse(
        {"object": "conversation.history", "conversation_id": conversation_id, "entries": entries}
    )


@router.get("/v1/conversations/{conversation_id}/messages", responses=CONVERSATION_ERRORS)
async def conversation_messages(conversation_id: str, request: Request) -> Response:
    service = ConversationService.of(request)
    conversation = await service.store.get(conversation_id)
    messages = [
        wire_entry(e) for e in conversation.entries if isinstance(e, MessageInput | MessageOutput)
    ]
    return JSONResponse(
        {
            "object": "conversation.messages",
            "conversation_id": conversation_id,
            "messages": messages,
        }
    )
