"""The `ConversationStore` interface, its settings, and the errors every implementation raises.

All state of a stateful agent (conversations, tool calls held for a person's decision, token
counts) goes through this one interface, so any replica can serve any step of a conversation.
Two implementations keep the same contract: `MemoryStore` (one process) and `RedisStore`
(several replicas); the tests run one suite against both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, Protocol

from agent_runtime import config as runtime
from agent_runtime.store.models import (
    Approval,
    BudgetUsage,
    Conversation,
    Decision,
    Entry,
    StoreHealth,
    ToolCallRequest,
)


@dataclass(frozen=True)
class StoreSettings:
    """Bounds of a store; `scope` keeps the keys of agents sharing one Redis apart."""

    scope: str
    ttl_seconds: float = 86400
    history_turns: int = 50
    approval_timeout_seconds: float = 3600
    max_conversations: int = 10_000
    timeout_seconds: float = 2.0

    @classmethod
    def from_config(cls, config: runtime.RuntimeConfig) -> StoreSettings:
        """The settings an agent's rendered config asks for (defaults when it asks for none)."""
        conversations = config.conversations or runtime.Conversations()
        return cls(
            scope=f"{config.agent.namespace}/{config.agent.name}",
            ttl_seconds=conversations.ttl_seconds,
            history_turns=conversations.history_turns,
            approval_timeout_seconds=conversations.approval_timeout_seconds,
            max_conversations=conversations.max_conversations,
            timeout_seconds=conversations.store_timeout_seconds,
        )


class StoreError(RuntimeError):
    """Something the store refused or could not do; the message is safe to show a client."""


class StoreUnavailableError(StoreError):
    """The store did not answer in time (a 503); nothing was changed that was not reported."""


class ConversationNotFoundError(StoreError):
    """No such conversation: it never existed or expired while idle (a 404)."""

    def __init__(self, conversation_id: str) -> None:
        super().__init__(f"conversation {conversation_id} does not exist or has expired")
        self.conversation_id = conversation_id


#: Why a decision was refused: no such pending call here, past its expiry, or decided before.
RefusalReason = Literal["unknown", "expired", "decided"]


class ApprovalRefusedError(StoreError):
    """A decision that cannot be taken (a 4xx): the held call is not run a second time."""

    def __init__(self, conversation_id: str, approval_id: str, reason: RefusalReason) -> None:
        what = {
            "unknown": "is not held in this conversation",
            "expired": "expired before it was decided",
            "decided": "was already decided",
        }[reason]
        super().__init__(f"tool call {approval_id} of conversation {conversation_id} {what}")
        self.reason: RefusalReason = reason


class ConversationStore(Protocol):
    """Where stateful agents keep everything; each call is bounded by the store's timeout."""

    @property
    def kind(self) -> Literal["in-process", "redis"]:
        """Which implementation this is, for `/readyz` and metrics."""
        ...

    async def create(self, agent: str) -> Conversation:
        """Start an empty conversation with a new id."""
        ...

    async def get(self, conversation_id: str) -> Conversation:
        """The conversation with its kept turns; `ConversationNotFoundError` when gone."""
        ...

    async def append(
        self, conversation_id: str, entries: Sequence[Entry], *, new_turn: bool
    ) -> None:
        """Record entries, as a new turn or at the end of the last one; refresh the TTL.

        Only the latest `history_turns` turns are kept. Atomic: all entries or none.
        """
        ...

    async def hold(
        self, conversation_id: str, calls: Sequence[ToolCallRequest]
    ) -> tuple[Approval, ...]:
        """Hold tool calls until decided or expired; a call id held before keeps its record."""
        ...

    async def approvals(self, conversation_id: str) -> tuple[Approval, ...]:
        """Every held call of the conversation, pending, decided or expired."""
        ...

    async def decide(self, conversation_id: str, approval_id: str, decision: Decision) -> Approval:
        """Decide a pending call exactly once, across every replica.

        Raises `ApprovalRefusedError` for a call id not held in this conversation (another
        conversation's included), an expired one, or one decided before: of many concurrent
        decisions exactly one wins, so an allowed call runs at most once.
        """
        ...

    async def spend(self, conversation_id: str | None, tokens: int) -> BudgetUsage:
        """Add tokens to the conversation's (if any) and today's counts, atomically.

        Returns the new totals. A conversation's count lives and expires with it.
        """
        ...

    async def usage(self, conversation_id: str | None) -> BudgetUsage:
        """The conversation's and today's counts."""
        ...

    async def health(self) -> StoreHealth:
        """Whether the store answers now, and why not (for `/readyz`)."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


def utc_day(now: datetime) -> str:
    """The UTC day a token is counted in, as YYYY-MM-DD."""
    return now.astimezone(UTC).strftime("%Y-%m-%d")


def seconds_until_next_day(now: datetime) -> int:
    """Whole seconds until the daily budget starts again (UTC midnight), at least 1."""
    utc = now.astimezone(UTC)
    midnight = datetime(utc.year, utc.month, utc.day, tzinfo=UTC) + timedelta(days=1)
    return max(1, int((midnight - utc).total_seconds() + 0.999))


class BudgetExceededError(StoreError):
    """A turn that may not start: a budget is spent (a 429, `Retry-After` for the daily one)."""

    def __init__(self, message: str, retry_after_seconds: int | None) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


def check_budget(usage: BudgetUsage, budget: runtime.Budget, now: datetime) -> None:
    """Raise `BudgetExceededError` when a budget is spent; a turn may start otherwise.

    Checked before each model call and counted after it, so once a count reaches its budget no
    replica starts another call: the overshoot is at most the calls already in flight then.
    """
    per_conversation = budget.tokens_per_conversation
    if per_conversation is not None and usage.conversation_tokens >= per_conversation:
        raise BudgetExceededError(
            f"the conversation has used {usage.conversation_tokens} of its"
            f" {per_conversation} tokens",
            retry_after_seconds=None,
        )
    per_day = budget.tokens_per_day
    if per_day is not None and usage.day_tokens >= per_day:
        raise BudgetExceededError(
            f"the agent has used {usage.day_tokens} of its {per_day} tokens for {usage.day}"
            " (UTC); the budget starts again at midnight UTC",
            retry_after_seconds=seconds_until_next_day(now),
        )
