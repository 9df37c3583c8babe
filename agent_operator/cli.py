"""The `agent-operator` command: run the operator, or show what it would create.

- `agent-operator render FILE...` prints the children the operator would apply for each Agent,
  so a change can be reviewed (or diffed in CI) without a cluster;
- `agent-operator crd` prints the CustomResourceDefinition;
- `agent-operator run` starts the operator.

The handlers (and with them Kopf) are imported only by `run`, so `render` and `crd` work with
nothing but the builders installed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TextIO

import yaml

from agent_operator.builders import render_agent
from agent_operator.crd import crd_yaml
from agent_operator.settings import OperatorSettings
from agent_operator.spec import KIND, SpecError

#: Exit status for an Agent that cannot be rendered (as argparse uses for bad usage).
EXIT_INVALID = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen subcommand; return the exit status."""
    args = _parser().parse_args(argv)
    command: str = args.command
    if command == "render":
        return _render(args.files, sys.stdout, sys.stderr)
    if command == "crd":
        sys.stdout.write(crd_yaml())
        return 0
    return _run(args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agent-operator", description="Run Mistral tool-calling agents declared as Agents."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    render = commands.add_parser("render", help="print the children of Agents, as YAML")
    render.add_argument("files", nargs="+", metavar="FILE", help="YAML files of Agents; - : stdin")
    commands.add_parser("crd", help="print the Agent CustomResourceDefinition")
    run = commands.add_parser("run", help="run the operator")
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
    run.add_argument("--metrics-port", type=int, metavar="N", help="port of /metrics")
    run.add_argument("--verbose", action="store_true", help="log more")
    run.add_argument("--debug", action="store_true", help="log everything")
    return parser


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
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
