"""The runtime (and the mock model) as child processes, started through their public CLI.

An evaluation drives the runtime as a user would: `agent-runtime serve --config FILE` and
`agent-runtime mock-llm`, each on a free port of 127.0.0.1, ready once a URL answers 200. A
process that exits or never gets ready raises `ProcessStartError` with the end of its stderr.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from typing import IO

import httpx

#: How long a child process may take to answer its readiness URL.
START_TIMEOUT_SECONDS = 60.0
#: How long a child process gets to exit after SIGTERM before it is killed.
STOP_TIMEOUT_SECONDS = 15.0
#: Pause between two readiness probes.
_PROBE_INTERVAL_SECONDS = 0.1
#: The end of a failed process's stderr quoted in the error.
_STDERR_TAIL_CHARS = 2000


class ProcessStartError(RuntimeError):
    """A child process did not get ready; the message holds the end of its stderr."""


def runtime_command(*args: str) -> list[str]:
    """`agent-runtime ARGS`, run by this interpreter (so it is the runtime installed with it)."""
    return [sys.executable, "-m", "agent_runtime", *args]


@contextlib.contextmanager
def started(
    name: str,
    command: Sequence[str],
    ready_url: str,
    timeout: float = START_TIMEOUT_SECONDS,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command` until the block ends, once `ready_url` answers 200."""
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            list(command), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr
        )
        try:
            _wait_ready(name, process, ready_url, timeout, stderr)
            yield process
        finally:
            _stop(process)


def _wait_ready(
    name: str,
    process: subprocess.Popen[bytes],
    url: str,
    timeout: float,
    stderr: IO[bytes],
) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=1.0) as client:
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if client.get(url).status_code == 200:
                    return
            exited = process.poll() is not None
            if exited or time.monotonic() > deadline:
                _stop(process)
                stderr.seek(0)
                tail = stderr.read().decode(errors="replace")[-_STDERR_TAIL_CHARS:].strip()
                what = "exited" if exited else f"was not ready within {timeout:g} s"
                raise ProcessStartError(f"{name} {what}" + (f":\n{tail}" if tail else ""))
            time.sleep(_PROBE_INTERVAL_SECONDS)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
