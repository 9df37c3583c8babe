"""The children's watches: one plain watch stream per kind of child (and namespace), feeding
the children cache and telling the reconcile when a child changed under it.

Kopf handles the Agents only. Its per-object machinery (a worker, a memory and a handler run
per event) cost three times the operator's CPU per Agent once every kind of child went through
it; here an event is one JSON parse and a dictionary update. Each stream is read in a thread of
its own (the client is synchronous) and its events are handled on the event loop, in order.

A stream lists first, then watches from the list's version; when the server ends or cuts the
stream it watches on from the last version seen, and lists again only when the server says
that version is gone (410): what vanished meanwhile counts as deleted. `ready` is set once
every stream's first list is in the cache, so that a reconcile from the cache never takes a
child not yet listed for a missing one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from agent_operator.kube import CHILD_PLURALS, Kube, KubeError, ObjectRef, collection_path

#: The server closes a watch after this long; it is opened again from the last version seen.
WATCH_TIMEOUT_SECONDS = 300
#: Pause before opening a refused or failed watch again, so a sick server is not hammered.
RETRY_DELAY_SECONDS = 1.0
#: The status code with which the server says a watch's resourceVersion is too old.
GONE = 410

log = logging.getLogger("agent_operator")

#: What a stream tells the operator: (event type, object), event type as the API names it.
OnEvent = Callable[[str, Mapping[str, Any]], None]


class ChildWatches:
    """One watch per kind of child and namespace (or cluster-wide), until cancelled."""

    def __init__(
        self,
        kube: Kube,
        selector: str,
        namespaces: Iterable[str],
        on_event: OnEvent,
        known: Callable[[str, str], set[ObjectRef]],
    ) -> None:
        self.kube = kube
        self.selector = selector
        self.namespaces: list[str | None] = list(namespaces) or [None]
        self.on_event = on_event
        self.known = known
        self.ready = asyncio.Event()

    async def run(self) -> None:
        streams = [
            (api_version, kind, ns)
            for (api_version, kind) in CHILD_PLURALS
            for ns in self.namespaces
        ]
        listed = [asyncio.Event() for _ in streams]
        tasks = [
            asyncio.create_task(self._stream(api_version, kind, ns, flag), name=f"watch {kind}")
            for (api_version, kind, ns), flag in zip(streams, listed, strict=True)
        ]
        try:
            await asyncio.gather(*(flag.wait() for flag in listed))
            self.ready.set()
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _stream(
        self, api_version: str, kind: str, namespace: str | None, listed: asyncio.Event
    ) -> None:
        path = collection_path(api_version, kind, namespace)
        version = ""
        while True:
            try:
                if not version:
                    version = await self._relist(api_version, kind, path)
                    listed.set()
                version = await self._watch(path, version)
            except KubeError as exc:
                if exc.status == GONE:
                    version = ""
                    continue
                log.warning("Watching %s failed, retrying: %s", kind, exc)
                await asyncio.sleep(RETRY_DELAY_SECONDS)

    async def _relist(self, api_version: str, kind: str, path: str) -> str:
        """List the kind; what the cache knows but the list lacks is gone. The list's version."""
        items, version = await self.kube.list_collection(path, self.selector)
        listed = set()
        for item in items:
            item.setdefault("apiVersion", api_version)
            item.setdefault("kind", kind)
            listed.add(ObjectRef.of(item))
            self.on_event("ADDED", item)
        namespace = path.split("/namespaces/")[1].split("/")[0] if "/namespaces/" in path else ""
        for ref in self.known(api_version, kind) - listed:
            if not namespace or ref.namespace == namespace:
                self.on_event("DELETED", _stub(ref))
        return version

    async def _watch(self, path: str, version: str) -> str:
        """Follow one watch stream until the server ends it; the last version seen."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[bytes | BaseException | None] = asyncio.Queue()
        stop = threading.Event()

        def read() -> None:
            try:
                for line in self.kube.watch_lines(
                    path, self.selector, version, WATCH_TIMEOUT_SECONDS
                ):
                    if stop.is_set():
                        return
                    loop.call_soon_threadsafe(queue.put_nowait, line)
                loop.call_soon_threadsafe(queue.put_nowait, None)
            except BaseException as exc:  # handed to the loop, raised there
                if not stop.is_set():
                    loop.call_soon_threadsafe(queue.put_nowait, exc)

        threading.Thread(target=read, name=f"watch {path}", daemon=True).start()
        try:
            while (line := await queue.get()) is not None:
                if isinstance(line, BaseException):
                    raise line
                version = self._handle(line) or version
        finally:
            stop.set()
        return version

    def _handle(self, line: bytes) -> str | None:
        """One event of a stream; the resourceVersion it brings, if any."""
        event = json.loads(line)
        kind, obj = event.get("type"), event.get("object") or {}
        if kind == "ERROR":
            code = int(obj.get("code") or 0)
            raise KubeError("Watching", code, str(obj.get("reason")), str(obj.get("message")))
        version = (obj.get("metadata") or {}).get("resourceVersion")
        if kind in ("ADDED", "MODIFIED", "DELETED"):
            self.on_event(str(kind), obj)
        return str(version) if version else None


def _stub(ref: ObjectRef) -> dict[str, Any]:
    """An object of which only the address is known: what a relist reports as deleted."""
    return {
        "apiVersion": ref.api_version,
        "kind": ref.kind,
        "metadata": {"namespace": ref.namespace, "name": ref.name},
    }
