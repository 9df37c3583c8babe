"""Kopf itself, run against the emulator, sees objects, handles them and patches them."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from kopf.testing import KopfRunner

from tests.emulator import EmulatorServer

from .widgets import PLURAL, widget

OPERATOR = textwrap.dedent(
    """
    import kopf

    @kopf.on.startup()
    def configure(settings, **_):
        settings.posting.level = 0
        settings.watching.server_timeout = 5

    @kopf.on.create("example.com", "v1", "widgets")
    def greet(spec, patch, **_):
        patch.status["phase"] = "Ready"
        patch.metadata.setdefault("labels", {})["greeted"] = "yes"
        return {"size": spec["size"]}

    @kopf.on.update("example.com", "v1", "widgets", field="spec.size")
    def resize(new, patch, **_):
        patch.metadata.setdefault("annotations", {})["resized-to"] = str(new)

    @kopf.on.delete("example.com", "v1", "widgets")
    def farewell(**_):
        pass
    """
)
WAIT = 20.0  # seconds: a generous bound for Kopf to notice and handle an event


def wait_for(check: Any, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("the condition was not met in time")


@pytest.fixture
def operator_file(tmp_path: Path) -> Path:
    path = tmp_path / "operator.py"
    path.write_text(OPERATOR)
    return path


def test_kopf_handles_creation_update_and_deletion(
    widgets: EmulatorServer, k8s_kubeconfig: Path, custom: Any, operator_file: Path
) -> None:
    args = ["run", "--standalone", "-A", "--verbose", str(operator_file)]
    with KopfRunner(args, timeout=60) as runner:
        custom.create_namespaced_custom_object(
            "example.com", "v1", "default", PLURAL, widget("w1", size=3)
        )

        def handled() -> Any:
            obj = widgets.get_object(PLURAL, "w1", "default", "example.com")
            return obj if obj and obj.get("status", {}).get("phase") == "Ready" else None

        obj = wait_for(handled)
        assert obj["metadata"]["labels"]["greeted"] == "yes"
        assert obj["status"]["greet"] == {"size": 3}
        assert obj["metadata"]["finalizers"] == ["kopf.zalando.org/KopfFinalizerMarker"]

        custom.patch_namespaced_custom_object(
            "example.com", "v1", "default", PLURAL, "w1", {"spec": {"size": 7}}
        )
        wait_for(
            lambda: (
                (widgets.get_object(PLURAL, "w1", "default", "example.com") or {})
                .get("metadata", {})
                .get("annotations", {})
                .get("resized-to")
                == "7"
            )
        )

        custom.delete_namespaced_custom_object("example.com", "v1", "default", PLURAL, "w1")
        wait_for(lambda: widgets.get_object(PLURAL, "w1", "default", "example.com") is None)

    assert runner.exit_code == 0
    assert runner.exception is None
    assert widgets.count(verb="watch", resource=PLURAL) >= 1
