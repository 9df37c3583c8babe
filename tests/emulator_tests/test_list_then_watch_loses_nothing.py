"""A list followed by a watch from its resourceVersion sees every object, even under writes."""

from __future__ import annotations

import threading

import httpx

from tests.emulator import EmulatorServer

from .watching import BackgroundWatch

CM = "/api/v1/namespaces/default/configmaps"
OBJECTS = 150


def test_concurrent_creations_are_all_seen(k8s: EmulatorServer, http: httpx.Client) -> None:
    def create_all() -> None:
        with httpx.Client(base_url=k8s.url, timeout=10) as writer:
            for i in range(OBJECTS):
                writer.post(CM, json={"metadata": {"name": f"cm{i}"}})

    writer = threading.Thread(target=create_all)
    writer.start()
    try:
        listed = http.get(CM).json()
        seen = {item["metadata"]["name"] for item in listed["items"]}
        rv = listed["metadata"]["resourceVersion"]
        with BackgroundWatch(k8s.url, CM, stop_after=OBJECTS - len(seen), resourceVersion=rv) as w:
            events = w.wait_for(OBJECTS - len(seen))
    finally:
        writer.join(10)
    seen |= {event["object"]["metadata"]["name"] for event in events}
    assert seen == {f"cm{i}" for i in range(OBJECTS)}
