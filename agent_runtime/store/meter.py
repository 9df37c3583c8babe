"""The token budget as the loop consults it (`loop.Meter`), kept in the conversation store.

Checked before each model call and counted after it, through the store's atomic counts, so
every replica sees the same spend. A store that does not answer ends the request with a
`store_unavailable` error rather than letting it run unmetered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from agent_runtime.config import Budget
from agent_runtime.events import LoopError
from agent_runtime.store.base import (
    BudgetExceededError,
    ConversationStore,
    StoreUnavailableError,
    check_budget,
)
from agent_runtime.telemetry import Metrics


@dataclass
class StoreMeter:
    """One request's budget: the conversation's (if any) and the agent's daily count."""

    store: ConversationStore
    conversation_id: str | None
    budget: Budget | None
    metrics: Metrics
    agent: str
    #: The request checked the budget itself before it started (to answer 429 with
    #: Retry-After), so the first model call needs no second look.
    checked: bool = True

    async def check(self) -> None:
        if self.budget is None:
            return
        if self.checked:
            self.checked = False
            return
        try:
            usage = await self.store.usage(self.conversation_id)
            check_budget(usage, self.budget, datetime.now(UTC))
        except BudgetExceededError as exc:
            raise LoopError("budget_exceeded", str(exc)) from None
        except StoreUnavailableError as exc:
            raise LoopError("store_unavailable", str(exc)) from None

    async def spend(self, tokens: int) -> None:
        self.metrics.budget_tokens.labels(agent=self.agent).inc(tokens)
        if self.budget is None:
            return
        try:
            await self.store.spend(self.conversation_id, tokens)
        except StoreUnavailableError as exc:
            raise LoopError("store_unavailable", str(exc)) from None
