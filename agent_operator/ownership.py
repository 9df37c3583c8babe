"""Ownership: which Agent controls an object, read one way everywhere.

Every child carries one controller owner reference to its Agent; the garbage collector deletes
it with the Agent, and the operator never takes over or deletes an object another owner
controls. Pure functions on object bodies, shared by the watches, the reconcile and the status.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agent_operator.drift import is_current
from agent_operator.spec import API_VERSION, KIND


@dataclass(frozen=True)
class Controller:
    """An object's controller, as its owner reference names it."""

    api_version: str
    kind: str
    name: str
    uid: str

    @property
    def is_agent(self) -> bool:
        return self.api_version == API_VERSION and self.kind == KIND

    def __str__(self) -> str:
        return f"{self.kind} {self.name} (uid {self.uid})"


def controller_of(obj: Mapping[str, Any]) -> Controller | None:
    """The owner reference marked `controller` (the API allows at most one), if any."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return Controller(
                api_version=str(ref.get("apiVersion")),
                kind=str(ref.get("kind")),
                name=str(ref.get("name")),
                uid=str(ref.get("uid")),
            )
    return None


def agent_of(obj: Mapping[str, Any]) -> Controller | None:
    """The Agent that controls `obj`, or None when no Agent does."""
    controller = controller_of(obj)
    return controller if controller is not None and controller.is_agent else None


def controlled_by(obj: Mapping[str, Any], uid: str | None) -> bool:
    """Whether the object with this uid is `obj`'s controller."""
    controller = controller_of(obj)
    return controller is not None and uid is not None and controller.uid == uid


class ForeignChild(Exception):
    """An object with a child's name exists but is not controlled by the Agent: left alone."""

    def __init__(self, child: str, live: Mapping[str, Any]) -> None:
        controller = controller_of(live)
        super().__init__(child, controller)
        self.child = child
        self.controller = str(controller) if controller is not None else "no controller"

    def __str__(self) -> str:
        return (
            f"{self.child} already exists and is controlled by {self.controller}, not by this "
            "Agent; it is left alone: delete or rename it"
        )


def needs_apply(
    live: Mapping[str, Any] | None, desired: Mapping[str, Any], owner_uid: str | None
) -> bool:
    """Whether `desired` must be applied over `live`; raises `ForeignChild` if not ours.

    An object of the child's name that this Agent does not control (someone else's, or a
    deleted Agent's) is never taken over.
    """
    if live is not None and not controlled_by(live, owner_uid):
        meta = desired["metadata"]
        raise ForeignChild(f"{desired['kind']} {meta.get('namespace')}/{meta['name']}", live)
    return not is_current(live, desired)
