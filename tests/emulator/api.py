"""The HTTP face of the emulator: requests in, apiserver-shaped answers out.

Each request is routed, recorded, checked against armed faults, then served: discovery, list
(typed, selectable, paginated), watch (resumable, time-limited), get, create, update, the
patch flavours including server-side apply, delete and deletecollection, and the `status` and
`scale` subresources. State changes go through :class:`~tests.emulator.cluster.Cluster`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import json
import logging
from collections.abc import Callable
from typing import Any

import aiohttp.web
import yaml

from . import discovery, patches
from .cluster import Cluster
from .errors import ApiError, bad_request
from .faults import Faults
from .recorder import RecordedRequest, Recorder
from .resources import ResourceType
from .routing import Route, route
from .schema import unknown_fields
from .selectors import field_matcher, label_matcher, selector_from_match_labels
from .store import Event, Obj, Watcher

logger = logging.getLogger(__name__)
JSON = "application/json"


def _json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Any:
    return aiohttp.web.Response(
        body=json.dumps(body).encode(), status=status, content_type=JSON, headers=headers
    )


def _strictly(rtype: ResourceType, manifest: Obj, query: dict[str, str]) -> Obj:
    """`manifest`, unless `fieldValidation=Strict` and it has fields the schema lacks (400)."""
    if query.get("fieldValidation") == "Strict" and rtype.schema is not None:
        unknown = unknown_fields(rtype.schema, manifest, root=True)
        if unknown:
            fields = ", ".join(f'unknown field "{field}"' for field in unknown)
            raise bad_request(f"strict decoding error: {fields}")
    return manifest


def _error_response(error: ApiError) -> Any:
    return _json_response(error.to_status(), error.code, error.headers)


def _dig(obj: Obj, path: str) -> Any:
    node: Any = obj
    for part in path.strip(".").split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _plant(obj: Obj, path: str, value: Any) -> None:
    parts = path.strip(".").split(".")
    node = obj
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


class Api:
    """Serves one request at a time against the cluster state (all on one event loop)."""

    def __init__(self, cluster: Cluster, recorder: Recorder, faults: Faults) -> None:
        self.cluster = cluster
        self.recorder = recorder
        self.faults = faults
        self._streams: dict[Watcher, aiohttp.web.BaseRequest] = {}

    # --- entry point ----------------------------------------------------------------------

    async def serve(self, raw: aiohttp.web.BaseRequest, body: bytes) -> Any:
        query = dict(raw.query)
        target = route(raw.path, raw.method, query)
        entry = RecordedRequest(
            method=raw.method,
            verb=target.verb,
            group=target.group if target.plural else None,
            version=target.version if target.plural else None,
            resource=target.plural,
            subresource=target.subresource,
            namespace=target.namespace,
            name=target.name,
            path=raw.path,
            user_agent=raw.headers.get("User-Agent", ""),
            content_type=raw.headers.get("Content-Type", ""),
            user=raw.headers.get("Authorization", "").removeprefix("Bearer "),
        )
        self.recorder.record(entry)
        try:
            fault = self.faults.check(entry)
            if fault is not None:
                raise fault
            response = await self._dispatch(raw, body, target, query, entry)
        except ApiError as error:
            response = _error_response(error)
        except Exception as exc:  # a bug here must still answer like a server, and be logged
            logger.exception("The emulator failed to serve %s %s", raw.method, raw.path)
            response = _error_response(ApiError(500, f"emulator error: {exc!r}"))
        if entry.status is None:
            entry.status = response.status
        late = self.faults.lateness(entry)
        if late:
            await asyncio.sleep(late)
        return response

    async def _dispatch(
        self,
        raw: aiohttp.web.BaseRequest,
        body: bytes,
        target: Route,
        query: dict[str, str],
        entry: RecordedRequest,
    ) -> Any:
        if target.plural is None:
            return _json_response(self._discovery(raw.path, target))
        assert target.group is not None
        assert target.version is not None
        rtype = self.cluster.registry.find(target.group, target.version, target.plural)
        if rtype is None:
            raise ApiError(404, "the server could not find the requested resource")
        if target.namespace is not None and not rtype.namespaced:
            raise ApiError(404, "the server could not find the requested resource")
        if target.subresource is not None and target.subresource not in rtype.subresources:
            raise ApiError(404, "the server could not find the requested resource")
        match target.verb:
            case "list":
                return _json_response(self._list(rtype, target.namespace, query))
            case "watch":
                return await self._watch(raw, rtype, target, query, entry)
            case "get":
                return _json_response(self._get(rtype, target))
            case "create":
                manifest = _strictly(rtype, self._parse_json(body), query)
                obj = self.cluster.create(rtype, target.namespace, manifest)
                return _json_response(obj, 201)
            case "update":
                manifest = _strictly(rtype, self._parse_json(body), query)
                return _json_response(self._update(rtype, target, manifest))
            case "patch":
                content_type = raw.headers.get("Content-Type", "").split(";")[0].strip()
                obj, status = self._patch(rtype, target, content_type, body, query)
                return _json_response(obj, status)
            case "delete":
                return _json_response(self._delete(rtype, target, body, query))
            case "deletecollection":
                return _json_response(self._delete_collection(rtype, target, query))
        raise ApiError(405, f"method {raw.method} is not allowed", reason="MethodNotAllowed")

    def _discovery(self, path: str, target: Route) -> Any:
        registry = self.cluster.registry
        clean = "/" + path.strip("/")
        if clean == "/version":
            return discovery.SERVER_VERSION
        if clean == "/api":
            return discovery.api_versions()
        if clean == "/apis":
            return discovery.api_group_list(registry)
        if clean == "/":
            return {"paths": ["/api", "/api/v1", "/apis", "/version"]}
        if target.group is not None and target.version is not None:
            return discovery.api_resource_list(registry, target.group, target.version)
        parts = clean.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "apis":
            return discovery.api_group(registry, parts[1])
        raise ApiError(404, "the server could not find the requested resource")

    @staticmethod
    def _parse_json(body: bytes) -> Obj:
        try:
            data = json.loads(body or b"null")
        except ValueError as exc:
            raise bad_request(f"the request body is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise bad_request("the request body must be an object")
        return data

    # --- reading --------------------------------------------------------------------------

    def _selected(
        self, rtype: ResourceType, namespace: str | None, query: dict[str, str]
    ) -> list[Obj]:
        labels = label_matcher(query.get("labelSelector"))
        fields = field_matcher(query.get("fieldSelector"))
        items = self.cluster.store.items(rtype.key, namespace)
        if labels is not None:
            items = [obj for obj in items if labels(obj)]
        if fields is not None:
            items = [obj for obj in items if fields(obj)]
        return items

    def _list(self, rtype: ResourceType, namespace: str | None, query: dict[str, str]) -> Obj:
        items = self._selected(rtype, namespace, query)
        revision = self.cluster.store.revision
        meta: dict[str, Any] = {"resourceVersion": str(revision)}
        limit = int(query.get("limit") or 0)
        offset = 0
        if query.get("continue"):
            try:
                token = json.loads(base64.urlsafe_b64decode(query["continue"]))
                offset, revision = int(token["offset"]), int(token["rv"])
            except (ValueError, KeyError, TypeError):
                raise bad_request("invalid continue token") from None
            meta["resourceVersion"] = str(revision)
        if limit > 0:
            page = items[offset : offset + limit]
            remaining = len(items) - offset - len(page)
            if remaining > 0:
                token_data = {"offset": offset + limit, "rv": revision}
                meta["continue"] = base64.urlsafe_b64encode(
                    json.dumps(token_data).encode()
                ).decode()
                meta["remainingItemCount"] = remaining
            items = page
        return {
            "kind": f"{rtype.kind}List",
            "apiVersion": rtype.api_version,
            "metadata": meta,
            "items": items,
        }

    def _get(self, rtype: ResourceType, target: Route) -> Obj:
        assert target.name is not None
        obj = self.cluster.get(rtype, target.namespace, target.name)
        if target.subresource == "scale":
            return self._to_scale(rtype, obj)
        return obj

    # --- watching -------------------------------------------------------------------------

    async def _watch(
        self,
        raw: aiohttp.web.BaseRequest,
        rtype: ResourceType,
        target: Route,
        query: dict[str, str],
        entry: RecordedRequest,
    ) -> Any:
        labels = label_matcher(query.get("labelSelector"))
        fields = field_matcher(query.get("fieldSelector"))
        if target.name is not None:
            by_name = field_matcher(f"metadata.name={target.name}")
            fields = by_name if fields is None else _both(fields, by_name)

        def accepts(obj: Obj) -> bool:
            return (labels is None or labels(obj)) and (fields is None or fields(obj))

        initial_events = query.get("sendInitialEvents") == "true"
        since_text = query.get("resourceVersion") or ""
        since: int | None = None
        if since_text not in ("", "0") and not initial_events:
            if not since_text.isdigit():
                raise bad_request(f"invalid resourceVersion: {since_text!r}")
            since = int(since_text)
        timeout = float(query["timeoutSeconds"]) if query.get("timeoutSeconds") else None
        bookmarks = query.get("allowWatchBookmarks") == "true"

        response = aiohttp.web.StreamResponse(status=200, headers={"Content-Type": JSON})
        response.enable_chunked_encoding()
        store = self.cluster.store
        try:
            backlog, watcher = store.subscribe(rtype.key, target.namespace, accepts, since)
        except ApiError as error:
            await response.prepare(raw)
            entry.status = 200
            await response.write(Event(0, "ERROR", error.to_status()).line())
            await response.write_eof()
            return response
        self._streams[watcher] = raw
        try:
            await response.prepare(raw)
            entry.status = 200
            for event in backlog:
                await response.write(event.line())
            if initial_events:
                await response.write(self._bookmark(rtype, initial_end=True).line())
            await self._pump(response, watcher, rtype, timeout, bookmarks)
            await response.write_eof()
        except (ConnectionError, asyncio.CancelledError, RuntimeError):
            pass  # the client went away; nothing to answer
        finally:
            self._streams.pop(watcher, None)
            store.unsubscribe(rtype.key, watcher)
        return response

    async def _pump(
        self,
        response: aiohttp.web.StreamResponse,
        watcher: Watcher,
        rtype: ResourceType,
        seconds: float | None,
        bookmarks: bool,
    ) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds if seconds is not None else None
        while True:
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                if bookmarks and watcher.queue.empty():
                    await response.write(self._bookmark(rtype).line())
                return
            try:
                event = await asyncio.wait_for(watcher.queue.get(), remaining)
            except TimeoutError:
                continue
            if event is None:
                return
            await response.write(event.line())

    def _bookmark(self, rtype: ResourceType, *, initial_end: bool = False) -> Event:
        revision = self.cluster.store.revision
        meta: dict[str, Any] = {"resourceVersion": str(revision)}
        if initial_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        obj = {"kind": rtype.kind, "apiVersion": rtype.api_version, "metadata": meta}
        return Event(revision, "BOOKMARK", obj)

    def drop_watches(self, *, abrupt: bool = False) -> int:
        """End every open watch stream (abruptly: cut the connection without a last chunk)."""
        streams = list(self._streams.items())
        for watcher, raw in streams:
            if abrupt and raw.transport is not None:
                raw.transport.close()
            watcher.close()
        return len(streams)

    # --- writing --------------------------------------------------------------------------

    def _update(self, rtype: ResourceType, target: Route, body: Obj) -> Obj:
        assert target.name is not None
        if target.subresource == "scale":
            return self._write_scale(rtype, target, body)
        return self.cluster.update(
            rtype, target.namespace, target.name, body, subresource=target.subresource
        )

    def _patch(
        self,
        rtype: ResourceType,
        target: Route,
        content_type: str,
        body: bytes,
        query: dict[str, str],
    ) -> tuple[Obj, int]:
        assert target.name is not None
        if content_type in (patches.APPLY_PATCH, "application/apply-patch+json"):
            return self._apply(rtype, target, body, query)
        current = self.cluster.get(rtype, target.namespace, target.name)
        if target.subresource == "scale":
            current = self._to_scale(rtype, current)
        patched = self._patched(current, content_type, body)
        if target.subresource == "scale":
            return self._write_scale(rtype, target, patched), 200
        obj = self.cluster.update(
            rtype, target.namespace, target.name, patched, subresource=target.subresource
        )
        return obj, 200

    def _patched(self, current: Obj, content_type: str, body: bytes) -> Obj:
        try:
            patch = json.loads(body or b"null")
        except ValueError as exc:
            raise bad_request(f"the patch is not valid JSON: {exc}") from None
        if content_type == patches.JSON_PATCH:
            result = patches.json_patch(current, patch)
        elif content_type in (patches.MERGE_PATCH, patches.STRATEGIC_MERGE_PATCH):
            # Strategic merge patch is served as a merge patch (see patches.py).
            result = patches.merge_patch(current, patch)
        else:
            raise ApiError(415, f"the body of the request was in an unknown format: {content_type}")
        if not isinstance(result, dict):
            raise bad_request("the patched object must be an object")
        return result

    def _apply(
        self, rtype: ResourceType, target: Route, body: bytes, query: dict[str, str]
    ) -> tuple[Obj, int]:
        assert target.name is not None
        manager = query.get("fieldManager")
        if not manager:
            raise bad_request("PATCH with an apply patch requires a fieldManager")
        config = _applied_configuration(body)
        if not isinstance(config, dict):
            raise bad_request("the applied configuration must be an object")
        if target.subresource == "scale":
            raise ApiError(405, "apply to the scale subresource is not supported here")
        obj, created = self.cluster.apply(
            rtype, target.namespace, target.name, config, manager, subresource=target.subresource
        )
        return obj, 201 if created else 200

    def _delete(
        self, rtype: ResourceType, target: Route, body: bytes, query: dict[str, str]
    ) -> Obj:
        assert target.name is not None
        options: Obj = {}
        if body.strip():
            with contextlib.suppress(ValueError):
                options = json.loads(body) or {}
        propagation = options.get("propagationPolicy") or query.get("propagationPolicy")
        preconditions = options.get("preconditions") or {}
        return self.cluster.delete(
            rtype,
            target.namespace,
            target.name,
            propagation=propagation or "Background",
            precondition_uid=preconditions.get("uid"),
            precondition_rv=preconditions.get("resourceVersion"),
        )

    def _delete_collection(self, rtype: ResourceType, target: Route, query: dict[str, str]) -> Obj:
        for obj in self._selected(rtype, target.namespace, query):
            meta = obj["metadata"]
            with contextlib.suppress(ApiError):
                self.cluster.delete(rtype, meta.get("namespace"), meta["name"])
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}

    # --- scale ----------------------------------------------------------------------------

    def _to_scale(self, rtype: ResourceType, obj: Obj) -> Obj:
        paths = rtype.scale
        assert paths is not None
        if paths.label_selector is not None:
            selector = _dig(obj, paths.label_selector) or ""
        elif rtype.key == ("apps", "deployments"):
            selector = selector_from_match_labels(_dig(obj, ".spec.selector"))
        else:
            selector = ""
        meta = obj["metadata"]
        return {
            "kind": "Scale",
            "apiVersion": "autoscaling/v1",
            "metadata": {
                k: meta[k]
                for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                if k in meta
            },
            "spec": {"replicas": _dig(obj, paths.spec_replicas) or 0},
            "status": {"replicas": _dig(obj, paths.status_replicas) or 0, "selector": selector},
        }

    def _write_scale(self, rtype: ResourceType, target: Route, scale: Obj) -> Obj:
        assert target.name is not None
        assert rtype.scale is not None
        current = self.cluster.get(rtype, target.namespace, target.name)
        replicas = (scale.get("spec") or {}).get("replicas")
        if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 0:
            raise ApiError(
                422,
                f'Scale.autoscaling "{target.name}" is invalid: spec.replicas: '
                f"Invalid value: {json.dumps(replicas)}: must be greater than or "
                "equal to 0",
                reason="Invalid",
            )
        body = copy.deepcopy(current)
        _plant(body, rtype.scale.spec_replicas, replicas)
        expected = (scale.get("metadata") or {}).get("resourceVersion")
        body["metadata"]["resourceVersion"] = expected or current["metadata"]["resourceVersion"]
        updated = self.cluster.update(rtype, target.namespace, target.name, body)
        return self._to_scale(rtype, updated)


def _both(
    first: Callable[[Obj], bool], second: Callable[[Obj], bool] | None
) -> Callable[[Obj], bool]:
    return lambda obj: first(obj) and (second is None or second(obj))


def _applied_configuration(body: bytes) -> Any:
    """An apply body: JSON first (what clients send; JSON is YAML too), else YAML.

    The pure-Python YAML parser took two thirds of the emulator's CPU when a benchmark applied
    thousands of objects; JSON parses the same documents in C.
    """
    with contextlib.suppress(ValueError):
        return json.loads(body or b"{}")
    try:
        return yaml.load(body, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    except yaml.YAMLError as exc:
        raise bad_request(f"the applied configuration is not valid YAML: {exc}") from None
