"""Every Kubernetes API call the operator makes, in one place.

The official `kubernetes` client is synchronous, so each call runs on a small thread pool of
its own and the handlers await it: Kopf's event loop never blocks on the network. Children
are written with server-side apply under one field manager; whether one needs writing is the
pure `drift` module's call, not this one's. Secrets are read to learn which keys exist
(`secret_keys`); one value is read only for a Mistral-hosted agent's API key (`secret_value`),
which hands it straight to the SDK client and never to a log, an Event or a status.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import json
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from kubernetes import client as k8s_client
from kubernetes import config as k8s_config

from agent_operator.builders import ChildKey
from agent_operator.spec import API_VERSION, KIND, PLURAL

T = TypeVar("T")

#: Bytes read from a watch stream at a time: events are small, and each is handled as it comes.
WATCH_CHUNK_BYTES = 65536

#: Where each kind of child lives in the API ((apiVersion, kind) -> plural); each is watched.
CHILD_PLURALS: Mapping[tuple[str, str], str] = {
    ("v1", "ConfigMap"): "configmaps",
    ("v1", "Service"): "services",
    ("v1", "ServiceAccount"): "serviceaccounts",
    ("apps/v1", "Deployment"): "deployments",
    ("networking.k8s.io/v1", "NetworkPolicy"): "networkpolicies",
    ("policy/v1", "PodDisruptionBudget"): "poddisruptionbudgets",
    ("autoscaling/v2", "HorizontalPodAutoscaler"): "horizontalpodautoscalers",
}
#: Every kind the operator touches: the children, the Secrets it checks, the Agents.
PLURALS: Mapping[tuple[str, str], str] = {
    **CHILD_PLURALS,
    ("v1", "Secret"): "secrets",
    (API_VERSION, KIND): PLURAL,
}


def collection_path(api_version: str, kind: str, namespace: str | None) -> str:
    """The URL path of a kind's collection, in one namespace or cluster-wide."""
    base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    ns = f"/namespaces/{namespace}" if namespace else ""
    return f"{base}{ns}/{PLURALS[(api_version, kind)]}"


class KubeError(Exception):
    """An API call failed; says what was tried and what the server answered."""

    def __init__(
        self, action: str, status: int, reason: str, message: str, retry_after: float | None = None
    ) -> None:
        super().__init__(action, status, reason, message)
        self.action = action
        self.status = status
        self.reason = reason
        self.message = message
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        """Whether trying again later may succeed (throttling, conflicts, server trouble)."""
        return self.status in (0, 408, 409, 429) or self.status >= 500

    def __str__(self) -> str:
        return f"{self.action} failed: {self.status} {self.reason}: {self.message}"


@dataclass(frozen=True)
class ObjectRef:
    """The address of one object: enough to build its URL."""

    api_version: str
    kind: str
    namespace: str | None
    name: str

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> ObjectRef:
        meta = obj["metadata"]
        return cls(obj["apiVersion"], obj["kind"], meta.get("namespace"), meta["name"])

    @classmethod
    def of_key(cls, key: ChildKey) -> ObjectRef:
        return cls(key.api_version, key.kind, key.namespace, key.name)

    def path(self, subresource: str | None = None) -> str:
        tail = f"/{subresource}" if subresource else ""
        collection = collection_path(self.api_version, self.kind, self.namespace)
        return f"{collection}/{urllib.parse.quote(self.name)}{tail}"

    def __str__(self) -> str:
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{self.kind} {where}"


class Kube:
    """The operator's API client: typed-free, JSON in and out, off the event loop."""

    def __init__(self, api: k8s_client.ApiClient, *, field_manager: str, workers: int = 16) -> None:
        self._api = api
        self._field_manager = field_manager
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kube")

    @classmethod
    def from_environment(cls, *, field_manager: str, workers: int = 16) -> Kube:
        """In a pod: its service account; elsewhere: the kubeconfig (KUBECONFIG or ~/.kube)."""
        configuration = k8s_client.Configuration()
        try:
            k8s_config.load_incluster_config(client_configuration=configuration)
        except k8s_config.ConfigException:
            k8s_config.load_kube_config(client_configuration=configuration)
        configuration.connection_pool_maxsize = workers
        api = k8s_client.ApiClient(configuration)
        api.user_agent = "agent-operator"
        return cls(api, field_manager=field_manager, workers=workers)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        with contextlib.suppress(Exception):
            self._api.close()

    async def _run(self, fn: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, fn)

    def _request(
        self,
        action: str,
        method: str,
        path: str,
        *,
        query: list[tuple[str, str]] | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> dict[str, Any] | None:
        """One synchronous request; None for a 404 on reads and deletes; KubeError otherwise."""
        headers = {"Accept": "application/json", "Content-Type": content_type}
        serialized = self._api.param_serialize(
            method=method,
            resource_path=path,
            query_params=query or [],
            header_params=headers,
            body=None,
            auth_settings=["BearerToken"],
        )
        method_, url, header_params, _, _ = serialized
        try:
            # The REST layer serialises dicts as JSON for JSON and YAML content types alike.
            response = self._api.call_api(method_, url, header_params=header_params, body=body)
            raw = response.read()
        except Exception as exc:  # connection refused, reset, timeouts: all worth a retry
            raise KubeError(action, 0, type(exc).__name__, str(exc)) from None
        if response.status == 404 and method in ("GET", "DELETE"):
            return None
        if not 200 <= response.status < 300:
            raise _error_from(action, response.status, raw, response.getheader("Retry-After"))
        return json.loads(raw) if raw else {}

    async def get(self, ref: ObjectRef) -> dict[str, Any] | None:
        """The live object, or None when it does not exist."""
        return await self._run(
            functools.partial(self._request, f"Getting {ref}", "GET", ref.path())
        )

    async def apply(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """Server-side apply under the operator's field manager (conflicts forced: we own these)."""
        ref = ObjectRef.of(obj)
        query = [("fieldManager", self._field_manager), ("force", "true")]
        result = await self._run(
            functools.partial(
                self._request,
                f"Applying {ref}",
                "PATCH",
                ref.path(),
                query=query,
                body=obj,
                content_type="application/apply-patch+yaml",
            )
        )
        assert result is not None
        return result

    async def delete(self, ref: ObjectRef) -> bool:
        """Delete in the background; False when it was already gone."""
        body = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}
        result = await self._run(
            functools.partial(self._request, f"Deleting {ref}", "DELETE", ref.path(), body=body)
        )
        return result is not None

    async def patch_status(self, ref: ObjectRef, status: Mapping[str, Any]) -> dict[str, Any]:
        """A merge patch of `.status` through the status subresource."""
        result = await self._run(
            functools.partial(
                self._request,
                f"Patching status of {ref}",
                "PATCH",
                ref.path("status"),
                body={"status": status},
                content_type="application/merge-patch+json",
            )
        )
        assert result is not None
        return result

    async def list_collection(self, path: str, selector: str) -> tuple[list[dict[str, Any]], str]:
        """Every object of a collection matching `selector`, and the list's resourceVersion."""
        result = await self._run(
            functools.partial(
                self._request, f"Listing {path}", "GET", path, query=[("labelSelector", selector)]
            )
        )
        result = result or {}
        version = str((result.get("metadata") or {}).get("resourceVersion") or "")
        items = list(result.get("items") or [])
        return items, version

    def watch_lines(
        self, path: str, selector: str, version: str, timeout_seconds: int
    ) -> Iterator[bytes]:
        """A watch stream's events as raw JSON lines, read synchronously (run it in a thread).

        Raises KubeError when the server refuses the watch; ends when the server closes it.
        """
        query = [
            ("watch", "true"),
            ("labelSelector", selector),
            ("resourceVersion", version),
            ("allowWatchBookmarks", "true"),
            ("timeoutSeconds", str(timeout_seconds)),
        ]
        method, url, headers, _, _ = self._api.param_serialize(
            method="GET",
            resource_path=path,
            query_params=query,
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
        )
        try:
            response = self._api.call_api(
                method, url, header_params=headers, _request_timeout=(10, timeout_seconds + 30)
            )
        except Exception as exc:
            raise KubeError(f"Watching {path}", 0, type(exc).__name__, str(exc)) from None
        if response.status != 200:
            raise _error_from(f"Watching {path}", response.status, response.read(), None)
        stream = response.response
        try:
            pending = b""
            for chunk in stream.stream(WATCH_CHUNK_BYTES, decode_content=True):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                yield from (line for line in lines if line.strip())
        except Exception as exc:  # a cut stream ends the watch; the caller lists again
            raise KubeError(f"Watching {path}", 0, type(exc).__name__, str(exc)) from None
        finally:
            stream.release_conn()

    async def secret_keys(self, namespace: str, name: str) -> frozenset[str] | None:
        """The key names of a Secret, or None when it does not exist. Values stay here."""
        ref = ObjectRef("v1", "Secret", namespace, name)

        def keys() -> frozenset[str] | None:
            secret = self._request(f"Getting {ref}", "GET", ref.path())
            if secret is None:
                return None
            return frozenset(secret.get("data") or {}) | frozenset(secret.get("stringData") or {})

        return await self._run(keys)

    async def secret_value(self, namespace: str, name: str, key: str) -> str | None:
        """One decoded value of a Secret; None when the Secret or the key does not exist."""
        ref = ObjectRef("v1", "Secret", namespace, name)

        def value() -> str | None:
            secret = self._request(f"Getting {ref}", "GET", ref.path()) or {}
            if key in (secret.get("stringData") or {}):
                return str(secret["stringData"][key])
            encoded = (secret.get("data") or {}).get(key)
            if encoded is None:
                return None
            return base64.b64decode(encoded).decode("utf-8").strip()

        return await self._run(value)


def _error_from(action: str, status: int, raw: bytes, retry_after: str | None) -> KubeError:
    reason, message = "", raw.decode("utf-8", "replace")[:500]
    with contextlib.suppress(ValueError, AttributeError):
        body = json.loads(raw)
        reason = str(body.get("reason", ""))
        message = str(body.get("message", message))
    delay: float | None = None
    if retry_after:
        with contextlib.suppress(ValueError):
            delay = float(retry_after)
    return KubeError(action, status, reason or "Error", message, retry_after=delay)
