"""Each benchmark still runs: once, at a tiny size, as a subprocess; nothing about time.

Benchmarks are not tests: what they measure depends on the machine. These only prove that the
scripts start their processes, drive them, print their tables and stop by themselves.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Seconds a tiny run may take on a slow, busy machine before it counts as hung.
TIMEOUT = 300


def run(script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_operator_scale_runs_three_agents_and_prints_its_table() -> None:
    out = run("operator_scale.py", "--agents", "3", "--resync-seconds", "3")
    assert "| Agents/s to Ready" in out
    assert "no-op resync: writes" in out
    assert "Operator requests per Agent while creating" in out


def test_runtime_load_runs_a_few_requests_and_prints_its_tables() -> None:
    out = run(
        "runtime_load.py",
        "--concurrency",
        "1",
        "2",
        "--requests",
        "4",
        "--ttft-samples",
        "1",
        "--scaling-concurrency",
        "2",
    )
    assert "Throughput: runtime vs the plain SDK loop" in out
    assert "APIs side by side" in out
    assert "| p50 time to first token, ms" in out
    assert "Runtime RSS (MB)" in out
    assert "2 replicas, round robin" in out


def test_operator_failover_kills_the_active_replica_once_and_prints_its_table() -> None:
    out = run("operator_failover.py", "--runs", "1", "--lifetime", "6")
    assert "| Ready after SIGKILL (s)" in out
    assert "failover: median" in out


def test_demo_install_measures_one_set_of_extras_and_prints_its_table() -> None:
    out = run("demo_install.py", "--extras", "operator")  # the smallest set: a few packages
    assert "| [operator]" in out
    assert "MB on disk" in out


def test_runtime_builtins_compares_a_builtin_with_an_http_tool_and_prints_its_table() -> None:
    out = run("runtime_builtins.py", "--concurrency", "1", "--requests", "2")
    assert "| concurrency | http req/s | builtin req/s" in out
    assert "Built-in tool (Conversations API) vs HTTP tool" in out
