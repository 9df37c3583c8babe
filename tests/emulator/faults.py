"""Fault injection: make matching requests fail with a chosen status, or answer late.

Reliability tests use it to prove the operator retries on 500/503, backs off on 429 with
`Retry-After`, and re-reads on 409. A fault matches on the recorded request's fields (verb,
resource, namespace, name, ...) or on any predicate.

A late answer (`Faults.slow`) is served at once, so other clients and watches see its effect,
and only its answer is held back: the order a busy client sees when a watch event overtakes
the answer to its own write.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

from .errors import ApiError
from .recorder import RecordedRequest

Predicate = Callable[[RecordedRequest], bool]


@dataclasses.dataclass
class Fault:
    """One armed failure; `times=None` means until removed."""

    match: Predicate
    status: int
    times: int | None
    retry_after: float | None
    message: str
    hits: int = 0
    late_by: float = 0.0  # a late answer instead of an error (see `Faults.slow`)

    def exhausted(self) -> bool:
        return self.times is not None and self.hits >= self.times

    def error(self) -> ApiError:
        headers = {}
        if self.retry_after is not None:
            headers["Retry-After"] = str(max(0, round(self.retry_after)))
        details = {"retryAfterSeconds": round(self.retry_after)} if self.retry_after else None
        return ApiError(self.status, self.message, details=details, headers=headers)


def _criteria_predicate(criteria: dict[str, Any]) -> Predicate:
    def matches(entry: RecordedRequest) -> bool:
        return all(getattr(entry, field) == value for field, value in criteria.items())

    return matches


def _predicate(match: Predicate | dict[str, Any] | None, criteria: dict[str, Any]) -> Predicate:
    if match is None:
        return _criteria_predicate(criteria)
    if isinstance(match, dict):
        return _criteria_predicate({**match, **criteria})
    return match


class Faults:
    """The armed faults, consulted before every request is served."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(
        self,
        match: Predicate | dict[str, Any] | None = None,
        *,
        status: int = 500,
        times: int | None = 1,
        retry_after: float | None = None,
        message: str = "injected fault",
        **criteria: Any,
    ) -> Fault:
        """Arm a fault: `faults.add(verb="patch", resource="deployments", status=409, times=2)`."""
        return self._arm(Fault(_predicate(match, criteria), status, times, retry_after, message))

    def slow(
        self,
        seconds: float,
        match: Predicate | dict[str, Any] | None = None,
        *,
        times: int | None = 1,
        **criteria: Any,
    ) -> Fault:
        """Answer matching requests `seconds` late, after serving them: `slow(1, verb="patch")`."""
        fault = Fault(_predicate(match, criteria), 0, times, None, "", late_by=seconds)
        return self._arm(fault)

    def _arm(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def check(self, entry: RecordedRequest) -> ApiError | None:
        with self._lock:
            for fault in self._faults:
                if not fault.late_by and not fault.exhausted() and fault.match(entry):
                    fault.hits += 1
                    return fault.error()
        return None

    def lateness(self, entry: RecordedRequest) -> float:
        """Seconds to hold back the answer to a request just served (0: answer now)."""
        with self._lock:
            for fault in self._faults:
                if fault.late_by and not fault.exhausted() and fault.match(entry):
                    fault.hits += 1
                    return fault.late_by
        return 0.0

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
