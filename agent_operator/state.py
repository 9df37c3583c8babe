"""What the operator holds in memory between events: one `AgentState` per Agent, every
managed child as last seen (`Children`), the owned Deployments' rollouts, and the shared
`Context` (API client, settings, metrics).

Only what a reconcile or a status needs is kept (trimmed bodies, children as compact JSON), so
the memory stays small at thousands of Agents. Nothing here talks to the API.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Coroutine, Mapping
from typing import Any

from agent_operator import status as status_mod
from agent_operator.kube import Kube, ObjectRef
from agent_operator.metrics import OperatorMetrics
from agent_operator.ownership import agent_of
from agent_operator.settings import OperatorSettings
from agent_operator.spec import API_VERSION, KIND

Key = tuple[str, str]


@dataclasses.dataclass
class AgentState:
    """What the operator holds in memory about one Agent between events."""

    body: dict[str, Any]
    lock: asyncio.Lock = dataclasses.field(default_factory=asyncio.Lock)
    selector: str | None = None
    endpoint: str | None = None
    missing_refs: tuple[status_mod.MissingRef, ...] | None = None
    invalid_spec: str | None = None
    reconcile_error: str | None = None
    foreign_child: str | None = None
    observed_generation: int | None = None
    refresh_pending: bool = False
    #: A new Agent's first status waits for its rollout, so that it is written once, not twice.
    first_status_held: bool = False
    converge_pending: bool = False

    @property
    def ref(self) -> ObjectRef:
        meta = self.body["metadata"]
        return ObjectRef(API_VERSION, KIND, meta["namespace"], meta["name"])

    @property
    def uid(self) -> str | None:
        uid = self.body["metadata"].get("uid")
        return str(uid) if uid is not None else None

    @property
    def generation(self) -> int:
        return int(self.body["metadata"].get("generation") or 1)

    @property
    def status(self) -> dict[str, Any]:
        return dict(self.body.get("status") or {})

    @property
    def deleting(self) -> bool:
        return bool(self.body["metadata"].get("deletionTimestamp"))


#: Metadata the API server writes: never part of what the operator applies, so never compared.
SERVER_METADATA = frozenset(
    {"managedFields", "resourceVersion", "generation", "creationTimestamp", "uid"}
)


class Children:
    """Every managed child as last seen, by its address: the watches' cache.

    Fed by the watches (every kind of child, through the managed label) and by the answer to
    each apply. A reconcile from the cache waits until every watch's first list is in, so an
    address absent here means no managed object stands there. Bodies are kept as compact JSON
    without status or server-written metadata: a fraction of the memory of parsed dicts, and a
    change of content (not a mere status or version bump) is seen by comparing bytes.
    """

    def __init__(self) -> None:
        self._seen: dict[ObjectRef, bytes] = {}

    def saw(self, body: Mapping[str, Any], ref: ObjectRef | None = None) -> bool:
        """Remember a child as it is now; True if its content differs from what was known."""
        ref = ref or ObjectRef.of(body)
        meta = {k: v for k, v in (body.get("metadata") or {}).items() if k not in SERVER_METADATA}
        content = {k: v for k, v in body.items() if k not in ("status", "metadata")}
        packed = json.dumps({**content, "metadata": meta}, separators=(",", ":")).encode()
        changed = self._seen.get(ref) != packed
        self._seen[ref] = packed
        return changed

    def forget(self, ref: ObjectRef) -> bool:
        """The child is gone; True if it was known."""
        return self._seen.pop(ref, None) is not None

    def refs(self, api_version: str, kind: str) -> set[ObjectRef]:
        """The addresses of every known child of one kind."""
        return {r for r in self._seen if r.kind == kind and r.api_version == api_version}

    def get(self, ref: ObjectRef) -> dict[str, Any] | None:
        """The child as last seen, or None when no managed object is known at this address."""
        packed = self._seen.get(ref)
        return None if packed is None else dict(json.loads(packed))

    def __len__(self) -> int:
        return len(self._seen)


class Context:
    """The operator's shared state: API client, settings, per-Agent memory, metrics."""

    def __init__(self, settings: OperatorSettings, kube: Kube) -> None:
        self.settings = settings
        self.kube = kube
        self.agents: dict[Key, AgentState] = {}
        self.children = Children()
        # Owned Deployments as last seen, by their Agent's key: kept even before the Agent is
        # seen, since after a restart the two watches deliver in no particular order.
        self.deployments: dict[Key, dict[str, Any]] = {}
        self.metrics = OperatorMetrics(lambda: [s.status for s in list(self.agents.values())])
        self.resync_task: asyncio.Task[None] | None = None
        self.paused = False  # Kopf's peering pauses this replica: no resync, no restore
        self.children_listed = asyncio.Event()  # every kind of child listed into `children`
        self.background: set[asyncio.Task[None]] = set()

    def saw_deployment(self, body: Mapping[str, Any], *, answer: bool = False) -> None:
        """Remember an owned Deployment, unless what is known of it is newer.

        The watch delivers one Deployment's events in order, so an event replaces whatever is
        known of the same or an older generation. The `answer` to an apply comes through
        another channel, at its own pace: it carries the new generation before the watch does
        (without it, a status written right after an update would judge the new spec by the
        old rollout), but it can also arrive after the watch has shown that generation's
        rollout, and must not replace it then (the Agent would wait for a rollout already
        seen, until the Deployment changed again).
        """
        owner = agent_of(body)
        if owner is None:
            return
        key = (body["metadata"]["namespace"], owner.name)
        known = self.deployments.get(key)
        seen = _trim_deployment(body, owner.uid)
        if (
            known is None
            or seen["metadata"]["uid"] != known["metadata"]["uid"]  # deleted and made anew
            or _generation(seen) > _generation(known)
            or (not answer and _generation(seen) == _generation(known))
        ):
            self.deployments[key] = seen

    def deployment(self, state: AgentState) -> dict[str, Any] | None:
        """The Agent's Deployment as last seen, if it is owned by this very Agent."""
        meta = state.body["metadata"]
        dep = self.deployments.get((meta["namespace"], meta["name"]))
        return dep if dep is not None and dep["owner_uid"] == state.uid else None

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run `coro` in the background, cancelled at shutdown."""
        task = asyncio.create_task(coro)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    def state(self, body: Mapping[str, Any]) -> AgentState:
        """The state of the Agent in `body`, created or refreshed from it."""
        key = (body["metadata"]["namespace"], body["metadata"]["name"])
        trimmed = _trim(body)
        state = self.agents.get(key)
        if state is None or state.uid != trimmed["metadata"].get("uid"):
            state = self.agents[key] = AgentState(body=trimmed)
        else:
            state.body = trimmed
        return state


def _trim(body: Mapping[str, Any]) -> dict[str, Any]:
    """Only what the operator needs of an Agent, to keep memory small at thousands of Agents."""
    meta = body.get("metadata") or {}
    keep = ("name", "namespace", "uid", "generation", "resourceVersion", "deletionTimestamp")
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {k: meta[k] for k in keep if k in meta},
        "spec": dict(body.get("spec") or {}),
        "status": dict(body.get("status") or {}),
    }


def _generation(deployment: Mapping[str, Any]) -> int:
    return int((deployment.get("metadata") or {}).get("generation") or 0)


def _trim_deployment(body: Mapping[str, Any], owner_uid: str) -> dict[str, Any]:
    meta = body.get("metadata") or {}
    return {
        "owner_uid": owner_uid,
        "metadata": {
            "name": meta.get("name"),
            "uid": meta.get("uid"),
            "generation": meta.get("generation"),
        },
        "spec": {"replicas": (body.get("spec") or {}).get("replicas")},
        "status": dict(body.get("status") or {}),
    }
