"""The `agent-operator` command: run the operator, or show what it would create.

- `agent-operator render FILE...` prints the children the operator would apply for each Agent,
  so a change can be reviewed (or diffed in CI) without a cluster;
- `agent-operator crd` prints the CustomResourceDefinition;
- `agent-operator eval EVAL.yaml --agent AGENT.yaml` runs an AgentEvaluation's cases locally;
- `agent-operator dev FILE` serves one Agent on this machine, without a cluster (see `dev`);
- `agent-operator run` starts the operator.

The handlers (and with them Kopf) are imported only by `run`, so `render`, `crd` and `dev` work
with nothing but the builders (and, for `dev`, the runtime) installed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any, TextIO

import yaml

from agent_operator import dev
from agent_operator.builders import render_agent
from agent_operator.crd import crd_yaml
from agent_operator.evaluate import command as evaluate
from agent_operator.settings import OperatorSettings
from agent_operator.spec import KIND, SpecError

#: Exit status for an Agent that cannot be rendered (as argparse uses for bad usage).
EXIT_INVALID = 2
#: Exit status of `run` when no cluster can be reached at all.
EXIT_NO_CLUSTER = 1
#: Where a pod's service account credentials are, when the operator runs in a cluster.
IN_CLUSTER_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"  # noqa: S105 (a path)
#: How `run` writes its log: JSON lines for a cluster's log pipeline, or text for a terminal.
LOG_FORMATS = ("json", "text")
#: The log levels `dev` passes to the runtime.
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen subcommand; return the exit status."""
    args = _parser().parse_args(argv)
    command: str = args.command
    if command == "render":
        return _render(args.files, sys.stdout, sys.stderr)
    if command == "crd":
        sys.stdout.write(crd_yaml())
        return 0
    if command == "eval":
        return evaluate.run(args, sys.stdout, sys.stderr)
    if command == "dev":
        return _dev(args)
    return _run(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agent-operator",
        description="Run Mistral tool-calling agents declared as Agents.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    formatter = argparse.ArgumentDefaultsHelpFormatter
    render = commands.add_parser(
        "render", help="print the children of Agents, as YAML", formatter_class=formatter
    )
    render.add_argument("files", nargs="+", metavar="FILE", help="YAML files of Agents; - : stdin")
    commands.add_parser("crd", help="print the Agent CustomResourceDefinition")
    evaluate.add_arguments(
        commands.add_parser(
            "eval", help="run an AgentEvaluation locally", formatter_class=formatter
        )
    )
    _dev_parser(commands)
    run = commands.add_parser("run", help="run the operator", formatter_class=formatter)
    scope = run.add_mutually_exclusive_group()
    scope.add_argument(
        "-n",
        "--namespace",
        dest="namespaces",
        action="append",
        default=[],
        metavar="NS",
        help="serve Agents of this namespace (repeatable; a glob pattern is allowed)",
    )
    scope.add_argument(
        "-A", "--all-namespaces", action="store_true", help="serve Agents of every namespace"
    )
    run.add_argument(
        "--liveness", metavar="URL", help="liveness endpoint, e.g. http://0.0.0.0:8080/healthz"
    )
    run.add_argument("--metrics-port", type=int, metavar="N", help="port of /metrics; none: off")
    run.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default="text",
        help="json: one object per line, the runtime's fields; text: for reading in a terminal",
    )
    run.add_argument("--verbose", action="store_true", help="log more")
    run.add_argument("--debug", action="store_true", help="log everything")
    return parser


def _dev_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "dev",
        help="serve one Agent on this machine, without a cluster",
        description=(
            "Render the Agent as the operator would and serve it with agent-runtime on"
            " 127.0.0.1; Ctrl-C stops everything started. Secrets come from local environment"
            " variables or files, never from a cluster."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("manifest", metavar="FILE", help="YAML file of an Agent; - : stdin")
    parser.add_argument(
        "--port", type=int, default=8080, help="port of the agent's API on 127.0.0.1"
    )
    parser.add_argument(
        "--mock",
        action="store_true",
        help="start the bundled mock model and point the Agent's model at it (no key needed)",
    )
    parser.add_argument(
        "--mock-port", type=int, default=8081, help="port of the mock model, with --mock"
    )
    parser.add_argument(
        "--secret-env",
        action="append",
        default=[],
        metavar="SECRET/KEY=VARIABLE",
        help="read a referenced Secret key from an environment variable (repeatable)",
    )
    parser.add_argument(
        "--secret-file",
        action="append",
        default=[],
        metavar="SECRET/KEY=PATH",
        help="read a referenced Secret key from a local file (repeatable)",
    )
    parser.add_argument(
        "--log-level", choices=LOG_LEVELS, default="INFO", help="the runtime's log level"
    )


def _dev(args: argparse.Namespace) -> int:
    try:
        secrets = dict(
            [dev.secret_flag(text, env=True) for text in args.secret_env]
            + [dev.secret_flag(text, env=False) for text in args.secret_file]
        )
        options = dev.DevOptions(
            manifest=args.manifest,
            port=args.port,
            mock=bool(args.mock),
            mock_port=args.mock_port,
            secrets=secrets,
            log_level=args.log_level,
        )
        return dev.serve(options, sys.stdout)
    except dev.DevError as exc:
        sys.stderr.write(f"agent-operator dev: {exc}\n")
        return EXIT_INVALID


def _version() -> str:
    return version("agent-operator")


def _render(files: Sequence[str], out: TextIO, err: TextIO) -> int:
    """Render every Agent of `files`; other documents (a Secret beside an Agent) are skipped."""
    settings = OperatorSettings.from_env()
    documents: list[str] = []
    try:
        for where, obj in _agents(files):
            try:
                children = render_agent(obj, settings)
            except SpecError as exc:
                err.write(f"{where}: invalid Agent: {exc}\n")
                return EXIT_INVALID
            documents.extend(_dump(child) for child in children)
    except (OSError, yaml.YAMLError) as exc:
        err.write(f"cannot read Agents: {exc}\n")
        return EXIT_INVALID
    if not documents:
        err.write(f"no Agent found in {', '.join(files)}\n")
        return EXIT_INVALID
    out.write("---\n".join(documents))
    return 0


def _agents(files: Sequence[str]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Each document of kind Agent, with where it was found (`file: document N`)."""
    for path in files:
        text = sys.stdin.read() if path == "-" else _read(path)
        for index, obj in enumerate(yaml.safe_load_all(text)):
            if isinstance(obj, Mapping) and obj.get("kind") == KIND:
                yield f"{path}: document {index + 1}", obj


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings (the rendered config) as readable `|` blocks."""


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_BlockDumper.add_representer(str, _represent_str)


def _dump(obj: Mapping[str, Any]) -> str:
    return yaml.dump(dict(obj), Dumper=_BlockDumper, sort_keys=False)


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as file:
        return file.read()


def _run(args: argparse.Namespace) -> int:
    looked = _cluster_credentials_missing()
    if looked is not None:
        sys.stderr.write(f"agent-operator run: no cluster to connect to: looked for {looked}\n")
        return EXIT_NO_CLUSTER
    from agent_operator import (
        handlers,  # Kopf is needed only to run
        hosted_handlers,  # noqa: F401 (registers its handlers)
    )

    handlers.run(
        namespaces=list(args.namespaces),
        clusterwide=bool(args.all_namespaces),
        liveness_endpoint=args.liveness,
        metrics_port=args.metrics_port,
        verbose=bool(args.verbose),
        debug=bool(args.debug),
        log_format=str(args.log_format),
    )
    return 0


def _cluster_credentials_missing() -> str | None:
    """None when in-cluster credentials or a kubeconfig exist, else what was looked for."""
    if os.environ.get("KUBERNETES_SERVICE_HOST") and Path(IN_CLUSTER_TOKEN).exists():
        return None
    kubeconfigs = os.environ.get("KUBECONFIG", "")
    paths = [Path(p).expanduser() for p in kubeconfigs.split(os.pathsep) if p]
    if not paths:
        paths = [Path("~/.kube/config").expanduser()]
    if any(path.is_file() for path in paths):
        return None
    where = " or ".join(str(path) for path in paths)
    source = "$KUBECONFIG" if kubeconfigs else "the default kubeconfig"
    return (
        f"in-cluster credentials ($KUBERNETES_SERVICE_HOST and {IN_CLUSTER_TOKEN})"
        f" and {source} ({where}); none exists"
    )


if __name__ == "__main__":
    sys.exit(main())
