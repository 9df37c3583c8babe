"""Redis killed and started again: the store says it is down, why, and recovers by itself.

The server requires a password, carried in the URL as in a real deployment: no error or
health reason may repeat it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from agent_runtime.store import RedisStore, StoreHealth, StoreUnavailableError
from tests.runtime_store.conftest import settings, start_redis
from tests.runtime_store.redis_server import RedisServer

PASSWORD = "s3cret-redis-password"
#: Longest wait for the store to notice the server is back.
RECOVERY_WAIT_SECONDS = 15.0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    started = start_redis(tmp_path, password=PASSWORD)
    yield started
    started.kill()


@pytest.fixture
async def store(server: RedisServer) -> AsyncIterator[RedisStore]:
    client = RedisStore(settings(timeout_seconds=5.0), server.url)
    yield client
    await client.aclose()


async def wait_until_healthy(store: RedisStore) -> StoreHealth:
    deadline = time.monotonic() + RECOVERY_WAIT_SECONDS
    while time.monotonic() < deadline:
        health = await store.health()
        if health.ok:
            return health
        await asyncio.sleep(0.1)
    pytest.fail("the store did not recover after Redis came back")


async def test_a_reachable_redis_is_healthy(store: RedisStore) -> None:
    assert await store.health() == StoreHealth(ok=True, store="redis")


async def test_redis_down_is_reported_with_a_reason_and_no_password(
    server: RedisServer, store: RedisStore
) -> None:
    await store.create("weather")
    server.kill()
    health = await store.health()
    assert not health.ok
    assert health.reason is not None
    assert f"127.0.0.1:{server.port}" in health.reason
    assert PASSWORD not in health.reason
    with pytest.raises(StoreUnavailableError) as caught:
        await store.create("weather")
    assert PASSWORD not in str(caught.value)


async def test_the_store_recovers_without_a_restart_when_redis_returns(
    server: RedisServer, store: RedisStore
) -> None:
    await store.create("weather")
    server.kill()
    assert not (await store.health()).ok
    server.start()
    await wait_until_healthy(store)
    conversation = await store.create("weather")
    assert (await store.get(conversation.id)).agent == "weather"


async def test_a_wrong_password_is_not_ready_and_not_repeated(server: RedisServer) -> None:
    url = server.url.replace(PASSWORD, "wrong-password-123")
    client = RedisStore(settings(timeout_seconds=5.0), url)
    try:
        health = await client.health()
    finally:
        await client.aclose()
    assert not health.ok
    assert health.reason is not None
    assert "wrong-password-123" not in health.reason
