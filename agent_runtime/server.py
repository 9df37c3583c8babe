"""Running the service under uvicorn, with a graceful shutdown.

On SIGTERM (what the kubelet sends when a pod stops) uvicorn stops accepting connections,
lets in-flight requests, streams included, finish for up to `graceful_timeout` seconds, then
runs the app's lifespan shutdown and exits 0. With several workers, each worker process
builds its own app from the config file named in `CONFIG_ENV`.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, Final

import uvicorn
from opentelemetry import metrics as otel_metrics
from opentelemetry import trace
from uvicorn.supervisors import Multiprocess

from agent_runtime.config import CONFIG_FILE_NAME, CONFIG_MOUNT_DIR, RUNTIME_PORT, load_config
from agent_runtime.logs import configure_logging, logger
from agent_runtime.telemetry import Metrics, configure_metrics, configure_tracing

if TYPE_CHECKING:
    from fastapi import FastAPI

#: The environment variable naming the config file; also how workers find it.
CONFIG_ENV: Final = "AGENT_RUNTIME_CONFIG"
#: The log level handed to worker processes.
LOG_LEVEL_ENV: Final = "AGENT_RUNTIME_LOG_LEVEL"
#: Where the operator mounts the rendered config.
DEFAULT_CONFIG_PATH: Final = f"{CONFIG_MOUNT_DIR}/{CONFIG_FILE_NAME}"
#: Below the kubelet's default 30 s termination grace period, so the process exits on its own.
DEFAULT_GRACEFUL_TIMEOUT: Final = 25.0


@dataclass(frozen=True)
class ServeOptions:
    """How `serve` listens and stops."""

    config_path: str = DEFAULT_CONFIG_PATH
    host: str = "0.0.0.0"
    port: int = RUNTIME_PORT
    workers: int = 1
    graceful_timeout: float = DEFAULT_GRACEFUL_TIMEOUT
    log_level: str = "INFO"


def config_path_from_environment(default: str = DEFAULT_CONFIG_PATH) -> str:
    """The config path: `AGENT_RUNTIME_CONFIG` if set, else `default`."""
    return os.environ.get(CONFIG_ENV) or default


def build_app(config_path: str | os.PathLike[str], log_level: str = "INFO") -> FastAPI:
    """Load the config, set up logs and tracing for this process, and build the app.

    The app is imported here, so that the CLI's other commands load no web framework.
    """
    from agent_runtime.app import create_app

    configure_logging(log_level)
    config = load_config(config_path)
    provider = configure_tracing(config)
    if provider is not None:
        trace.set_tracer_provider(provider)
    meters = configure_metrics(config)
    if meters is not None:
        otel_metrics.set_meter_provider(meters)
    return create_app(config, metrics=Metrics(meter_provider=meters), tracer_provider=provider)


def app_from_environment() -> FastAPI:
    """The uvicorn factory each worker process calls (`--workers` > 1)."""
    return build_app(config_path_from_environment(), os.environ.get(LOG_LEVEL_ENV, "INFO"))


@contextlib.contextmanager
def signals_end_cleanly() -> Iterator[None]:
    """Let a SIGTERM or SIGINT that uvicorn already handled end the process with 0.

    uvicorn shuts down gracefully on these signals, then raises them again with the handlers
    found at start; with the default ones the process would die of the signal (exit -15)
    after a clean shutdown. The handlers installed here note the signal and return instead.
    """
    received: list[int] = []

    def note(signum: int, frame: FrameType | None) -> None:
        received.append(signum)

    previous = {sig: signal.signal(sig, note) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if received:
        logger.info(
            "Stopped on signal", extra={"fields": {"signal": signal.Signals(received[0]).name}}
        )


def uvicorn_config(app: FastAPI | str, options: ServeOptions) -> uvicorn.Config:
    """uvicorn's settings: our JSON logs instead of its access log, the grace period."""
    return uvicorn.Config(
        app,
        factory=isinstance(app, str),
        host=options.host,
        port=options.port,
        workers=options.workers,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=math.ceil(options.graceful_timeout),
        lifespan="on",
        server_header=False,
    )


def serve(options: ServeOptions) -> int:
    """Serve until SIGTERM or SIGINT; the exit code is 0 after a clean shutdown."""
    if options.workers > 1:
        configure_logging(options.log_level)
        os.environ[CONFIG_ENV] = str(options.config_path)
        os.environ[LOG_LEVEL_ENV] = options.log_level
        config = uvicorn_config("agent_runtime.server:app_from_environment", options)
        Multiprocess(config, sockets=[config.bind_socket()]).run()
        return 0
    app = build_app(options.config_path, options.log_level)
    server = uvicorn.Server(uvicorn_config(app, options))
    with signals_end_cleanly():
        server.run()
    # Flush the spans and metrics still buffered (the SDK providers have `shutdown`).
    for provider in (trace.get_tracer_provider(), otel_metrics.get_meter_provider()):
        shutdown = getattr(provider, "shutdown", None)
        if callable(shutdown):
            shutdown()
    if not server.started:
        logger.error("Failed to start the server", extra={"fields": {"port": options.port}})
        return 3
    return 0
