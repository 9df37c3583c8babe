"""Which store an agent's config opens: none when stateless, in-process, or Redis by secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_runtime.config import (
    AgentIdentity,
    Budget,
    Conversations,
    HttpToolConfig,
    ModelConfig,
    RedisStore,
    RuntimeConfig,
    SecretSource,
    SecretUnavailableError,
    ToolConfig,
)
from agent_runtime.store import MemoryStore, StoreSettings, is_stateful, open_store
from agent_runtime.store import RedisStore as RedisConversationStore


def config(**fields: object) -> RuntimeConfig:
    return RuntimeConfig(
        agent=AgentIdentity(name="weather", namespace="demo"),
        model=ModelConfig(name="m"),
        **fields,
    )


def test_a_stateless_agent_opens_no_store() -> None:
    assert open_store(config()) is None


def test_a_budget_alone_opens_the_in_process_store() -> None:
    assert isinstance(open_store(config(budget=Budget(tokens_per_day=10))), MemoryStore)


def test_a_tool_that_needs_approval_makes_the_agent_stateful() -> None:
    tool = ToolConfig(name="t", http=HttpToolConfig(url="http://x"), require_approval=True)
    assert is_stateful(config(tools=(tool,)))


async def test_a_redis_url_read_from_its_secret_file_opens_redis(tmp_path: Path) -> None:
    secret = tmp_path / "url"
    secret.write_text("redis://127.0.0.1:1/0\n")
    redis = RedisStore(url=SecretSource(file=str(secret)))
    store = open_store(config(conversations=Conversations(redis=redis)))
    assert isinstance(store, RedisConversationStore)
    await store.aclose()


def test_a_missing_redis_secret_names_the_file_only(tmp_path: Path) -> None:
    redis = RedisStore(url=SecretSource(file=str(tmp_path / "missing")))
    with pytest.raises(SecretUnavailableError, match="missing"):
        open_store(config(conversations=Conversations(redis=redis)))


def test_the_settings_follow_the_config_and_scope_keys_by_agent() -> None:
    conversations = Conversations(ttl_seconds=60, history_turns=5, approval_timeout_seconds=30)
    store_settings = StoreSettings.from_config(config(conversations=conversations))
    assert store_settings.scope == "demo/weather"
    assert (store_settings.ttl_seconds, store_settings.history_turns) == (60, 5)
    assert store_settings.approval_timeout_seconds == 30
