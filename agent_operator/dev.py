"""`agent-operator dev`: one Agent manifest served on this machine, without a cluster.

The Agent is rendered in-process by the same builders the operator uses; the config that its
ConfigMap would hold is written to a temporary file and served by `agent-runtime serve` in a
child process. Two things change on the way, and only these:

- the model: `--mock` starts the bundled Mistral-compatible mock model (`agent-runtime
  mock-llm`) and points the Agent's model at it; otherwise the Agent's own endpoint is used;
- secrets: every referenced Secret key is read from a local environment variable or file named
  on the command line (`--secret-env`, `--secret-file`), never from a cluster.

Ctrl-C (or SIGTERM) stops every process this command started. Nothing here imports Kopf or the
Kubernetes client.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from agent_operator.builders import agent_meta, runtime_config
from agent_operator.builders.secrets import referenced_secrets
from agent_operator.spec import AgentSpec, SecretKeyRef, SpecError, parse_spec
from agent_runtime.config import CONFIG_FILE_NAME, Egress, RuntimeConfig, SecretSource

#: The interface both local processes listen on: this machine only.
LOCAL_HOST = "127.0.0.1"
#: Seconds a child process gets to answer its readiness URL before the command gives up.
START_TIMEOUT = 60.0
#: Seconds a child process gets to exit after SIGTERM before it is killed.
STOP_TIMEOUT = 15.0
#: Exit status when the Agent or a command-line option cannot be used.
EXIT_USAGE = 2


class DevError(Exception):
    """The manifest, a secret or a child process cannot be used; the message says why."""


@dataclass(frozen=True)
class DevOptions:
    """What `agent-operator dev` serves, and where."""

    manifest: str
    port: int = 8080
    mock: bool = False
    mock_port: int = 8081
    secrets: Mapping[SecretKeyRef, SecretSource] = field(default_factory=dict)
    log_level: str = "INFO"


def secret_flag(text: str, *, env: bool) -> tuple[SecretKeyRef, SecretSource]:
    """Parse `SECRET/KEY=VARIABLE` (`--secret-env`) or `SECRET/KEY=PATH` (`--secret-file`)."""
    ref_text, sep, where = text.partition("=")
    name, slash, key = ref_text.partition("/")
    if not (sep and slash and name and key and where):
        raise DevError(f"{text!r}: expected SECRET/KEY={'VARIABLE' if env else 'PATH'}")
    ref = SecretKeyRef(name=name, key=key)
    if env:
        return ref, SecretSource(env=where)
    return ref, SecretSource(file=str(Path(where).resolve()))


def load_agent(path: str) -> tuple[dict[str, Any], AgentSpec]:
    """The first Agent of a YAML file, and its parsed spec."""
    import yaml

    from agent_operator.spec import KIND

    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
        documents = list(yaml.safe_load_all(text))
    except (OSError, yaml.YAMLError) as exc:
        raise DevError(f"cannot read {path}: {exc}") from None
    for obj in documents:
        if isinstance(obj, dict) and obj.get("kind") == KIND:
            try:
                return obj, parse_spec(obj.get("spec") or {})
            except SpecError as exc:
                raise DevError(f"{path}: invalid Agent: {exc}") from None
    raise DevError(f"no Agent found in {path}")


def local_config(obj: Mapping[str, Any], spec: AgentSpec, options: DevOptions) -> RuntimeConfig:
    """The config the operator would render, with the model and secrets made local."""
    try:
        meta = agent_meta(obj)
    except SpecError as exc:
        raise DevError(f"{options.manifest}: invalid Agent: {exc}") from None
    model_key = spec.model.api_key_secret_ref
    missing = [
        ref
        for ref in referenced_secrets(spec)
        if ref not in options.secrets and not (options.mock and ref == model_key)
    ]
    if missing:
        flags = " ".join(f"--secret-env {ref.name}/{ref.key}=VARIABLE" for ref in missing)
        raise DevError(
            "the Agent refers to Secret keys that have no local source: "
            + ", ".join(f"{ref.name}/{ref.key}" for ref in missing)
            + f"; name them with {flags} (or --secret-file SECRET/KEY=PATH)"
        )
    # With --mock, an unnamed model key gets a placeholder that is dropped just below.
    unused = SecretSource(env="AGENT_OPERATOR_DEV_UNUSED")
    config = runtime_config(meta, spec, secrets=lambda ref: options.secrets.get(ref, unused))
    if not options.mock:
        return config
    model = config.model.model_copy(
        update={"endpoint": mock_url(options), "api_key": _mock_key(config, options, model_key)}
    )
    hosts = config.egress.allow_hosts
    egress = Egress(allow_hosts=(*hosts, LOCAL_HOST)) if hosts and LOCAL_HOST not in hosts else None
    return config.model_copy(update={"model": model, "egress": egress or config.egress})


def _mock_key(
    config: RuntimeConfig, options: DevOptions, ref: SecretKeyRef | None
) -> SecretSource | None:
    """The mock model needs no key: keep one only when the command line named it."""
    return config.model.api_key if ref is not None and ref in options.secrets else None


def mock_url(options: DevOptions) -> str:
    return f"http://{LOCAL_HOST}:{options.mock_port}"


def serve(options: DevOptions, out: TextIO) -> int:
    """Serve the Agent until Ctrl-C or SIGTERM; exit 0 then, non-zero if a child fails."""
    obj, spec = load_agent(options.manifest)
    config = local_config(obj, spec, options)
    runtime = [sys.executable, "-m", "agent_runtime"]
    base = f"http://{LOCAL_HOST}:{options.port}"
    with tempfile.TemporaryDirectory(prefix="agent-operator-dev-") as tmp, ExitStack() as stack:
        config_path = Path(tmp) / CONFIG_FILE_NAME
        config_path.write_text(config.to_json(), encoding="utf-8")
        stack.enter_context(_stop_on_signals())
        children: list[subprocess.Popen[bytes]] = []
        try:
            if options.mock:
                mock = [
                    *runtime,
                    "mock-llm",
                    "--host",
                    LOCAL_HOST,
                    "--port",
                    str(options.mock_port),
                ]
                children.append(stack.enter_context(_child(mock, f"{mock_url(options)}/v1/models")))
            command = [*runtime, "serve", "--config", str(config_path), "--host", LOCAL_HOST]
            command += ["--port", str(options.port), "--log-level", options.log_level]
            children.append(stack.enter_context(_child(command, f"{base}/readyz")))
            out.write(banner(base, _served_model(base), config, options))
            out.flush()
            return _wait(children)
        except KeyboardInterrupt:
            out.write("Stopped.\n")
            return 0


def _wait(children: list[subprocess.Popen[bytes]]) -> int:
    """Block until a child exits: cleanly when Ctrl-C reached it first, else an error."""
    while True:
        for child in children:
            status = child.poll()
            if status == 0:
                return 0
            if status is not None:
                raise DevError(
                    f"{_name(child.args)} exited with status {status} (its error is above)"
                )
        time.sleep(0.2)


def _served_model(base: str) -> str:
    """The model name clients pass, as the runtime itself lists it."""
    with urllib.request.urlopen(f"{base}/v1/models", timeout=5) as response:  # noqa: S310
        listing: dict[str, Any] = json.load(response)
    return str(listing["data"][0]["id"])


def banner(base: str, model: str, config: RuntimeConfig, options: DevOptions) -> str:
    """What to paste to talk to the agent: URL, model name, curl and Python."""
    upstream = mock_url(options) + " (the bundled mock)" if options.mock else config.model.endpoint
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": "Hello"}]})
    return f"""
Serving Agent {config.agent.namespace}/{config.agent.name} at {base}
  model name for clients: {model}
  upstream model: {config.model.name} at {upstream or "https://api.mistral.ai"}

  curl -s {base}/v1/chat/completions -H 'Content-Type: application/json' \\
    -d '{body}'

  python - <<'EOF'
  from mistralai.client import Mistral
  client = Mistral(api_key="unused", server_url="{base}")
  answer = client.chat.complete(model="{model}", messages=[{{"role": "user", "content": "Hello"}}])
  print(answer.choices[0].message.content)
  EOF

Press Ctrl-C to stop.
"""


def _name(args: Any) -> str:
    parts = [str(a) for a in args]
    return " ".join(["agent-runtime", parts[3]] if parts[1:3] == ["-m", "agent_runtime"] else parts)


@contextmanager
def _child(command: list[str], ready_url: str) -> Iterator[subprocess.Popen[bytes]]:
    """A child process whose output goes to this terminal; stopped on the way out."""
    process = subprocess.Popen(command)  # noqa: S603 (this interpreter, fixed arguments)
    try:
        _wait_ready(process, ready_url)
        yield process
    finally:
        _stop(process)


def _wait_ready(process: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not answers(url):
        status = process.poll()
        if status is not None:
            raise DevError(
                f"{_name(process.args)} exited with status {status} before it was ready"
                " (its error is above)"
            )
        if time.monotonic() > deadline:
            raise DevError(f"{_name(process.args)} did not answer {url} in {START_TIMEOUT:g} s")
        time.sleep(0.1)


def answers(url: str) -> bool:
    """Whether `url` answers 200 now (a readiness poll; any failure is a no)."""
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 (loopback)
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)


@contextmanager
def _stop_on_signals() -> Iterator[None]:
    """Ctrl-C and SIGTERM stop the command, so no child outlives it.

    SIGINT is handled explicitly too: a shell starts background jobs with SIGINT ignored, and
    Python then installs no handler of its own.
    """

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
