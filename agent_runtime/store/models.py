"""What a conversation store holds, as pydantic models: entries, turns, approvals, budgets.

Entries follow the shape of Mistral's Conversations API (`message.input`, `message.output`,
`function.call`, `function.result`), the richest of the runtime's faces: chat messages are
derived from them, never the other way round. A turn is one user input and everything the
agent did to answer it; history is bounded in whole turns, so a tool call is never kept
without its result.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Record(BaseModel):
    """Immutable; unknown keys refused, so a record written by a newer runtime fails loudly."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def new_id(prefix: str) -> str:
    """A random identifier with a readable prefix, e.g. `conv_3f2a...`."""
    return f"{prefix}_{uuid.uuid4().hex}"


def _now() -> datetime:
    return datetime.now(UTC)


class _Entry(_Record):
    id: str = Field(default_factory=lambda: new_id("entry"), description="Entry id.")
    created_at: datetime = Field(default_factory=_now, description="When it was recorded.")


class MessageInput(_Entry):
    """What the client said."""

    type: Literal["message.input"] = "message.input"
    role: Literal["user", "assistant"] = "user"
    content: str


class MessageOutput(_Entry):
    """What the agent answered."""

    type: Literal["message.output"] = "message.output"
    role: Literal["assistant"] = "assistant"
    content: str
    model: str | None = Field(default=None, description="The model that wrote it.")


class FunctionCall(_Entry):
    """A tool call the model asked for."""

    type: Literal["function.call"] = "function.call"
    tool_call_id: str
    name: str
    arguments: str = Field(description="The arguments as the model wrote them (JSON text).")


class FunctionResult(_Entry):
    """What a tool answered (or why it was not run)."""

    type: Literal["function.result"] = "function.result"
    tool_call_id: str
    result: str


#: One entry of a conversation's history, told apart by its `type`.
Entry = Annotated[
    MessageInput | MessageOutput | FunctionCall | FunctionResult, Field(discriminator="type")
]


class Turn(_Record):
    """One user input and everything recorded while answering it."""

    entries: tuple[Entry, ...]


class Conversation(_Record):
    """A stored conversation: who serves it and its most recent turns, oldest first."""

    id: str
    agent: str
    created_at: datetime
    updated_at: datetime
    turns: tuple[Turn, ...] = ()

    @classmethod
    def start(cls, agent: str) -> Conversation:
        """A new, empty conversation with a random id."""
        now = _now()
        return cls(id=new_id("conv"), agent=agent, created_at=now, updated_at=now)

    @property
    def entries(self) -> tuple[Entry, ...]:
        """The kept history as one sequence of entries, oldest first."""
        return tuple(entry for turn in self.turns for entry in turn.entries)


class ToolCallRequest(_Record):
    """A tool call held back until a person allows or denies it."""

    id: str = Field(description="The model's tool call id, unique within its conversation.")
    name: str
    arguments: str


class Decision(_Record):
    """A person's answer to a pending tool call."""

    allow: bool
    reason: str | None = Field(default=None, max_length=4096)
    decided_by: str | None = Field(
        default=None, max_length=256, description="Who decided, only when the request says so."
    )


#: `expired` is how a reader sees a call still pending past its expiry.
ApprovalStatus = Literal["pending", "allowed", "denied", "expired"]


class Approval(_Record):
    """A tool call waiting for (or having received) its one decision."""

    conversation_id: str
    tool_call: ToolCallRequest
    created_at: datetime
    expires_at: datetime
    status: ApprovalStatus = "pending"
    decision: Decision | None = None

    @classmethod
    def hold(
        cls, conversation_id: str, call: ToolCallRequest, now: datetime, timeout_seconds: float
    ) -> Approval:
        """A call held from `now`, pending until decided or `timeout_seconds` have passed."""
        return cls(
            conversation_id=conversation_id,
            tool_call=call,
            created_at=now,
            expires_at=now + timedelta(seconds=timeout_seconds),
        )

    @property
    def id(self) -> str:
        """The approval is named by its tool call's id, within its conversation."""
        return self.tool_call.id

    def expired(self, now: datetime) -> bool:
        """Whether it can no longer be decided (a decided one never expires)."""
        return self.status == "pending" and now >= self.expires_at


class BudgetUsage(_Record):
    """Tokens spent so far by one conversation, and by the whole agent today (UTC)."""

    conversation_tokens: int = Field(ge=0)
    day_tokens: int = Field(ge=0)
    day: str = Field(description="The UTC day counted, as YYYY-MM-DD.")


class StoreHealth(_Record):
    """Whether the store answers; `reason` says why not, for `/readyz`."""

    ok: bool
    store: Literal["in-process", "redis"]
    reason: str | None = None
