"""The drift check: whether a live child already is what the operator would apply.

Pure functions on JSON-like dicts, no API calls, so the same judgement serves a child read
from the API, one from the watch cache and the tests. Every child carries the hash of what the
operator last applied: a changed desire is then seen even when the live object still holds
fields from an earlier apply, and server defaults never count as drift.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

#: Written on every child: the hash of what the operator last applied, so a changed desire is
#: seen even when the live object still holds extra fields from an earlier apply.
APPLIED_HASH_ANNOTATION = "agent-operator.io/applied-hash"


def applied_hash(obj: Mapping[str, Any]) -> str:
    """A stable digest of a desired object (the hash annotation itself excluded)."""
    canonical = json.dumps(obj, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def with_applied_hash(obj: Mapping[str, Any]) -> dict[str, Any]:
    """`obj` carrying its own applied-hash annotation: new metadata, the rest shared."""
    digest = applied_hash(obj)
    meta = dict(obj["metadata"])
    meta["annotations"] = {**(meta.get("annotations") or {}), APPLIED_HASH_ANNOTATION: digest}
    return {**obj, "metadata": meta}


def contains(live: Any, desired: Any) -> bool:
    """Whether every field of `desired` is present and equal in `live` (server defaults allowed).

    Lists must have the same length and match element by element: an extra container or port
    added by hand is drift.
    """
    if isinstance(desired, Mapping):
        return isinstance(live, Mapping) and all(
            k in live and contains(live[k], v) for k, v in desired.items()
        )
    if isinstance(desired, list):
        return (
            isinstance(live, list)
            and len(live) == len(desired)
            and all(contains(lv, dv) for lv, dv in zip(live, desired, strict=True))
        )
    if isinstance(desired, bool) or isinstance(live, bool):
        return live is desired
    if isinstance(desired, int | float) and isinstance(live, int | float):
        return float(live) == float(desired)
    return bool(live == desired)


def is_current(live: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> bool:
    """Whether a live child already is what `desired` (with its hash annotation) asks for."""
    if live is None:
        return False
    desired_body = {k: v for k, v in desired.items() if k != "status"}
    return contains(live, desired_body)
