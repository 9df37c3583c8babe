"""The `agent-runtime` command: serve an agent, run the fake model, or check a config file.

    agent-runtime serve [--config PATH] [--host H] [--port P] [--workers N]
                        [--graceful-timeout S] [--log-level L]
    agent-runtime mock-llm [--host H] [--port P] [--latency-ms N] [--script FILE]
    agent-runtime check-config [--config PATH]

Both read their config from `--config`, else `$AGENT_RUNTIME_CONFIG`, else the file the
operator mounts. `check-config` prints a summary of a rendered config (as found in an Agent's
ConfigMap) and exits 1 when it is not valid; secrets are named by where they live, never read.
Given an Agent manifest instead of a rendered config, both say which command serves it.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from agent_runtime.config import RUNTIME_PORT, RuntimeConfig, SecretSource, load_config

#: The default port of the fake model: next to the runtime's.
MOCK_LLM_PORT = 8081
#: The log levels `serve` accepts (Python's, as uvicorn names them too).
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def build_parser() -> argparse.ArgumentParser:
    """The command line, one subcommand per job; every option's help shows its default."""
    from agent_runtime.server import DEFAULT_GRACEFUL_TIMEOUT, config_path_from_environment

    formatter = argparse.ArgumentDefaultsHelpFormatter
    parser = argparse.ArgumentParser(
        prog="agent-runtime",
        description="Serve one Mistral tool-calling agent over HTTP.",
        formatter_class=formatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {version('agent-operator')}"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    config_help = "The rendered config ($AGENT_RUNTIME_CONFIG, else the mounted ConfigMap)."

    serve = commands.add_parser(
        "serve", help="Serve the agent described by a config file.", formatter_class=formatter
    )
    serve.add_argument("--config", default=config_path_from_environment(), help=config_help)
    serve.add_argument("--host", default="0.0.0.0", help="Interface to listen on.")
    serve.add_argument("--port", type=int, default=RUNTIME_PORT, help="Port to listen on.")
    serve.add_argument("--workers", type=int, default=1, help="Worker processes.")
    serve.add_argument(
        "--graceful-timeout",
        type=float,
        default=DEFAULT_GRACEFUL_TIMEOUT,
        help="Seconds in-flight requests may take to finish after SIGTERM.",
    )
    serve.add_argument(
        "--log-level",
        default="INFO",
        type=str.upper,
        choices=LOG_LEVELS,
        help="Lowest level of the JSON log lines.",
    )

    mock = commands.add_parser(
        "mock-llm", help="Run the fake Mistral-compatible model.", formatter_class=formatter
    )
    mock.add_argument("--host", default="127.0.0.1", help="Interface to listen on.")
    mock.add_argument("--port", type=int, default=MOCK_LLM_PORT, help="Port to listen on.")
    mock.add_argument("--latency-ms", type=int, default=0, help="Delay added to each answer.")
    mock.add_argument("--script", default=None, help="A file of scripted answers.")

    check = commands.add_parser(
        "check-config", help="Validate a config file, print a summary.", formatter_class=formatter
    )
    check.add_argument("--config", default=config_path_from_environment(), help=config_help)
    check.add_argument(
        "path", nargs="?", default=None, help=argparse.SUPPRESS
    )  # the old positional form, kept working with a deprecation message
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a subcommand; the return value is the process's exit code."""
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        from agent_runtime.server import ServeOptions, serve

        if load_or_explain(args.config, sys.stderr) is None:
            return 1
        return serve(
            ServeOptions(
                config_path=args.config,
                host=args.host,
                port=args.port,
                workers=args.workers,
                graceful_timeout=args.graceful_timeout,
                log_level=args.log_level,
            )
        )
    if args.command == "mock-llm":
        return run_mock_llm(args.host, args.port, args.latency_ms, args.script)
    path: str = args.config
    if args.path is not None:
        print(
            "agent-runtime check-config PATH is deprecated: use check-config --config PATH",
            file=sys.stderr,
        )
        path = args.path
    return check_config(path, sys.stdout, sys.stderr)


def run_mock_llm(host: str, port: int, latency_ms: int, script: str | None) -> int:
    """Serve the fake model until SIGTERM or SIGINT."""
    from agent_runtime.mockllm import MockLLM, serve
    from agent_runtime.server import signals_end_cleanly

    mock = MockLLM(latency_seconds=latency_ms / 1000)
    if script is not None:
        mock.load_script(script)
    with signals_end_cleanly():
        asyncio.run(serve(host, port, mock))
    return 0


def check_config(path: str, out: TextIO, err: TextIO) -> int:
    """Print a summary of a valid config (exit 0) or why it is not valid (exit 1)."""
    config = load_or_explain(path, err)
    if config is None:
        return 1
    print(summarize(config), file=out)
    return 0


def load_or_explain(path: str, err: TextIO) -> RuntimeConfig | None:
    """The config at `path`, or None after printing why it cannot be used (no traceback)."""
    try:
        return load_config(path)
    except OSError as exc:
        print(f"Cannot read {path}: {exc.strerror}", file=err)
    except ValidationError as exc:
        if is_agent_manifest(path):
            print(agent_manifest_hint(path), file=err)
            return None
        print(f"Invalid config {path}:", file=err)
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"]) or "(top level)"
            print(f"  {where}: {error['msg'].removeprefix('Value error, ')}", file=err)
    except ValueError as exc:
        if is_agent_manifest(path):
            print(agent_manifest_hint(path), file=err)
            return None
        print(f"Invalid config {path}: {exc}", file=err)
    return None


def is_agent_manifest(path: str) -> bool:
    """Whether the file holds an Agent resource (`kind: Agent` of agent-operator.io)."""
    import yaml

    try:
        documents = list(yaml.safe_load_all(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, yaml.YAMLError):
        return False
    return any(
        isinstance(doc, dict)
        and doc.get("kind") == "Agent"
        and str(doc.get("apiVersion", "")).startswith("agent-operator.io/")
        for doc in documents
    )


def agent_manifest_hint(path: str) -> str:
    """What to run instead, when an Agent manifest is given where a rendered config goes."""
    return (
        f"{path} is an Agent manifest, not a rendered runtime config.\n"
        f"  Serve it on this machine:  agent-operator dev {path}  (add --mock for the mock model)\n"
        f"  Or render its config:      agent-operator render {path}  (the ConfigMap's agent.json)"
    )


def _allowlist(hosts: tuple[str, ...]) -> str:
    return "any host" if not hosts or "*" in hosts else ", ".join(hosts)


def summarize(config: RuntimeConfig) -> str:
    """A human summary of a config: what the agent is, calls, and where its secrets live."""

    def where(source: SecretSource | None) -> str:
        return source.describe() if source is not None else "none"

    lines = [
        f"Agent {config.agent.namespace}/{config.agent.name} (config version {config.version})",
        f"  model: {config.model.name} at {config.model.endpoint or 'https://api.mistral.ai'}"
        f" (api key: {where(config.model.api_key)})",
        f"  tools: {len(config.tools)}",
    ]
    for tool in config.tools:
        if tool.http is not None:
            target = f"http {tool.http.method} {tool.http.url}"
        elif tool.mcp is not None:
            target = f"mcp {tool.mcp.url}"
        else:
            assert tool.agent is not None
            target = f"agent {tool.agent.agent_name} at {tool.agent.url}"
        lines.append(f"    - {tool.name}: {target}")
    limits = config.limits
    token = config.auth.bearer_token
    lines += [
        f"  limits: {limits.max_turns} turns, {limits.max_tool_calls} tool calls,"
        f" {limits.request_timeout_seconds:g} s, {limits.max_request_bytes} bytes",
        f"  structured output: {config.response_format.name if config.response_format else 'no'}",
        f"  egress: {_allowlist(config.egress.allow_hosts)}",
        f"  auth: {'bearer token from ' + where(token) if token is not None else 'none'}",
        f"  traces: {config.observability.otlp_endpoint or 'off'}",
    ]
    return "\n".join(lines)
