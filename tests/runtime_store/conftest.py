"""Fixtures of the store tests: a real redis-server, and each store implementation on it.

`stores` is parametrized over both implementations, so every contract test runs against the
in-process store and against Redis. Several clients of one store stand for several replicas:
separate connection pools to the same Redis (the in-process store has a single client, so
its clients are one object).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from agent_runtime.store import ConversationStore, MemoryStore, RedisStore, StoreSettings
from tests.runtime_store.redis_server import MISSING_REASON, RedisServer, redis_server_path

#: Both implementations, by their `kind`.
KINDS = ["in-process", "redis"]


def start_redis(directory: Path, password: str | None = None) -> RedisServer:
    """A started redis-server in `directory`, or the test skipped where there is none."""
    executable = redis_server_path()
    if executable is None:
        pytest.skip(MISSING_REASON)
    server = RedisServer(executable, directory, password)
    server.start()
    return server


#: The store timeout of the tests: what they check is not the timeout, and the machines that
#: run them may be busy enough to make the default of a few seconds flaky.
TEST_TIMEOUT_SECONDS = 15.0


def settings(**bounds: float) -> StoreSettings:
    """Store settings under a scope of their own (so tests never share keys), with `bounds`."""
    bounds.setdefault("timeout_seconds", TEST_TIMEOUT_SECONDS)
    return StoreSettings(scope=f"test/{uuid.uuid4().hex}", **bounds)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One redis-server for the session."""
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.kill()


class Stores:
    """Opens clients of one store of one kind, and closes them all at the end."""

    def __init__(self, kind: str, redis_url: str | None) -> None:
        self.kind = kind
        self._redis_url = redis_url
        self._opened: list[ConversationStore] = []

    def open(self, store_settings: StoreSettings, clients: int = 1) -> list[ConversationStore]:
        """`clients` clients sharing the state of one store."""
        if self._redis_url is None:
            opened: list[ConversationStore] = [MemoryStore(store_settings)] * clients
        else:
            opened = [RedisStore(store_settings, self._redis_url) for _ in range(clients)]
        self._opened += opened
        return opened

    async def aclose(self) -> None:
        for client in self._opened:
            await client.aclose()


@pytest.fixture(params=KINDS)
async def stores(request: pytest.FixtureRequest) -> AsyncIterator[Stores]:
    """Clients of the parametrized kind of store."""
    url = request.getfixturevalue("redis_server").url if request.param == "redis" else None
    opened = Stores(request.param, url)
    yield opened
    await opened.aclose()


@pytest.fixture
def store(stores: Stores) -> ConversationStore:
    """One client of a store with the default bounds."""
    return stores.open(settings())[0]
