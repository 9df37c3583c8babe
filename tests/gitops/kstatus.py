"""kstatus readiness of an Agent, as Flux (`wait: true`, healthChecks) and `kubectl wait` read it.

- Failed: Ready=False with a terminal reason: nothing will change until the spec does.
- Current: status.observedGeneration == metadata.generation, and Ready=True for that generation.
- InProgress: anything else (not observed yet, Ready missing, Unknown, or False for a reason
  that may still heal).
Upstream kstatus also reads the `Reconciling` and `Stalled` conditions; they are honoured here.
"""

from __future__ import annotations

from typing import Any

CURRENT = "Current"
IN_PROGRESS = "InProgress"
FAILED = "Failed"

#: Ready=False reasons that only a change of the Agent's spec can clear.
TERMINAL_REASONS = frozenset({"InvalidSpec", "RolloutFailed"})


def condition(obj: dict[str, Any], type_: str) -> dict[str, Any] | None:
    for entry in (obj.get("status") or {}).get("conditions") or []:
        if entry.get("type") == type_:
            return dict(entry)
    return None


def compute(obj: dict[str, Any]) -> str:
    """The kstatus of a custom resource that follows the Ready/observedGeneration conventions."""
    generation = obj["metadata"].get("generation")
    status = obj.get("status") or {}
    stalled = condition(obj, "Stalled")
    if stalled is not None and stalled.get("status") == "True":
        return FAILED
    ready = condition(obj, "Ready")
    if (
        ready is not None
        and ready.get("status") == "False"
        and ready.get("reason") in TERMINAL_REASONS
    ):
        return FAILED
    if generation is not None and status.get("observedGeneration") != generation:
        return IN_PROGRESS
    reconciling = condition(obj, "Reconciling")
    if reconciling is not None and reconciling.get("status") == "True":
        return IN_PROGRESS
    if ready is None or ready.get("status") != "True":
        return IN_PROGRESS
    if generation is not None and ready.get("observedGeneration", generation) != generation:
        return IN_PROGRESS
    return CURRENT
