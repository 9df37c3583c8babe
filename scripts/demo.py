"""`make demo`: an example Agent answering, with a cluster when there is one, without otherwise.

With Docker and kind: a kind cluster, both images built and loaded, the operator installed by
Helm, the mock model and an example Agent applied, and the agent's answer printed (the
cluster is left running for you to explore; the script prints how to delete it).

Without them (or with `--local`): what the operator would apply for
`examples/local/weather.yaml` (`agent-operator render`), then that very config served by
`agent-runtime serve` against `agent-runtime mock-llm`, on 127.0.0.1, and asked a question
through its OpenAI/Mistral-compatible API, plain and streamed.
"""

from __future__ import annotations

import argparse
import json
import os
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

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "local" / "weather.yaml"
QUESTION = "What is the weather in Paris"
#: Seconds a local process gets to start answering before the demo gives up.
START_TIMEOUT = 30.0


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
    children = [doc for doc in yaml.safe_load_all(rendered) if doc]
    print(f"$ agent-operator render {EXAMPLE.relative_to(ROOT)}")
    for child in children:
        meta = child["metadata"]
        print(f"  would apply {child['kind']} {meta['namespace']}/{meta['name']}")
    config_map = next(c for c in children if c["kind"] == "ConfigMap")
    config = json.loads(config_map["data"]["agent.json"])
    if mock_port != 8081:  # the example points at 8081; a test may pick another free port
        config = _repoint(config, "127.0.0.1:8081", f"127.0.0.1:{mock_port}")

    with tempfile.TemporaryDirectory() as tmp:
        config_path = Path(tmp) / "agent.json"
        config_path.write_text(json.dumps(config, indent=2))
        mock = [bin_path("agent-runtime"), "mock-llm", "--host", "127.0.0.1"]
        serve = [bin_path("agent-runtime"), "serve", "--config", str(config_path)]
        with (
            _process([*mock, "--port", str(mock_port)], f"http://127.0.0.1:{mock_port}/v1/models"),
            _process(
                [*serve, "--host", "127.0.0.1", "--port", str(port)],
                f"http://127.0.0.1:{port}/readyz",
            ),
        ):
            base = f"http://127.0.0.1:{port}"
            name = config["agent"]["name"]
            print(f"\nServing agent {name!r} at {base} (mock model on :{mock_port})")
            print(f"$ curl {base}/v1/chat/completions -d '{{\"messages\": [...]}}'")
            answer = _ask(base)
            print(f"answer: {answer['choices'][0]['message']['content']}")
            usage = answer["usage"]
            prompt, completion = usage["prompt_tokens"], usage["completion_tokens"]
            print(f"usage: {prompt} prompt + {completion} completion tokens")
            print("$ (the same, streamed)")
            print("streamed: " + "".join(_stream(base)))
    return 0


def _repoint(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [_repoint(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: _repoint(v, old, new) for k, v in value.items()}
    return value


@contextmanager
def _process(command: list[str], ready_url: str) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(ready_url):
            if process.poll() is not None or time.monotonic() > deadline:
                err = process.stderr.read().decode(errors="replace") if process.stderr else ""
                raise SystemExit(f"{' '.join(command[:2])} did not start:\n{err[-2000:]}")
            time.sleep(0.1)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 (loopback)
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


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
