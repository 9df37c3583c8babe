"""What one request did: filled by the route as it serves, read by the logging middleware.

The outermost middleware to ask creates it in the ASGI scope (`stats_of`); the route records
the stream flag, counts, tokens, finish reason and error code as it learns them, and the
request's one log line carries whatever is known.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from starlette.types import Scope

from agent_runtime.model import Usage

#: The scope key under which each request's `RequestStats` travels.
STATS_KEY: Final = "agent_runtime.stats"


@dataclass
class RequestStats:
    """What one request did, as far as it is known."""

    status: int = 0
    stream: bool | None = None
    model_calls: int | None = None
    tool_calls: int | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    finish_reason: str | None = None
    error_code: str | None = None
    content: dict[str, Any] = field(default_factory=dict)

    def record_usage(self, usage: Usage) -> None:
        """Take the request's token counts so far."""
        self.prompt_tokens = usage.prompt_tokens
        self.completion_tokens = usage.completion_tokens
        self.total_tokens = usage.total_tokens

    def fields(self) -> dict[str, Any]:
        """The log fields: only what is known, never content unless it was recorded."""
        known = {
            "stream": self.stream,
            "model_calls": self.model_calls,
            "tool_calls": self.tool_calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "finish_reason": self.finish_reason,
            "error_code": self.error_code,
        }
        out = {k: v for k, v in known.items() if v is not None}
        out.update(self.content)
        return out


def stats_of(scope: Scope) -> RequestStats:
    """The request's stats, created on first use."""
    stats = scope.get(STATS_KEY)
    if not isinstance(stats, RequestStats):
        stats = scope[STATS_KEY] = RequestStats()
    return stats
