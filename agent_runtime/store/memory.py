"""The in-process conversation store: the default for one replica, `make demo` and tests.

Bounded twice: a conversation idle for `ttl_seconds` is dropped, and beyond
`max_conversations` the least recently written one is dropped. Conversations are kept in write
order, so the expired ones are always at the front and sweeping them costs only what it drops.
Each method runs without awaiting, so on one event loop every call is atomic.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from agent_runtime.store.base import (
    ApprovalRefusedError,
    ConversationNotFoundError,
    StoreSettings,
    utc_day,
)
from agent_runtime.store.models import (
    Approval,
    BudgetUsage,
    Conversation,
    Decision,
    Entry,
    StoreHealth,
    ToolCallRequest,
    Turn,
)


@dataclass
class _Held:
    """One conversation's mutable state, with when it expires (monotonic seconds)."""

    conversation: Conversation
    turns: deque[Turn]
    expires: float
    approvals: dict[str, Approval] = field(default_factory=dict)
    tokens: int = 0


class MemoryStore:
    """A `ConversationStore` in this process's memory."""

    kind: Literal["in-process"] = "in-process"

    def __init__(
        self, settings: StoreSettings, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._held: OrderedDict[str, _Held] = OrderedDict()
        self._day_tokens: dict[str, int] = {}

    def __len__(self) -> int:
        """Conversations held now (expired ones swept first)."""
        self._sweep()
        return len(self._held)

    async def create(self, agent: str) -> Conversation:
        conversation = Conversation.start(agent)
        self._held[conversation.id] = _Held(
            conversation, deque(maxlen=self._settings.history_turns), expires=0.0
        )
        self._touch(conversation.id)
        while len(self._held) > self._settings.max_conversations:
            self._held.popitem(last=False)
        return conversation

    async def get(self, conversation_id: str) -> Conversation:
        held = self._find(conversation_id)
        return held.conversation.model_copy(update={"turns": tuple(held.turns)})

    async def append(
        self, conversation_id: str, entries: Sequence[Entry], *, new_turn: bool
    ) -> None:
        held = self._find(conversation_id)
        if not entries:
            return
        if new_turn or not held.turns:
            held.turns.append(Turn(entries=tuple(entries)))
        else:
            last = held.turns.pop()
            held.turns.append(Turn(entries=(*last.entries, *entries)))
        held.conversation = held.conversation.model_copy(update={"updated_at": datetime.now(UTC)})
        self._touch(conversation_id)

    async def hold(
        self, conversation_id: str, calls: Sequence[ToolCallRequest]
    ) -> tuple[Approval, ...]:
        held = self._find(conversation_id)
        now = datetime.now(UTC)
        timeout = self._settings.approval_timeout_seconds
        for call in calls:
            if call.id not in held.approvals:
                held.approvals[call.id] = Approval.hold(conversation_id, call, now, timeout)
        self._touch(conversation_id)
        return tuple(_shown(held.approvals[call.id], now) for call in calls)

    async def approvals(self, conversation_id: str) -> tuple[Approval, ...]:
        now = datetime.now(UTC)
        return tuple(_shown(a, now) for a in self._find(conversation_id).approvals.values())

    async def decide(self, conversation_id: str, approval_id: str, decision: Decision) -> Approval:
        held = self._find(conversation_id)
        approval = held.approvals.get(approval_id)
        if approval is None:
            raise ApprovalRefusedError(conversation_id, approval_id, "unknown")
        if approval.status != "pending":
            raise ApprovalRefusedError(conversation_id, approval_id, "decided")
        if approval.expired(datetime.now(UTC)):
            raise ApprovalRefusedError(conversation_id, approval_id, "expired")
        status: Literal["allowed", "denied"] = "allowed" if decision.allow else "denied"
        decided = approval.model_copy(update={"status": status, "decision": decision})
        held.approvals[approval_id] = decided
        self._touch(conversation_id)
        return decided

    async def spend(self, conversation_id: str | None, tokens: int) -> BudgetUsage:
        day = utc_day(datetime.now(UTC))
        held = self._live(conversation_id)
        if held is not None:
            held.tokens += tokens
        if day not in self._day_tokens:
            self._day_tokens = {day: 0}  # yesterday's count is no longer needed
        self._day_tokens[day] += tokens
        return BudgetUsage(
            conversation_tokens=held.tokens if held else 0,
            day_tokens=self._day_tokens[day],
            day=day,
        )

    async def usage(self, conversation_id: str | None) -> BudgetUsage:
        day = utc_day(datetime.now(UTC))
        held = self._live(conversation_id)
        return BudgetUsage(
            conversation_tokens=held.tokens if held else 0,
            day_tokens=self._day_tokens.get(day, 0),
            day=day,
        )

    async def health(self) -> StoreHealth:
        return StoreHealth(ok=True, store=self.kind)

    async def aclose(self) -> None:
        self._held.clear()

    def _live(self, conversation_id: str | None) -> _Held | None:
        self._sweep()
        return None if conversation_id is None else self._held.get(conversation_id)

    def _find(self, conversation_id: str) -> _Held:
        held = self._live(conversation_id)
        if held is None:
            raise ConversationNotFoundError(conversation_id)
        return held

    def _touch(self, conversation_id: str) -> None:
        self._held[conversation_id].expires = self._clock() + self._settings.ttl_seconds
        self._held.move_to_end(conversation_id)

    def _sweep(self) -> None:
        now = self._clock()
        while self._held:
            oldest = next(iter(self._held.values()))
            if oldest.expires > now:
                break
            self._held.popitem(last=False)


def _shown(approval: Approval, now: datetime) -> Approval:
    """The approval as a reader sees it: a pending one past its expiry reads as expired."""
    if approval.expired(now):
        return approval.model_copy(update={"status": "expired"})
    return approval
