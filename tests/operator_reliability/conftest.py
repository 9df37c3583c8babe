"""Fixtures of the reliability tests: the end-to-end suite's, reused as they are.

`cluster`, `operator`, `api`, `agents` and `core` come from `tests/operator_e2e/conftest.py`;
`debug_operator` is the same operator run with `--debug`, the most talkative it gets, for the
tests that search its log for what must never be there.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.emulator import EmulatorServer
from tests.operator_e2e.conftest import agents, api, cluster, core, operator
from tests.operator_e2e.operator import OperatorProcess

__all__ = ["agents", "api", "cluster", "core", "debug_operator", "operator"]


@pytest.fixture
def debug_operator(
    cluster: EmulatorServer, k8s_kubeconfig: Path, tmp_path: Path
) -> Iterator[OperatorProcess]:
    """`agent-operator run --debug` against the emulator: every API call in its log."""
    process = OperatorProcess(k8s_kubeconfig, tmp_path / "operator.log", args=("--debug",))
    process.start()
    try:
        yield process
    finally:
        process.stop()
        print(process.log[-20000:])  # shown by pytest only when the test failed
