"""Serving an ASGI app on a free local port in a background thread, for tests and tools.

The fake model (`mockllm`), the tests' tool servers and the benchmarks all need an app
served over real HTTP for the length of a `with` block; these are the two helpers they share.
Every wait is bounded, so a server that cannot start fails the caller instead of hanging it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any, Final

import uvicorn

__all__ = ["SERVER_WAIT_SECONDS", "free_port", "running_app"]

#: Longest wait for a background server to start or stop; a test never hangs past it.
SERVER_WAIT_SECONDS: Final = 10.0


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on `host` right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_app(
    app: Any, *, host: str = "127.0.0.1", port: int | None = None, **options: Any
) -> Iterator[str]:
    """Serve any ASGI app in a background thread; yield its base URL; stop it on exit.

    `options` are uvicorn's (`lifespan="on"`, `log_config=None`, ...); a server that does not
    stop within `SERVER_WAIT_SECONDS` is an error, never a thread left behind unnoticed.
    """
    port = port or free_port(host)
    settings: dict[str, Any] = {
        "log_level": "warning",
        "timeout_graceful_shutdown": 1,
        "lifespan": "auto",
        **options,
    }
    config = uvicorn.Config(app, host=host, port=port, **settings)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"asgi-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_WAIT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"server on {host}:{port} did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(SERVER_WAIT_SECONDS)
        if thread.is_alive():
            raise RuntimeError(f"server on {host}:{port} did not stop in time")
