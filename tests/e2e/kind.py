"""A kind cluster the suite owns, and the only way the suite runs kubectl, helm and docker.

Every kubectl and helm call goes through `KindCluster`, which points them at the cluster's own
kubeconfig file (never the user's) and first checks that its current context is the cluster the
suite created; anything else raises `WrongContextError` before a single request is sent.
Every command and every wait is bounded in time.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = Path(__file__).resolve().parent / "manifests"
CHART_DIR = REPO_ROOT / "charts" / "agent-operator"

REQUIRED_TOOLS = ("docker", "kind", "kubectl", "helm")
#: Image names the suite builds, loads into kind and tells the chart to use.
OPERATOR_IMAGE = "agent-operator:e2e"
RUNTIME_IMAGE = "agent-runtime:e2e"
#: The README's build commands (docs/install.md), one per Dockerfile target.
BUILD_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("docker", "build", "--target", "operator", "-t", OPERATOR_IMAGE, "."),
    ("docker", "build", "--target", "runtime", "-t", RUNTIME_IMAGE, "."),
)
#: Chart values for the suite: the freshly built images, never pulled from a registry.
CHART_VALUES: dict[str, object] = {
    "image": {"repository": "agent-operator", "tag": "e2e", "pullPolicy": "Never"},
    "runtime": {"image": {"repository": "agent-runtime", "tag": "e2e"}},
    "verbose": True,
}
#: Bounds, in seconds.
COMMAND_TIMEOUT = 120
BUILD_TIMEOUT = 900
CLUSTER_TIMEOUT = 300
WAIT_TIMEOUT = 180


class WrongContextError(RuntimeError):
    """The kubeconfig does not point at the cluster this suite created."""

    def __init__(self, expected: str, found: str) -> None:
        super().__init__(expected, found)
        self.expected = expected
        self.found = found

    def __str__(self) -> str:
        return f"refusing to run: kube context is {self.found!r}, not {self.expected!r}"


def missing_requirements() -> str | None:
    """Why the suite cannot run on this machine, or None when it can."""
    for tool in REQUIRED_TOOLS:
        if shutil.which(tool) is None:
            return f"`{tool}` is not installed (the kind suite needs {', '.join(REQUIRED_TOOLS)})"
    try:
        info = subprocess.run(
            ["docker", "info"], capture_output=True, text=True, timeout=30, check=False
        )
    except subprocess.TimeoutExpired:
        return "`docker info` did not answer within 30 s: the Docker engine is not reachable"
    if info.returncode != 0:
        detail = (info.stderr.strip().splitlines() or ["no detail"])[-1]
        return f"`docker info` failed, the Docker engine is not reachable: {detail}"
    return None


def unique_cluster_name() -> str:
    """A fresh, valid kind cluster name, so runs never share or clobber a cluster."""
    return f"agent-op-e2e-{uuid.uuid4().hex[:8]}"


def run(
    command: Sequence[str],
    *,
    timeout: float = COMMAND_TIMEOUT,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    cwd: Path = REPO_ROOT,
) -> subprocess.CompletedProcess[str]:
    """Run a command to completion within `timeout`; fail with its output when it fails."""
    result = subprocess.run(
        list(command),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        input=stdin,
        cwd=cwd,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} exited {result.returncode}\n{result.stdout}\n{result.stderr}"
        )
    return result


@dataclass(frozen=True)
class KindCluster:
    """A kind cluster and the kubeconfig file that only this suite uses."""

    name: str
    kubeconfig: Path

    @property
    def context(self) -> str:
        return f"kind-{self.name}"

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "KUBECONFIG": str(self.kubeconfig)}

    def create(self) -> None:
        run(
            [
                "kind",
                "create",
                "cluster",
                "--name",
                self.name,
                "--kubeconfig",
                str(self.kubeconfig),
                "--wait",
                f"{CLUSTER_TIMEOUT}s",
            ],
            timeout=CLUSTER_TIMEOUT + 60,
            env=self.env,
        )

    def delete(self) -> None:
        run(
            [
                "kind",
                "delete",
                "cluster",
                "--name",
                self.name,
                "--kubeconfig",
                str(self.kubeconfig),
            ],
            timeout=CLUSTER_TIMEOUT,
            env=self.env,
        )

    def guard(self) -> None:
        """Raise unless the suite's kubeconfig points at the suite's own cluster."""
        current = subprocess.run(
            ["kubectl", "config", "current-context", "--kubeconfig", str(self.kubeconfig)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout.strip()
        if current != self.context:
            raise WrongContextError(self.context, current)

    def kubectl(
        self, *args: str, timeout: float = COMMAND_TIMEOUT, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        self.guard()
        command = ["kubectl", "--kubeconfig", str(self.kubeconfig), "--context", self.context]
        return run([*command, *args], timeout=timeout, env=self.env, stdin=stdin)

    def helm(
        self, *args: str, timeout: float = COMMAND_TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        self.guard()
        command = ["helm", "--kubeconfig", str(self.kubeconfig), "--kube-context", self.context]
        return run([*command, *args], timeout=timeout, env=self.env)

    def port_forward(self, target: str, remote_port: int) -> tuple[subprocess.Popen[str], int]:
        """Start `kubectl port-forward` on a free local port; the caller terminates it."""
        self.guard()
        process = subprocess.Popen(
            [
                "kubectl",
                "--kubeconfig",
                str(self.kubeconfig),
                "--context",
                self.context,
                "port-forward",
                target,
                f":{remote_port}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=self.env,
        )
        assert process.stdout is not None
        # "Forwarding from 127.0.0.1:43123 -> 8080": the first line names the local port.
        readable, _, _ = select.select([process.stdout], [], [], 30)
        line = process.stdout.readline() if readable else ""
        match = re.search(r"127\.0\.0\.1:(\d+)", line)
        if match is None:
            process.terminate()
            raise AssertionError(f"port-forward to {target} did not start: {line!r}")
        return process, int(match.group(1))

    def load_image(self, image: str) -> None:
        run(["kind", "load", "docker-image", image, "--name", self.name], timeout=CLUSTER_TIMEOUT)


def build_images() -> None:
    """Build both Dockerfile targets with the README's commands."""
    for command in BUILD_COMMANDS:
        run(command, timeout=BUILD_TIMEOUT)


def helm_set_arguments(values: dict[str, object], prefix: str = "") -> list[str]:
    """`--set key=value` arguments for nested values (scalars only)."""
    arguments: list[str] = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            arguments += helm_set_arguments(value, f"{path}.")
        else:
            rendered = str(value).lower() if isinstance(value, bool) else str(value)
            arguments += ["--set", f"{path}={rendered}"]
    return arguments


def install(
    cluster: KindCluster,
    manifests: tuple[str, ...] = ("namespace.yaml", "secret.yaml", "mock-llm.yaml"),
) -> None:
    """Load the built images, `helm install` the chart, apply the manifests, wait for the mock.

    The same steps for the suite and for `make demo`, so the demo shows what the suite checks.
    """
    cluster.guard()
    for image in (OPERATOR_IMAGE, RUNTIME_IMAGE):
        cluster.load_image(image)
    cluster.helm(
        "install",
        "agent-operator",
        str(CHART_DIR),
        "--namespace",
        "agent-operator-system",
        "--create-namespace",
        *helm_set_arguments(CHART_VALUES),
        "--wait",
        "--timeout",
        f"{WAIT_TIMEOUT}s",
        timeout=WAIT_TIMEOUT + 60,
    )
    for manifest in manifests:
        cluster.kubectl("apply", "-f", str(MANIFESTS / manifest))
    cluster.kubectl(
        "-n",
        "e2e",
        "rollout",
        "status",
        "deployment/mock-llm",
        f"--timeout={WAIT_TIMEOUT}s",
        timeout=WAIT_TIMEOUT + 30,
    )
