"""The Agent's status: conditions derived from its children, in the Kubernetes API conventions.

Pure functions: the handlers gather the facts (the Deployment as last seen, which referenced
Secrets and keys exist, whether the spec could be parsed) and these turn them into the status
the Agent should have, and into the smallest patch that gets it there. A status that has not
changed yields no patch, so a quiet cluster sees no writes.

Conditions:
- `Ready`: the agent serves: its Deployment is rolled out at the current generation and
  available. `False` with a reason says what is in the way.
- `ResolvedRefs`: every referenced Secret and key exists (names the first missing one).

Conditions of other types (`Published`, written by the hosted-agent handlers) are kept as
they are.

`Ready` is `False` with reason `ChildNotOwned` when an object stands where a child should be
but another owner controls it: the operator never takes it over; the message names it.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

READY = "Ready"
RESOLVED_REFS = "ResolvedRefs"
#: Ready's reason when an object with a child's name belongs to someone else.
FOREIGN_CHILD = "ChildNotOwned"


@dataclass(frozen=True)
class MissingRef:
    """A Secret, or a key of it, that an Agent refers to but that does not exist."""

    secret: str
    key: str
    secret_exists: bool

    def __str__(self) -> str:
        if not self.secret_exists:
            return f"Secret {self.secret!r} (for key {self.key!r}) not found"
        return f"key {self.key!r} not found in Secret {self.secret!r}"


@dataclass(frozen=True)
class Facts:
    """What the handlers know about one Agent at one moment."""

    generation: int
    desired_replicas: int | None
    selector: str
    endpoint: str
    deployment: Mapping[str, Any] | None
    missing_refs: Sequence[MissingRef] | None = None  # None: not checked this time
    invalid_spec: str | None = None
    reconcile_error: str | None = None
    foreign_child: str | None = None  # an object in a child's place that the Agent does not own
    observed: bool = True  # whether this generation's children were applied


def now() -> str:
    """The current time in the API's format (RFC 3339, seconds, UTC)."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def condition(type_: str, ok: bool, reason: str, message: str, generation: int) -> dict[str, Any]:
    return {
        "type": type_,
        "status": "True" if ok else "False",
        "reason": reason,
        "message": message,
        "observedGeneration": generation,
    }


def refs_condition(missing: Sequence[MissingRef], generation: int) -> dict[str, Any]:
    if not missing:
        return condition(
            RESOLVED_REFS,
            True,
            "AllRefsResolved",
            "Every referenced Secret key exists.",
            generation,
        )
    reason = "SecretNotFound" if not missing[0].secret_exists else "SecretKeyNotFound"
    message = "; ".join(str(m) for m in missing)
    return condition(RESOLVED_REFS, False, reason, message, generation)


def ready_condition(facts: Facts, refs_ok: bool) -> dict[str, Any]:
    gen = facts.generation
    if facts.invalid_spec is not None:
        return condition(READY, False, "InvalidSpec", facts.invalid_spec, gen)
    if facts.foreign_child is not None:
        return condition(READY, False, FOREIGN_CHILD, facts.foreign_child, gen)
    if facts.reconcile_error is not None:
        return condition(READY, False, "ReconcileError", facts.reconcile_error, gen)
    if not refs_ok:
        return condition(
            READY, False, "SecretsMissing", "Waiting for referenced Secrets; see ResolvedRefs.", gen
        )
    dep = facts.deployment
    if dep is None:
        return condition(
            READY, False, "DeploymentMissing", "The Deployment does not exist yet.", gen
        )
    spec, status = dep.get("spec") or {}, dep.get("status") or {}
    want = int(spec.get("replicas", 1) if spec.get("replicas") is not None else 1)
    meta_gen = int((dep.get("metadata") or {}).get("generation") or 0)
    conditions = {c.get("type"): c for c in status.get("conditions") or []}
    progressing = conditions.get("Progressing") or {}
    if (
        progressing.get("status") == "False"
        and progressing.get("reason") == "ProgressDeadlineExceeded"
    ):
        message = str(progressing.get("message") or "The rollout exceeded its progress deadline.")
        return condition(READY, False, "RolloutFailed", message, gen)
    if not facts.observed or int(status.get("observedGeneration") or 0) < meta_gen:
        return condition(READY, False, "RollingOut", "The new configuration is rolling out.", gen)
    updated = int(status.get("updatedReplicas") or 0)
    available = int(status.get("availableReplicas") or 0)
    if updated < want:
        message = f"{updated} of {want} replicas run the current configuration."
        return condition(READY, False, "RollingOut", message, gen)
    if available < want or (conditions.get("Available") or {}).get("status") == "False":
        message = f"{available} of {want} replicas available."
        return condition(READY, False, "Unavailable", message, gen)
    return condition(READY, True, "Available", f"{available} of {want} replicas available.", gen)


def desired_status(facts: Facts, current: Mapping[str, Any]) -> dict[str, Any]:
    """The whole status the Agent should have, given the facts and its current status."""
    old_conditions = {c.get("type"): c for c in current.get("conditions") or []}
    if facts.missing_refs is not None:
        refs = refs_condition(facts.missing_refs, facts.generation)
    else:
        refs = dict(old_conditions.get(RESOLVED_REFS) or refs_condition([], facts.generation))
    refs_ok = refs.get("status") == "True"
    ready = ready_condition(facts, refs_ok)
    dep_status = (facts.deployment or {}).get("status") or {}
    observed = facts.generation if facts.observed else current.get("observedGeneration")
    others = [
        dict(c)
        for c in current.get("conditions") or []
        if c.get("type") not in (READY, RESOLVED_REFS)
    ]
    status: dict[str, Any] = {
        "replicas": int(dep_status.get("replicas") or 0),
        "readyReplicas": int(dep_status.get("readyReplicas") or 0),
        "selector": facts.selector,
        "endpoint": facts.endpoint,
        "conditions": [*merge_conditions(current.get("conditions") or [], [ready, refs]), *others],
    }
    if observed is not None:
        status["observedGeneration"] = observed
    return status


def merge_conditions(
    old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """New conditions, keeping `lastTransitionTime` where the status did not flip."""
    previous = {c.get("type"): c for c in old}
    stamp = now()
    merged: list[dict[str, Any]] = []
    for cond in new:
        prior = previous.get(cond["type"])
        if (
            prior is not None
            and prior.get("status") == cond["status"]
            and "lastTransitionTime" in prior
        ):
            ltt = prior["lastTransitionTime"]
        else:
            ltt = stamp
        merged.append({**cond, "lastTransitionTime": ltt})
    return merged


def status_patch(current: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any] | None:
    """The fields of `desired` that differ from `current` (None: nothing to write)."""
    patch = {k: v for k, v in desired.items() if current.get(k) != v}
    return patch or None


def rolling_out(status: Mapping[str, Any]) -> bool:
    """Whether the status says only that the Deployment has not yet shown its rollout."""
    return any(
        c.get("type") == READY and c.get("reason") == "RollingOut"
        for c in status.get("conditions") or []
    )


def is_ready(status: Mapping[str, Any]) -> bool:
    return any(
        c.get("type") == READY and c.get("status") == "True" for c in status.get("conditions") or []
    )
