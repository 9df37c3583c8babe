"""Helpers to read watch streams in tests, always with a bounded wait."""

from __future__ import annotations

import json
import threading
from typing import Any

import httpx

READ_TIMEOUT = 10.0  # seconds: no single watch read in a test may wait longer


def read_events(http: httpx.Client, path: str, count: int, **params: str) -> list[dict[str, Any]]:
    """Open a watch, read `count` events (or until the stream ends), close it."""
    events: list[dict[str, Any]] = []
    with http.stream(
        "GET", path, params={"watch": "true", **params}, timeout=READ_TIMEOUT
    ) as response:
        for line in response.iter_lines():
            if line.strip():
                events.append(json.loads(line))
            if len(events) >= count:
                break
    return events


class BackgroundWatch:
    """A watch read on a thread, so a test can act while it streams."""

    def __init__(self, url: str, path: str, stop_after: int | None = None, **params: str) -> None:
        self.stop_after = stop_after
        self.events: list[dict[str, Any]] = []
        self.opened = threading.Event()
        self.ended = threading.Event()
        self._client = httpx.Client(base_url=url, timeout=READ_TIMEOUT)
        self._path, self._params = path, {"watch": "true", **params}
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> BackgroundWatch:
        self._thread.start()
        assert self.opened.wait(READ_TIMEOUT)
        return self

    def __exit__(self, *_: object) -> None:
        self._client.close()
        self._thread.join(READ_TIMEOUT)

    def _run(self) -> None:
        try:
            with self._client.stream("GET", self._path, params=self._params) as response:
                self.opened.set()
                for line in response.iter_lines():
                    if line.strip():
                        self.events.append(json.loads(line))
                    if self.stop_after is not None and len(self.events) >= self.stop_after:
                        break
        except (httpx.HTTPError, RuntimeError):
            pass
        finally:
            self.opened.set()
            self.ended.set()

    def wait_for(self, count: int) -> list[dict[str, Any]]:
        deadline = threading.Event()
        for _ in range(int(READ_TIMEOUT / 0.02)):
            if len(self.events) >= count or self.ended.is_set():
                break
            deadline.wait(0.02)
        return list(self.events)
