"""One contract, two stores: every test runs against the in-process store and a real Redis.

History round trip and bound, idle expiry, held tool calls decided exactly once (concurrently,
from two clients), their expiry, another conversation's call refused, and token counts that
lose no increment under concurrency.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest

from agent_runtime.config import Budget
from agent_runtime.store import (
    Approval,
    ApprovalRefusedError,
    BudgetExceededError,
    ConversationNotFoundError,
    ConversationStore,
    Decision,
    Entry,
    FunctionCall,
    FunctionResult,
    MessageInput,
    MessageOutput,
    ToolCallRequest,
    check_budget,
)
from agent_runtime.store.base import utc_day
from tests.runtime_store.conftest import Stores, settings

#: Longest wait for something to expire: the bounds used below are a few seconds at most.
EXPIRY_WAIT_SECONDS = 30.0
#: How many clients decide one held call at once.
CONCURRENT_DECISIONS = 40


def a_turn(n: int) -> list[Entry]:
    """A turn with a tool call and its result, numbered `n`."""
    return [
        MessageInput(content=f"question {n}"),
        FunctionCall(tool_call_id=f"call{n}", name="get_weather", arguments='{"city": "Paris"}'),
        FunctionResult(tool_call_id=f"call{n}", result='{"celsius": 21}'),
        MessageOutput(content=f"answer {n}", model="mistral-large-latest"),
    ]


async def wait_until_gone(store: ConversationStore, conversation_id: str) -> None:
    deadline = time.monotonic() + EXPIRY_WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            await store.get(conversation_id)
        except ConversationNotFoundError:
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"conversation {conversation_id} did not expire")


async def wait_until_expired(store: ConversationStore, conversation_id: str) -> Approval:
    deadline = time.monotonic() + EXPIRY_WAIT_SECONDS
    while time.monotonic() < deadline:
        (approval,) = await store.approvals(conversation_id)
        if approval.status == "expired":
            return approval
        await asyncio.sleep(0.05)
    pytest.fail("the held call did not expire")


async def test_a_conversation_reads_back_as_written(store: ConversationStore) -> None:
    conversation = await store.create("weather")
    await store.append(conversation.id, a_turn(1)[:2], new_turn=True)
    await store.append(conversation.id, a_turn(1)[2:], new_turn=False)
    await store.append(conversation.id, a_turn(2), new_turn=True)
    read = await store.get(conversation.id)
    assert (read.id, read.agent) == (conversation.id, "weather")
    assert [[entry.type for entry in turn.entries] for turn in read.turns] == [
        [entry.type for entry in a_turn(1)]
    ] * 2
    assert read.updated_at >= read.created_at


async def test_entries_keep_their_ids_times_and_fields(store: ConversationStore) -> None:
    conversation = await store.create("weather")
    written = a_turn(1)
    await store.append(conversation.id, written, new_turn=True)
    assert (await store.get(conversation.id)).entries == tuple(written)


async def test_only_the_latest_turns_are_kept(stores: Stores) -> None:
    (store,) = stores.open(settings(history_turns=3))
    conversation = await store.create("weather")
    for n in range(1, 6):
        await store.append(conversation.id, a_turn(n)[:1], new_turn=True)
        await store.append(conversation.id, a_turn(n)[1:], new_turn=False)
    read = await store.get(conversation.id)
    assert [turn.entries[0].content for turn in read.turns] == [  # type: ignore[union-attr]
        "question 3",
        "question 4",
        "question 5",
    ]
    assert all(len(turn.entries) == 4 for turn in read.turns)


async def test_an_unknown_conversation_is_not_found(store: ConversationStore) -> None:
    with pytest.raises(ConversationNotFoundError, match="conv_nope"):
        await store.get("conv_nope")
    with pytest.raises(ConversationNotFoundError):
        await store.append("conv_nope", a_turn(1), new_turn=True)
    with pytest.raises(ConversationNotFoundError):
        await store.hold("conv_nope", [ToolCallRequest(id="c1", name="t", arguments="{}")])


async def test_an_idle_conversation_expires_with_everything_it_held(stores: Stores) -> None:
    (store,) = stores.open(settings(ttl_seconds=2.0))
    conversation = await store.create("weather")
    await store.append(conversation.id, a_turn(1), new_turn=True)
    await store.hold(conversation.id, [ToolCallRequest(id="c1", name="t", arguments="{}")])
    await store.spend(conversation.id, 10)
    assert len((await store.get(conversation.id)).turns) == 1
    await wait_until_gone(store, conversation.id)
    with pytest.raises(ConversationNotFoundError):
        await store.approvals(conversation.id)
    assert (await store.usage(conversation.id)).conversation_tokens == 0


async def test_a_held_call_is_pending_until_decided(store: ConversationStore) -> None:
    conversation = await store.create("weather")
    call = ToolCallRequest(id="c1", name="delete_city", arguments='{"city": "Paris"}')
    (held,) = await store.hold(conversation.id, [call])
    assert (held.id, held.status, held.tool_call) == ("c1", "pending", call)
    assert held.expires_at > held.created_at
    decided = await store.decide(conversation.id, "c1", Decision(allow=False, reason="no"))
    assert (decided.status, decided.decision) == ("denied", Decision(allow=False, reason="no"))
    (listed,) = await store.approvals(conversation.id)
    assert listed == decided


async def test_holding_a_call_again_keeps_its_decision(store: ConversationStore) -> None:
    conversation = await store.create("weather")
    call = ToolCallRequest(id="c1", name="t", arguments="{}")
    await store.hold(conversation.id, [call])
    await store.decide(conversation.id, "c1", Decision(allow=True))
    (again,) = await store.hold(conversation.id, [call])
    assert again.status == "allowed"


async def test_of_many_concurrent_decisions_exactly_one_wins(stores: Stores) -> None:
    first, second = stores.open(settings(), clients=2)
    conversation = await first.create("weather")
    await first.hold(conversation.id, [ToolCallRequest(id="c1", name="t", arguments="{}")])
    results = await asyncio.gather(
        *(
            (first if n % 2 else second).decide(
                conversation.id, "c1", Decision(allow=True, decided_by=f"person-{n}")
            )
            for n in range(CONCURRENT_DECISIONS)
        ),
        return_exceptions=True,
    )
    winners = [r for r in results if isinstance(r, Approval)]
    refused = [r for r in results if isinstance(r, ApprovalRefusedError)]
    assert len(winners) == 1
    assert len(refused) == CONCURRENT_DECISIONS - 1
    assert {r.reason for r in refused} == {"decided"}
    (stored,) = await second.approvals(conversation.id)
    assert stored.decision == winners[0].decision


async def test_a_call_decided_before_is_refused(store: ConversationStore) -> None:
    conversation = await store.create("weather")
    await store.hold(conversation.id, [ToolCallRequest(id="c1", name="t", arguments="{}")])
    await store.decide(conversation.id, "c1", Decision(allow=True))
    with pytest.raises(ApprovalRefusedError, match="already decided") as caught:
        await store.decide(conversation.id, "c1", Decision(allow=False))
    assert caught.value.reason == "decided"
    assert (await store.approvals(conversation.id))[0].status == "allowed"


async def test_an_expired_call_cannot_be_decided(stores: Stores) -> None:
    (store,) = stores.open(settings(approval_timeout_seconds=0.2))
    conversation = await store.create("weather")
    await store.hold(conversation.id, [ToolCallRequest(id="c1", name="t", arguments="{}")])
    await wait_until_expired(store, conversation.id)
    with pytest.raises(ApprovalRefusedError, match="expired") as caught:
        await store.decide(conversation.id, "c1", Decision(allow=True))
    assert caught.value.reason == "expired"


async def test_an_unknown_call_is_refused(store: ConversationStore) -> None:
    conversation = await store.create("weather")
    with pytest.raises(ApprovalRefusedError, match="not held") as caught:
        await store.decide(conversation.id, "nope", Decision(allow=True))
    assert caught.value.reason == "unknown"


async def test_another_conversations_call_is_refused_and_stays_pending(
    store: ConversationStore,
) -> None:
    mine, theirs = await store.create("weather"), await store.create("weather")
    await store.hold(theirs.id, [ToolCallRequest(id="c1", name="t", arguments="{}")])
    with pytest.raises(ApprovalRefusedError) as caught:
        await store.decide(mine.id, "c1", Decision(allow=True))
    assert caught.value.reason == "unknown"
    assert (await store.approvals(theirs.id))[0].status == "pending"
    assert (await store.decide(theirs.id, "c1", Decision(allow=True))).status == "allowed"


async def test_token_counts_lose_no_increment_across_two_clients(stores: Stores) -> None:
    first, second = stores.open(settings(), clients=2)
    conversation = await first.create("weather")
    totals = await asyncio.gather(
        *((first if n % 2 else second).spend(conversation.id, 3) for n in range(100))
    )
    assert sorted(t.conversation_tokens for t in totals) == list(range(3, 301, 3))
    assert sorted(t.day_tokens for t in totals) == list(range(3, 301, 3))
    usage = await second.usage(conversation.id)
    assert (usage.conversation_tokens, usage.day_tokens) == (300, 300)
    assert usage.day == utc_day(datetime.now(UTC))


async def test_a_count_without_a_conversation_is_the_days_only(store: ConversationStore) -> None:
    usage = await store.spend(None, 5)
    assert (usage.conversation_tokens, usage.day_tokens) == (0, 5)
    assert (await store.usage(None)).day_tokens == 5


async def test_a_budget_stops_both_clients_within_one_call_each(stores: Stores) -> None:
    """Checked before each call, counted after: the overshoot is the calls in flight."""
    clients = stores.open(settings(), clients=2)
    conversation = await clients[0].create("weather")
    budget = Budget(tokens_per_conversation=100)
    per_call, workers = 7, 8

    async def worker(store: ConversationStore) -> int:
        calls = 0
        for _ in range(100):
            try:
                check_budget(await store.usage(conversation.id), budget, datetime.now(UTC))
            except BudgetExceededError:
                return calls
            await asyncio.sleep(0)  # the model call, during which others may check too
            await store.spend(conversation.id, per_call)
            calls += 1
        return calls

    await asyncio.gather(*(worker(clients[n % 2]) for n in range(workers)))
    spent = (await clients[1].usage(conversation.id)).conversation_tokens
    assert 100 <= spent < 100 + workers * per_call


async def test_several_held_calls_are_listed_in_the_order_held(store: ConversationStore) -> None:
    conversation = await store.create("weather")
    calls = [ToolCallRequest(id=f"c{n}", name="t", arguments="{}") for n in (3, 1, 2)]
    held = await store.hold(conversation.id, calls)
    assert [approval.id for approval in held] == ["c3", "c1", "c2"]
    assert {approval.id for approval in await store.approvals(conversation.id)} == {
        "c1",
        "c2",
        "c3",
    }
    assert await store.hold(conversation.id, []) == ()
