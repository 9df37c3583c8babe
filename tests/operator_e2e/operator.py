"""The real `agent-operator run` as a subprocess, pointed at the emulator through a kubeconfig.

A subprocess, not an in-thread runner: it is what users run, its registry is its own, and it
can be killed (SIGKILL) and started again like a pod. Its log is kept in a file for tests to
read. Every wait here is bounded.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

#: Seconds for anything the operator should do promptly (create, update, restore).
WAIT = 30.0
#: The resync interval the tests run the operator with: short, so drift is seen quickly.
RESYNC_SECONDS = 1.0


def wait_for(check: Callable[[], T | None], timeout: float = WAIT, what: str = "condition") -> T:
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_operator(
    kubeconfig: Path, log_path: Path, env: dict[str, str] | None = None
) -> Iterator[OperatorProcess]:
    """`agent-operator run` for one test; stopped (and its log shown) at the end."""
    process = OperatorProcess(kubeconfig, log_path, env=env).start()
    try:
        yield process
    finally:
        process.stop()
        print(process.log[-20000:])  # shown by pytest only when the test failed


class OperatorProcess:
    """`agent-operator run -A` against a kubeconfig, with its log in `log_path`."""

    def __init__(
        self,
        kubeconfig: Path,
        log_path: Path,
        env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
        verbose: bool = True,
    ) -> None:
        self.kubeconfig = kubeconfig
        self.verbose = verbose
        self.log_path = log_path
        self.extra_env = env or {}
        self.extra_args = args
        self.process: subprocess.Popen[bytes] | None = None
        self.liveness_port = 0

    def start(self) -> OperatorProcess:
        self.liveness_port = free_port()
        env = {
            **os.environ,
            "KUBECONFIG": str(self.kubeconfig),
            "AGENT_OPERATOR_RESYNC_INTERVAL_SECONDS": str(RESYNC_SECONDS),
            "AGENT_OPERATOR_SECRET_RETRY_MAX_DELAY_SECONDS": "1",
            "AGENT_OPERATOR_RUNTIME_IMAGE": "registry.test/agent-runtime:test",
            **self.extra_env,
        }
        command = [
            str(Path(sys.executable).with_name("agent-operator")),
            "run",
            "--all-namespaces",
            *(["--verbose"] if self.verbose else []),
            "--liveness",
            f"http://127.0.0.1:{self.liveness_port}/healthz",
            *self.extra_args,
        ]
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_for(self._alive, what="the operator's liveness endpoint")
        return self

    def _alive(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"the operator exited with {self.process.returncode}:\n{self.log}")
        try:
            url = f"http://127.0.0.1:{self.liveness_port}/healthz"
            with urllib.request.urlopen(url, timeout=1) as answer:
                return bool(answer.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> int:
        """SIGTERM, as Kubernetes does; a bounded wait, then SIGKILL."""
        return self._end(signal.SIGTERM)

    def kill(self) -> int:
        """SIGKILL: no cleanup at all, as when a node dies."""
        return self._end(signal.SIGKILL)

    def _end(self, sig: signal.Signals) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout=5)

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
