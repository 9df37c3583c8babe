"""What `make demo` installs: a fresh venv with the extras it needs, against the dev extras.

Each set of extras is installed into a new virtual environment, as `make demo` (operator and
runtime) and `make setup` (dev) do, timed; then its packages are counted (`pip list`, the
project itself left out) and its size measured on disk. The dev install is the baseline of the
same run. Network and the pip cache weigh on the time: read it beside the baseline only.

    .venv/bin/python benchmarks/demo_install.py
    .venv/bin/python benchmarks/demo_install.py --extras runtime   # a tiny run (one set)
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import machine, mb, print_table, ratio

ROOT = Path(__file__).resolve().parents[1]
#: What `make demo` installs, then the baseline: what `make setup` installs.
DEFAULT_EXTRAS = ("operator,runtime", "dev")


def install(extras: str, venv: Path) -> float:
    """Seconds to create `venv` and install the project with `extras` into it."""
    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    quiet = ["--quiet", "--disable-pip-version-check"]
    subprocess.run([python, "-m", "pip", "install", *quiet, "--upgrade", "pip"], check=True)
    subprocess.run(
        [python, "-m", "pip", "install", *quiet, "-e", f".[{extras}]"], cwd=ROOT, check=True
    )
    return time.monotonic() - start


def packages(venv: Path) -> int:
    listed = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "list",
            "--format=freeze",
            "--exclude-editable",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return len([line for line in listed.splitlines() if line.strip()])


def size_bytes(path: Path) -> int:
    total = 0
    for directory, _, files in os.walk(path):
        for name in files:
            file = Path(directory) / name
            if not file.is_symlink():
                total += file.stat().st_size
    return total


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--extras", nargs="+", default=list(DEFAULT_EXTRAS), help="extras sets")
    args = parser.parse_args(argv)
    rows: list[tuple[str, int, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="demo-install-") as tmp:
        for extras in args.extras:
            venv = Path(tmp) / extras.replace(",", "-")
            seconds = install(extras, venv)
            rows.append((extras, packages(venv), mb(size_bytes(venv)), seconds))
    base = rows[-1]
    print_table(
        f"Fresh venv per set of extras ({machine()}); baseline: [{base[0]}]",
        ["extras", "packages", "MB on disk", "vs baseline", "install s", "vs baseline"],
        [
            (f"[{name}]", count, size, ratio(size, base[2]), seconds, ratio(seconds, base[3]))
            for name, count, size, seconds in rows
        ],
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
