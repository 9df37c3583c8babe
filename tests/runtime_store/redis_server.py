"""A real `redis-server` for the tests: on 127.0.0.1, a free port, a temporary directory.

Debian's `redis-server` package provides it (`make test` installs it where it can). Nothing is
persisted: no RDB snapshots, no append-only file. `kill` is a SIGKILL, as when a node dies;
`start` again brings it back on the same port, empty.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

#: Longest wait for the server to answer after a start: a test never hangs past it.
START_WAIT_SECONDS = 10.0
#: Why the Redis tests are skipped where the server is missing.
MISSING_REASON = (
    "redis-server is not installed (Debian package `redis-server`; `make test` installs it"
    " when it runs as root or with passwordless sudo)"
)


def redis_server_path() -> str | None:
    """The `redis-server` executable, or None where it is not installed."""
    return shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )


def free_port() -> int:
    """A TCP port of 127.0.0.1 free at the time of the call."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """One `redis-server` process the tests start, kill and start again."""

    def __init__(self, executable: str, directory: Path, password: str | None = None) -> None:
        self.executable = executable
        self.directory = directory
        self.password = password
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The URL clients connect with (carrying the password, if any)."""
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server and wait until it answers PING."""
        args = [self.executable, "--bind", "127.0.0.1", "--port", str(self.port)]
        args += ["--dir", str(self.directory), "--save", "", "--appendonly", "no"]
        args += ["--logfile", str(self.directory / "redis.log")]
        if self.password:
            args += ["--requirepass", self.password]
        self._process = subprocess.Popen(args)
        deadline = time.monotonic() + START_WAIT_SECONDS
        while not self._answers():
            if self._process.poll() is not None or time.monotonic() > deadline:
                log = (self.directory / "redis.log").read_text(errors="replace")
                self.kill()
                raise RuntimeError(f"redis-server did not start on port {self.port}:\n{log}")
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL the server and reap it."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=START_WAIT_SECONDS)
            self._process = None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                reply = sock.recv(64)
        except OSError:
            return False
        return reply.startswith((b"+PONG", b"-NOAUTH"))
