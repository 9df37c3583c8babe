"""Budget checks: a spent budget refuses the next turn, the daily one says when to retry."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent_runtime.config import Budget
from agent_runtime.store import BudgetExceededError, BudgetUsage, check_budget
from agent_runtime.store.base import seconds_until_next_day, utc_day

NOW = datetime(2026, 12, 4, 23, 0, 0, tzinfo=UTC)


def usage(conversation: int, day: int) -> BudgetUsage:
    return BudgetUsage(conversation_tokens=conversation, day_tokens=day, day=utc_day(NOW))


def test_a_turn_under_every_budget_may_start() -> None:
    check_budget(usage(99, 999), Budget(tokens_per_conversation=100, tokens_per_day=1000), NOW)
    check_budget(usage(10**9, 10**9), Budget(), NOW)


def test_a_spent_conversation_budget_refuses_without_a_retry_time() -> None:
    with pytest.raises(BudgetExceededError, match="100 of its 100 tokens") as caught:
        check_budget(usage(100, 0), Budget(tokens_per_conversation=100), NOW)
    assert caught.value.retry_after_seconds is None


def test_a_spent_daily_budget_says_to_retry_at_midnight_utc() -> None:
    with pytest.raises(BudgetExceededError, match="2026-12-04") as caught:
        check_budget(usage(0, 1000), Budget(tokens_per_day=1000), NOW)
    assert caught.value.retry_after_seconds == 3600


def test_the_retry_time_is_never_zero() -> None:
    assert seconds_until_next_day(datetime(2026, 12, 4, 23, 59, 59, 999999, tzinfo=UTC)) == 1
