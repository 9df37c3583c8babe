"""The typed events of one request, as the loop yields them and every API shape encodes them.

The loop (`agent_runtime.loop`) runs a request as one stream of these events, streamed or
not; an API shape (chat completions, plain and server-sent events, today) is a thin encoder
of them. They carry what any such shape needs: the text as it comes, each tool call by id,
name and arguments when it starts and with its outcome when it ends, the tokens of each model
call, the final answer with its counts, or the error that ended the request. A request that
asks for approvals may instead end with the tool calls it holds for a person's decision.

`LoopError` is the engine's failure in words and a stable `code`; the HTTP status of each code
is the service's business (`agent_runtime.errors`), not the engine's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from agent_runtime.model import Usage

__all__ = [
    "Event",
    "Failed",
    "Final",
    "HeldForApproval",
    "LoopError",
    "LoopErrorCode",
    "TextDelta",
    "ToolFinished",
    "ToolStarted",
    "UsageReported",
]

#: Why the loop could not finish a request; the service maps each code to an HTTP status.
LoopErrorCode = Literal[
    "invalid_tool_choice",
    "max_turns_exceeded",
    "max_tool_calls_exceeded",
    "invalid_structured_output",
    "request_timeout",
    "egress_denied",
    "model_unavailable",
    "model_timeout",
    "model_error",
    "budget_exceeded",
    "store_unavailable",
]


class LoopError(Exception):
    """A request the loop could not finish: a stable `code` and a message for a person."""

    def __init__(self, code: LoopErrorCode, message: str) -> None:
        super().__init__(code, message)
        self.code: LoopErrorCode = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


@dataclass(frozen=True)
class TextDelta:
    """Text the model said, as it arrived (a whole answer at once when not streamed)."""

    text: str


@dataclass(frozen=True)
class ToolStarted:
    """A tool call the model asked for, about to run."""

    call_id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class ToolFinished:
    """A tool call that ran: `outcome` is `ok` or why it failed; `content` went to the model."""

    call_id: str
    name: str
    outcome: str
    content: str


@dataclass(frozen=True)
class UsageReported:
    """The tokens of one model call, and the request's total so far."""

    call: Usage
    total: Usage


@dataclass(frozen=True)
class Final:
    """The answer: its text, why the model stopped, and what the request took."""

    content: str
    finish_reason: str
    usage: Usage
    model_calls: int
    tool_calls: int


@dataclass(frozen=True)
class Failed:
    """The request ended with an error; the last event of its stream."""

    error: LoopError


@dataclass(frozen=True)
class HeldForApproval:
    """The loop stopped before running tool calls that wait for a person; the last event.

    Only a request that asks for approvals (`RequestOptions.hold_for_approval`) ends so.
    """

    calls: tuple[ToolStarted, ...]
    usage: Usage
    model_calls: int
    tool_calls: int


#: Everything a request's stream may yield; it ends with one `Final`, one `Failed` or, when
#: the request asks for approvals, one `HeldForApproval`.
Event = TextDelta | ToolStarted | ToolFinished | UsageReported | Final | Failed | HeldForApproval
