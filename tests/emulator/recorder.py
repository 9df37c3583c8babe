"""A bounded log of the requests served, in RBAC terms, for tests to count and assert on.

Each entry says what a ClusterRole rule would have to allow (verb, API group, resource,
subresource) plus where it went (namespace, name), who sent it (user agent, and the user its
bearer token authenticates, which tells apart two processes of the same program) and the answer's
status code. Counting writes is how tests prove a no-op resync writes nothing; the verbs
actually used are what the operator's RBAC must grant.
"""

from __future__ import annotations

import collections
import dataclasses
import threading
from collections.abc import Iterable
from types import EllipsisType

READ_VERBS = frozenset({"get", "list", "watch"})
WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})
DEFAULT_CAPACITY = 20_000  # enough for a test's story; bounded so each request costs the same


@dataclasses.dataclass
class RecordedRequest:
    """One request as an authorizer would see it, plus the status code it got."""

    method: str
    verb: str  # get, list, watch, create, update, patch, delete, deletecollection; "" if none
    group: str | None  # "" for the core group; None for non-resource URLs (/api, /version)
    version: str | None
    resource: str | None
    subresource: str | None
    namespace: str | None
    name: str | None
    path: str
    user_agent: str
    content_type: str
    status: int | None = None
    user: str = ""  # the bearer token, named as a static token authenticator would name it

    @property
    def is_write(self) -> bool:
        return self.verb in WRITE_VERBS

    @property
    def is_read(self) -> bool:
        return self.verb in READ_VERBS


class Recorder:
    """Thread-safe bounded request log with counting helpers."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._entries: collections.deque[RecordedRequest] = collections.deque(maxlen=capacity)
        # Counts by (user agent, verb, resource[/subresource]) that the bounded log cannot give
        # past its capacity: a benchmark of thousands of objects counts every request it caused.
        self._totals: collections.Counter[tuple[str, str, str]] = collections.Counter()
        self._lock = threading.Lock()

    def record(self, entry: RecordedRequest) -> None:
        with self._lock:
            self._entries.append(entry)
            resource = (entry.resource or "") + (
                f"/{entry.subresource}" if entry.subresource else ""
            )
            self._totals[(entry.user_agent, entry.verb, resource)] += 1

    def totals(self) -> dict[tuple[str, str, str], int]:
        """Requests since the last reset by (user agent, verb, resource), however many."""
        with self._lock:
            return dict(self._totals)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._entries)

    def filter(
        self,
        *,
        verb: str | Iterable[str] | None = None,
        resource: str | None = None,
        group: str | None = None,
        subresource: str | EllipsisType | None = ...,
        namespace: str | None = None,
        name: str | None = None,
        method: str | None = None,
        user_agent: str | None = None,
        status: int | None = None,
    ) -> list[RecordedRequest]:
        """Entries matching every given criterion (`subresource=None` means the main resource)."""
        verbs = {verb} if isinstance(verb, str) else set(verb) if verb is not None else None
        result = []
        for entry in self.requests:
            if verbs is not None and entry.verb not in verbs:
                continue
            if resource is not None and entry.resource != resource:
                continue
            if group is not None and entry.group != group:
                continue
            if not isinstance(subresource, EllipsisType) and entry.subresource != subresource:
                continue
            if namespace is not None and entry.namespace != namespace:
                continue
            if name is not None and entry.name != name:
                continue
            if method is not None and entry.method.upper() != method.upper():
                continue
            if user_agent is not None and user_agent not in entry.user_agent:
                continue
            if status is not None and entry.status != status:
                continue
            result.append(entry)
        return result

    def count(self, **criteria: object) -> int:
        return len(self.filter(**criteria))  # type: ignore[arg-type]

    def reads(self) -> list[RecordedRequest]:
        return [entry for entry in self.requests if entry.is_read]

    def writes(self) -> list[RecordedRequest]:
        return [entry for entry in self.requests if entry.is_write]

    def reset(self) -> None:
        with self._lock:
            self._entries.clear()
            self._totals.clear()

    def verbs_used(self) -> set[tuple[str, str, str]]:
        """(group, resource[/subresource], verb) triples: what an RBAC role must allow."""
        used = set()
        for entry in self.requests:
            if entry.resource is None or not entry.verb:
                continue
            resource = entry.resource + (f"/{entry.subresource}" if entry.subresource else "")
            used.add((entry.group or "", resource, entry.verb))
        return used
