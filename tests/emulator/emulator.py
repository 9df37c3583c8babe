"""The emulator itself: kmock's KubernetesEmulator made faithful where Kopf depends on it.

kmock 0.8 provides the aiohttp handler plumbing, request parsing and its reaction DSL
(`emulator['get /path'] << 500`), which still takes precedence here for ad-hoc test reactions.
Everything kmock's own emulation gets wrong for an operator (metadata, concurrency,
patches, apply, watches, selectors, subresources, validation, garbage collection) is
replaced: requests that no user reaction claims are served by
:class:`~tests.emulator.api.Api` over :class:`~tests.emulator.cluster.Cluster`. kmock's
request log is kept short so every request costs the same however many came before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import kmock
import yaml

from .api import Api
from .cluster import Cluster
from .deployments import DeploymentController
from .faults import Faults
from .recorder import Recorder
from .store import Obj

KMOCK_LOG_LIMIT = 200  # kmock's own log (for its DSL assertions); ours is the Recorder


@attrs.define(kw_only=True)
class Emulator(kmock.KubernetesEmulator):
    """A Kubernetes API server in memory, served over HTTP by :mod:`tests.emulator.server`."""

    cluster: Cluster = attrs.field(factory=Cluster)
    recorder: Recorder = attrs.field(factory=Recorder)
    faults: Faults = attrs.field(factory=Faults)
    api: Api = attrs.field(init=False)
    deployments: DeploymentController = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        super().__attrs_post_init__()
        self._payloads.clear()  # drop kmock's fallback emulation; Api serves instead
        self.api = Api(self.cluster, self.recorder, self.faults)
        self.deployments = DeploymentController(self.cluster)

    async def __call__(self, raw_request: Any) -> Any:
        body = await raw_request.read()
        if self._payloads and await self._kmock_can_parse(raw_request):
            return await super().__call__(raw_request)  # kmock logs and matches user reactions
        return await self.api.serve(raw_request, body)

    @staticmethod
    async def _kmock_can_parse(raw_request: Any) -> bool:
        """kmock's URL parser fails on some valid paths (e.g. /api/v1/namespaces)."""
        try:
            await kmock.Request._parse(raw_request)
        except ValueError:
            return False
        return True

    async def _handle(self, request: Any) -> Any:
        if len(self._requests) > KMOCK_LOG_LIMIT:
            del self._requests[: -KMOCK_LOG_LIMIT // 2]
        try:
            return await kmock.RawHandler._handle(self, request)
        except NotImplementedError:  # no user reaction claimed it
            raw = request._raw_request
            return await self.api.serve(raw, request.body)

    # --- conveniences for tests (call on the emulator's loop, or via EmulatorServer.call) ---

    def install(self, manifest: Obj) -> Obj:
        """Create (or replace) an object from a manifest, as `kubectl apply` would."""
        rtype = self.cluster.registry.by_kind(manifest["apiVersion"], manifest["kind"])
        if rtype is None:
            raise LookupError(f"unknown kind {manifest['apiVersion']}/{manifest['kind']}")
        meta = manifest.get("metadata") or {}
        obj, _ = self.cluster.apply(
            rtype, meta.get("namespace"), meta["name"], manifest, "emulator-install"
        )
        return obj

    def install_file(self, path: str | Path) -> list[Obj]:
        """Install every document of a YAML file (e.g. a CRD)."""
        text = Path(path).read_text()
        return [self.install(doc) for doc in yaml.safe_load_all(text) if doc]
