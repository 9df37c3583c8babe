"""What a tool is: a name, a JSON Schema for its arguments, and an async `call`.

The loop knows tools only through this interface, so adding a kind of tool means adding a
module, not touching the loop. A tool that cannot answer raises `ToolError`, whose message is
written for the model to read and act on, and whose outcome labels the metric.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any, Literal

#: How a tool call ended; the `outcome` label of `agent_tool_calls_total`.
ToolOutcome = Literal["ok", "error", "timeout", "invalid_output", "denied"]


class ToolError(Exception):
    """A tool call that failed; `str()` is a message for the model (never a secret)."""

    def __init__(self, message: str, *, outcome: ToolOutcome = "error") -> None:
        super().__init__(message)
        self.message = message
        self.outcome: ToolOutcome = outcome

    def __str__(self) -> str:
        return self.message


class Tool(ABC):
    """One function the model may call."""

    #: Which kind of tool this is ("http", "mcp", "agent"), for spans.
    kind: str = "function"

    def __init__(
        self,
        *,
        name: str,
        description: str,
        parameters: Mapping[str, Any],
        output_schema: Mapping[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.description = description
        self.parameters: dict[str, Any] = dict(parameters)
        self.output_schema: dict[str, Any] | None = (
            dict(output_schema) if output_schema is not None else None
        )

    @property
    @abstractmethod
    def budget_seconds(self) -> float:
        """The longest one call may take, retries included; the loop enforces it."""

    @abstractmethod
    async def call(self, arguments: dict[str, Any]) -> Any:
        """Run the tool with validated arguments; return JSON-able data or text."""

    def secret_values(self) -> list[str]:
        """The secret values this tool sends (headers, tokens), to redact from what it answers."""
        return []

    def definition(self) -> dict[str, Any]:
        """The Mistral `tools` entry for this tool."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
