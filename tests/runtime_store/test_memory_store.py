"""The in-process store's own bound: beyond its size limit the least recent conversation goes."""

from __future__ import annotations

import pytest

from agent_runtime.store import (
    ConversationNotFoundError,
    MemoryStore,
    MessageInput,
    StoreHealth,
)
from tests.runtime_store.conftest import settings


async def test_the_least_recently_written_conversation_goes_beyond_the_size_limit() -> None:
    store = MemoryStore(settings(max_conversations=3))
    ids = [(await store.create("weather")).id for _ in range(3)]
    await store.append(ids[0], [MessageInput(content="hi")], new_turn=True)  # now most recent
    ids.append((await store.create("weather")).id)
    assert len(store) == 3
    with pytest.raises(ConversationNotFoundError):
        await store.get(ids[1])
    for kept in (ids[0], ids[2], ids[3]):
        await store.get(kept)


async def test_the_in_process_store_is_always_ready() -> None:
    health = await MemoryStore(settings()).health()
    assert health == StoreHealth(ok=True, store="in-process")
