"""Object storage with a global resourceVersion, per-resource event history, and watchers.

Everything here runs on the emulator's event loop and never awaits while it changes state, so
a list (a snapshot plus the current resourceVersion) and a watch registration (the history
after a resourceVersion plus a live subscription) are each atomic: no event can fall between
a list and the watch that starts from its resourceVersion.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import json
from collections.abc import Callable, Iterator
from typing import Any

from .errors import gone

ResourceKey = tuple[str, str]  # (group, plural)
ObjectKey = tuple[str | None, str]  # (namespace, name)
Obj = dict[str, Any]

DEFAULT_HISTORY = 5000  # events kept per resource for watch resumption; older gets 410 Gone


@dataclasses.dataclass
class Event:
    """One change of one object, as watch streams deliver it."""

    rv: int
    type: str  # ADDED, MODIFIED, DELETED, BOOKMARK, ERROR
    obj: Obj
    prev: Obj | None = None  # the state before a MODIFIED change, for selector transitions
    _line: bytes | None = None

    def line(self) -> bytes:
        """The JSON line for watch streams, encoded once however many watchers get it."""
        if self._line is None:
            self._line = json.dumps({"type": self.type, "object": self.obj}).encode() + b"\n"
        return self._line


@dataclasses.dataclass(eq=False)
class Watcher:
    """A live subscription: events of one resource, filtered, queued for one stream."""

    namespace: str | None
    accepts: Callable[[Obj], bool]
    queue: asyncio.Queue[Event | None] = dataclasses.field(default_factory=asyncio.Queue)

    def offer(self, event: Event) -> None:
        """Queue the event as this watcher sees it.

        Like the apiserver, an object that starts matching the filter arrives as ADDED and one
        that stops matching leaves as DELETED.
        """
        now = self._sees(event.obj)
        before = event.prev is not None and self._sees(event.prev)
        if event.type != "MODIFIED" or (now and before):
            if now:
                self.queue.put_nowait(event)
        elif now:
            self.queue.put_nowait(Event(event.rv, "ADDED", event.obj))
        elif before:
            self.queue.put_nowait(Event(event.rv, "DELETED", event.obj))

    def _sees(self, obj: Obj) -> bool:
        if self.namespace is not None and obj["metadata"].get("namespace") != self.namespace:
            return False
        return self.accepts(obj)

    def close(self) -> None:
        self.queue.put_nowait(None)


class Store:
    """Objects per resource, their change history, and the streams watching them."""

    def __init__(self, history_size: int = DEFAULT_HISTORY) -> None:
        self.revision = 0
        self._objects: dict[ResourceKey, dict[ObjectKey, Obj]] = collections.defaultdict(dict)
        self._history: dict[ResourceKey, collections.deque[Event]] = collections.defaultdict(
            collections.deque
        )
        self._compacted: dict[ResourceKey, int] = collections.defaultdict(int)
        self._watchers: dict[ResourceKey, set[Watcher]] = collections.defaultdict(set)
        self._history_size = history_size
        self.listeners: list[Callable[[ResourceKey, Event], None]] = []

    def next_revision(self) -> int:
        self.revision += 1
        return self.revision

    def get(self, key: ResourceKey, namespace: str | None, name: str) -> Obj | None:
        return self._objects[key].get((namespace, name))

    def items(self, key: ResourceKey, namespace: str | None = None) -> list[Obj]:
        """Objects of a resource, in one namespace or all, ordered by namespace and name."""
        found = self._objects[key]
        selected = [(k, obj) for k, obj in found.items() if namespace is None or k[0] == namespace]
        selected.sort(key=lambda pair: (pair[0][0] or "", pair[0][1]))
        return [obj for _, obj in selected]

    def iter_all(self) -> Iterator[tuple[ResourceKey, Obj]]:
        for key, objs in list(self._objects.items()):
            for obj in list(objs.values()):
                yield key, obj

    def count(self, key: ResourceKey) -> int:
        return len(self._objects[key])

    def put(self, key: ResourceKey, obj: Obj, event_type: str) -> None:
        meta = obj["metadata"]
        objects = self._objects[key]
        object_key = (meta.get("namespace"), meta["name"])
        prev = objects.get(object_key)
        objects[object_key] = obj
        self._publish(key, Event(int(meta["resourceVersion"]), event_type, obj, prev))

    def remove(self, key: ResourceKey, obj: Obj) -> None:
        meta = obj["metadata"]
        self._objects[key].pop((meta.get("namespace"), meta["name"]), None)
        self._publish(key, Event(int(meta["resourceVersion"]), "DELETED", obj))

    def drop_resource(self, key: ResourceKey) -> list[Obj]:
        """Forget a resource entirely (its CRD is gone), returning what it held."""
        objs = list(self._objects.pop(key, {}).values())
        for watcher in self._watchers.pop(key, set()):
            watcher.close()
        return objs

    def _publish(self, key: ResourceKey, event: Event) -> None:
        history = self._history[key]
        if len(history) >= self._history_size:
            self._compacted[key] = history.popleft().rv
        history.append(event)
        for watcher in list(self._watchers[key]):
            watcher.offer(event)
        for listener in list(self.listeners):
            listener(key, event)

    def subscribe(
        self,
        key: ResourceKey,
        namespace: str | None,
        accepts: Callable[[Obj], bool],
        since: int | None,
    ) -> tuple[list[Event], Watcher]:
        """Register a watcher; with `since`, first return the missed events after it.

        Without `since`, the backlog is synthetic ADDED events for every current object.
        """
        watcher = Watcher(namespace, accepts)
        if since is None:
            backlog = [
                Event(int(obj["metadata"]["resourceVersion"]), "ADDED", obj)
                for obj in self.items(key, namespace)
                if accepts(obj)
            ]
        else:
            if since < self._compacted[key]:
                raise gone(f"too old resource version: {since} ({self._compacted[key]})")
            backlog = []
            for event in self._history[key]:
                if event.rv > since:
                    before = watcher.queue.qsize()
                    watcher.offer(event)
                    if watcher.queue.qsize() > before:
                        queued = watcher.queue.get_nowait()
                        assert queued is not None
                        backlog.append(queued)
        self._watchers[key].add(watcher)
        return backlog, watcher

    def unsubscribe(self, key: ResourceKey, watcher: Watcher) -> None:
        self._watchers[key].discard(watcher)

    def close_all_watchers(self) -> int:
        count = 0
        for watchers in self._watchers.values():
            for watcher in list(watchers):
                watcher.close()
                count += 1
        return count
