"""`make demo`: an example Agent answering, with a cluster when there is one, without otherwise.

With Docker and kind: a kind cluster, both images built and loaded, the operator installed by
Helm, the mock model and an example Agent applied, and the agent's answer printed (the
cluster is left running for you to explore; the script prints how to delete it).

Without them (or with `--local`): what the operator would apply for
`examples/local/weather.yaml` (`agent-operator render`), then that very Agent served on
127.0.0.1 by `agent-operator dev --mock` (the runtime against the bundled mock model), asked a
question through its OpenAI/Mistral-compatible API, plain and streamed, and stopped. When the
runtime cannot start (a port taken, say), its own error is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from agent_operator.dev import answers

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "local" / "weather.yaml"
QUESTION = "What is the weather in Paris"
#: Seconds a local process gets to start answering before the demo gives up.
START_TIMEOUT = 60.0
#: Seconds `agent-operator dev` gets to stop what it started after Ctrl-C.
STOP_TIMEOUT = 30.0
#: The mock model's port that the example Agent names.
EXAMPLE_MOCK_PORT = 8081


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--local", action="store_true", help="skip the kind path")
    parser.add_argument("--mock-port", type=int, default=8081, help="port of the mock model")
    parser.add_argument("--port", type=int, default=8080, help="port of the agent runtime")
    args = parser.parse_args(argv)
    if not args.local:
        sys.path.insert(0, str(ROOT))
        from tests.e2e.kind import missing_requirements

        missing = missing_requirements()
        if missing is None:
            return kind_demo()
        print(f"No kind cluster for the demo: {missing}.")
        print("Running the same example agent locally instead.\n")
    return local_demo(args.mock_port, args.port)


def bin_path(name: str) -> str:
    """A console script of this environment (the venv's), falling back to PATH."""
    candidate = Path(sys.executable).with_name(name)
    return str(candidate) if candidate.exists() else name


def local_demo(mock_port: int, port: int) -> int:
    rendered = subprocess.run(
        [bin_path("agent-operator"), "render", str(EXAMPLE)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    print(f"$ agent-operator render {EXAMPLE.relative_to(ROOT)}")
    for child in (doc for doc in yaml.safe_load_all(rendered) if doc):
        meta = child["metadata"]
        print(f"  would apply {child['kind']} {meta['namespace']}/{meta['name']}")

    with tempfile.TemporaryDirectory() as tmp:
        manifest = Path(tmp) / EXAMPLE.name  # the example, its tool on the chosen mock port
        text = EXAMPLE.read_text(encoding="utf-8")
        manifest.write_text(text.replace(f":{EXAMPLE_MOCK_PORT}", f":{mock_port}"))
        command = [bin_path("agent-operator"), "dev", str(manifest), "--mock"]
        command += ["--mock-port", str(mock_port), "--port", str(port)]
        print(f"\n$ agent-operator dev {EXAMPLE.relative_to(ROOT)} --mock", end="")
        print(
            f" --mock-port {mock_port} --port {port}" if (mock_port, port) != (8081, 8080) else ""
        )
        base = f"http://127.0.0.1:{port}"
        with _dev(command, Path(tmp) / "dev.log", f"{base}/readyz"):
            print(f"Serving agent 'weather' at {base} (mock model on :{mock_port})")
            print(f"$ curl {base}/v1/chat/completions -d '{{\"messages\": [...]}}'")
            answer = _ask(base)
            print(f"answer: {answer['choices'][0]['message']['content']}")
            usage = answer["usage"]
            prompt, completion = usage["prompt_tokens"], usage["completion_tokens"]
            print(f"usage: {prompt} prompt + {completion} completion tokens")
            print("$ (the same, streamed)")
            print("streamed: " + "".join(_stream(base)))
    print("Stopped the agent and the mock model (Ctrl-C does the same by hand).")
    return 0


@contextmanager
def _dev(command: list[str], log: Path, ready_url: str) -> Iterator[None]:
    """`agent-operator dev` until the block ends; its own output shown if it cannot start."""
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not answers(ready_url):
            if process.poll() is not None or time.monotonic() > deadline:
                output = log.read_text(encoding="utf-8", errors="replace")
                raise SystemExit(f"The agent did not start; its output:\n{output[-4000:]}")
            time.sleep(0.1)
        yield
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)  # as Ctrl-C: dev stops what it started
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)


def _post(base: str, body: dict[str, Any]) -> urllib.request.Request:
    return urllib.request.Request(  # noqa: S310 (loopback)
        f"{base}/v1/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )


def _ask(base: str) -> dict[str, Any]:
    request = _post(base, {"messages": [{"role": "user", "content": QUESTION}]})
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (loopback)
        answer: dict[str, Any] = json.load(response)
    return answer


def _stream(base: str) -> Iterator[str]:
    body = {"messages": [{"role": "user", "content": QUESTION}], "stream": True}
    with urllib.request.urlopen(_post(base, body), timeout=60) as response:  # noqa: S310
        for raw in response:
            line = raw.decode().strip()
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            for choice in json.loads(line[len("data: ") :]).get("choices", []):
                yield choice.get("delta", {}).get("content") or ""


def kind_demo() -> int:  # pragma: no cover - needs Docker and kind
    """The cluster path: the kind suite's own install steps, left running at the end."""
    from tests.e2e.kind import (
        MANIFESTS,
        WAIT_TIMEOUT,
        KindCluster,
        build_images,
        install,
        unique_cluster_name,
    )

    cluster = KindCluster(unique_cluster_name(), Path(tempfile.mkdtemp()) / "kubeconfig")
    build_images()
    cluster.create()
    install(cluster)
    cluster.kubectl("apply", "-f", str(MANIFESTS / "agent.yaml"))
    agent = yaml.safe_load((MANIFESTS / "agent.yaml").read_text())
    namespace, name = agent["metadata"]["namespace"], agent["metadata"]["name"]
    wait = f"--timeout={WAIT_TIMEOUT}s"
    cluster.kubectl("-n", namespace, "wait", "--for=condition=Ready", f"agent/{name}", wait)
    print(cluster.kubectl("-n", namespace, "get", "agents").stdout)
    forward, local_port = cluster.port_forward(f"svc/{name}", 80)
    try:
        answer = _ask(f"http://127.0.0.1:{local_port}")
        print(f"answer: {answer['choices'][0]['message']['content']}")
    finally:
        forward.terminate()
    print(f"The cluster {cluster.name} is still running: KUBECONFIG={cluster.kubeconfig}")
    print(f"Delete it with: kind delete cluster --name {cluster.name}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
