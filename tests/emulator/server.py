"""Running the emulator on 127.0.0.1: in a background thread (tests) or in the foreground (CLI).

:class:`EmulatorServer` owns a thread with its own event loop, so sync tests, the sync
`kubernetes` client, Kopf's `KopfRunner` (another thread) and async tests can all talk to it
over HTTP. It is also the facade tests use: request counting, faults, dropping watches, the
Deployment controller, kubeconfig writing and direct reads of the stored objects.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import aiohttp.web
import yaml

from .cluster import Cluster
from .deployments import DeploymentController
from .emulator import Emulator
from .faults import Faults
from .recorder import RecordedRequest
from .store import Obj

T = TypeVar("T")
START_TIMEOUT = 10.0  # seconds for the server thread to start listening
STOP_TIMEOUT = 10.0  # seconds for the server thread to finish
#: The bearer token of the kubeconfig and client the emulator hands out; any token is accepted.
DEFAULT_TOKEN = "emulator-token"


def kubeconfig_document(
    url: str, namespace: str = "default", token: str = DEFAULT_TOKEN
) -> dict[str, Any]:
    """A kubeconfig with one context pointing at the emulator (a dummy token as the user)."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "emulator", "cluster": {"server": url}}],
        "users": [{"name": "emulator", "user": {"token": token}}],
        "contexts": [
            {
                "name": "emulator",
                "context": {"cluster": "emulator", "user": "emulator", "namespace": namespace},
            }
        ],
        "current-context": "emulator",
    }


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(512)
    sock.setblocking(False)
    return sock


async def serve(emulator: Emulator, sock: socket.socket, stop: asyncio.Event) -> None:
    """Serve until `stop` is set, then end open watches and shut down promptly."""
    emulator.deployments.loop = asyncio.get_running_loop()
    async with emulator:
        runner = aiohttp.web.ServerRunner(
            aiohttp.web.Server(emulator, handler_cancellation=True),
            handle_signals=False,
            shutdown_timeout=1.0,
        )
        await runner.setup()
        site = aiohttp.web.SockSite(runner, sock)
        await site.start()
        try:
            await stop.wait()
        finally:
            emulator.cluster.store.close_all_watchers()
            await runner.cleanup()


class EmulatorServer:
    """The emulator on a free port of 127.0.0.1, in a background thread."""

    def __init__(self, emulator: Emulator | None = None, *, port: int = 0) -> None:
        self.emulator = emulator if emulator is not None else Emulator()
        self._sock = bind_socket(port=port)
        self.port: int = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._run, name="k8s-emulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(START_TIMEOUT):
            raise TimeoutError("the Kubernetes emulator did not start in time")
        if self._failure is not None:
            raise RuntimeError("the Kubernetes emulator failed to start") from self._failure
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._main())
        except BaseException as exc:  # reported to start() or kept for stop()
            self._failure = exc
            self._ready.set()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        started = asyncio.get_running_loop().create_task(
            serve(self.emulator, self._sock, self._stop)
        )
        await asyncio.sleep(0)
        self._ready.set()
        await started

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a function on the emulator's loop (state is only ever touched there)."""
        assert self._loop is not None, "the emulator is not running"

        async def run() -> T:
            return fn(*args)

        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(run(), self._loop)
        return future.result(STOP_TIMEOUT)

    # --- kubeconfig and clients -----------------------------------------------------------

    def write_kubeconfig(
        self, path: str | Path, namespace: str = "default", token: str = DEFAULT_TOKEN
    ) -> Path:
        """A kubeconfig for the emulator; a distinct `token` is recorded as a distinct user."""
        path = Path(path)
        path.write_text(yaml.safe_dump(kubeconfig_document(self.url, namespace, token)))
        return path

    def api_client(self) -> Any:
        """A configured `kubernetes.client.ApiClient` (close it when done)."""
        import kubernetes.client

        configuration = kubernetes.client.Configuration()
        configuration.host = self.url
        configuration.api_key = {"authorization": DEFAULT_TOKEN}
        configuration.api_key_prefix = {"authorization": "Bearer"}
        return kubernetes.client.ApiClient(configuration)

    # --- state ----------------------------------------------------------------------------

    @property
    def cluster(self) -> Cluster:
        return self.emulator.cluster

    def install(self, manifest: Obj) -> Obj:
        return self.call(self.emulator.install, manifest)

    def install_file(self, path: str | Path) -> list[Obj]:
        return self.call(self.emulator.install_file, path)

    def get_object(
        self, plural: str, name: str, namespace: str | None = None, group: str = ""
    ) -> Obj | None:
        """The stored object (a copy), or None: `get_object("deployments", "x", "ns", "apps")`."""

        def find() -> Obj | None:
            rtype = self.cluster.registry.by_key((group, plural))
            if rtype is None:
                return None
            obj = self.cluster.find(rtype, namespace, name)
            return None if obj is None else dict(obj)

        return self.call(find)

    def list_objects(self, plural: str, namespace: str | None = None, group: str = "") -> list[Obj]:
        return self.call(lambda: list(self.cluster.store.items((group, plural), namespace)))

    # --- recorder, faults, watches, controllers -------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.emulator.recorder.requests

    def count(self, **criteria: Any) -> int:
        """Requests so far matching all criteria: `count(verb="patch", resource="agents")`."""
        return self.emulator.recorder.count(**criteria)

    def filter(self, **criteria: Any) -> list[RecordedRequest]:
        return self.emulator.recorder.filter(**criteria)

    def reads(self) -> list[RecordedRequest]:
        return self.emulator.recorder.reads()

    def writes(self) -> list[RecordedRequest]:
        return self.emulator.recorder.writes()

    def reset_counts(self) -> None:
        self.emulator.recorder.reset()

    def verbs_used(self) -> set[tuple[str, str, str]]:
        return self.emulator.recorder.verbs_used()

    @property
    def faults(self) -> Faults:
        return self.emulator.faults

    def drop_watches(self, *, abrupt: bool = False) -> int:
        """End every open watch stream now; returns how many were open."""
        return self.call(lambda: self.emulator.api.drop_watches(abrupt=abrupt))

    @property
    def deployments(self) -> DeploymentController:
        return self.emulator.deployments
