"""Who the children belong to, and the shape of what the builders hand to the operator.

`AgentMeta` carries the little of an Agent's metadata the builders need; `DesiredChildren` is
their whole answer: the objects that must exist, and the keys of optional ones that must not.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agent_operator.builders.names import ChildKind, child_labels, child_name

#: A Kubernetes object as a plain dict, ready to be sent.
Manifest = dict[str, Any]


@dataclass(frozen=True)
class AgentMeta:
    """The identity of the Agent that the children are built for."""

    name: str
    namespace: str
    uid: str | None = None
    generation: int | None = None
    #: The id of the Agent's Mistral-hosted copy, from its status, once published.
    hosted_agent_id: str | None = None


def hosted_agent_id(obj: Mapping[str, Any]) -> str | None:
    """The Mistral agent id in an Agent object's `status.mistral`, if it was published."""
    hosted = (obj.get("status") or {}).get("mistral")
    agent_id = hosted.get("agentId") if isinstance(hosted, Mapping) else None
    return agent_id if isinstance(agent_id, str) and agent_id else None


@dataclass(frozen=True)
class ChildKey:
    """Enough to find (or delete) one child: apiVersion, kind, namespace and name."""

    api_version: str
    kind: str
    namespace: str
    name: str


@dataclass(frozen=True)
class DesiredChildren:
    """Every child to apply, in apply order, and the optional children that must be absent."""

    apply: list[Manifest] = field(default_factory=list)
    absent: list[ChildKey] = field(default_factory=list)


def object_meta(meta: AgentMeta, kind: ChildKind) -> Manifest:
    """The `metadata` of the Agent's child of `kind` (owner references are the handler's job)."""
    return {
        "name": child_name(meta.name, kind),
        "namespace": meta.namespace,
        "labels": child_labels(meta.name),
    }


def child_key(meta: AgentMeta, api_version: str, kind: ChildKind) -> ChildKey:
    """The key of the Agent's child of `kind`."""
    return ChildKey(api_version, kind, meta.namespace, child_name(meta.name, kind))
