"""State of stateful agents: conversations, tool calls held for approval, token budgets.

`open_store` picks the implementation an agent's config asks for: Redis when a URL is given
(several replicas share it), the in-process store otherwise. The runtime stays stateless, and
opens no store at all, unless the config asks for conversations, approvals or a budget.
"""

from __future__ import annotations

from agent_runtime import config as runtime
from agent_runtime.store.base import (
    ApprovalRefusedError,
    BudgetExceededError,
    ConversationNotFoundError,
    ConversationStore,
    StoreError,
    StoreSettings,
    StoreUnavailableError,
    check_budget,
)
from agent_runtime.store.memory import MemoryStore
from agent_runtime.store.models import (
    Approval,
    BudgetUsage,
    Conversation,
    Decision,
    Entry,
    FunctionCall,
    FunctionResult,
    MessageInput,
    MessageOutput,
    StoreHealth,
    ToolCallRequest,
    Turn,
)
from agent_runtime.store.redis_store import RedisStore


def is_stateful(config: runtime.RuntimeConfig) -> bool:
    """Whether the agent asks for conversations, approvals or a budget (so needs a store)."""
    return (
        config.conversations is not None
        or config.budget is not None
        or any(tool.require_approval for tool in config.tools)
    )


def open_store(config: runtime.RuntimeConfig) -> ConversationStore | None:
    """The store the config asks for, or None for a stateless agent.

    The Redis URL is read from its secret source now; `SecretUnavailableError` names where it
    was looked for when it cannot be read.
    """
    if not is_stateful(config):
        return None
    settings = StoreSettings.from_config(config)
    redis = config.conversations.redis if config.conversations else None
    if redis is None:
        return MemoryStore(settings)
    return RedisStore(settings, redis.url.read())


__all__ = [
    "Approval",
    "ApprovalRefusedError",
    "BudgetExceededError",
    "BudgetUsage",
    "Conversation",
    "ConversationNotFoundError",
    "ConversationStore",
    "Decision",
    "Entry",
    "FunctionCall",
    "FunctionResult",
    "MemoryStore",
    "MessageInput",
    "MessageOutput",
    "RedisStore",
    "StoreError",
    "StoreHealth",
    "StoreSettings",
    "StoreUnavailableError",
    "ToolCallRequest",
    "Turn",
    "check_budget",
    "is_stateful",
    "open_store",
]
