"""`python -m tests.emulator` serves on the given port and writes a kubeconfig."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml

from tests.emulator.fixtures import CRDS_DIR
from tests.emulator.server import bind_socket

from .widgets import widget_crd

STARTUP = 15.0  # seconds for the subprocess to listen


def test_cli_serves_with_crds_and_kubeconfig(tmp_path: Path) -> None:
    sock = bind_socket()
    port = sock.getsockname()[1]
    sock.close()
    crd_file = tmp_path / "crd.yaml"
    crd_file.write_text(yaml.safe_dump(widget_crd()))
    kubeconfig = tmp_path / "kubeconfig"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.emulator",
            "--port",
            str(port),
            "--crd",
            str(crd_file),
            "--kubeconfig-out",
            str(kubeconfig),
            "--deployment-controller",
        ],
        cwd=CRDS_DIR.parent,
        stdout=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP
        while time.monotonic() < deadline:
            try:
                answer = httpx.get(f"{url}/apis/example.com/v1", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            raise AssertionError("the emulator did not start")
        assert answer.status_code == 200
        config = yaml.safe_load(kubeconfig.read_text())
        assert config["clusters"][0]["cluster"]["server"] == url
    finally:
        process.terminate()
        assert process.wait(10) == 0
