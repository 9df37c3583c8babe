"""Failover of two operator replicas in Kopf peering: seconds from SIGKILL to a new Agent Ready.

`python benchmarks/operator_failover.py --runs 5` starts, for each run, the Kubernetes API
emulator (in-process, its stand-in Deployment controller on) with the chart's peering CRDs and
peering object, and two real `agent-operator run -A` replicas with the chart's environment for
two replicas. Then:

1. baseline: with both replicas up, one Agent is created and timed to `Ready` (the active
   replica's ordinary latency);
2. after a random pause (0 to lifetime - 5 s, so that the kill falls anywhere in the
   keep-alive cycle, renewed every lifetime - 10 to lifetime - 5 s), the active replica is
   SIGKILLed, an Agent is created at once, and timed to `Ready`: what a user waits for while
   the standby notices the dead keep-alive and resumes.

The failover is the rest of the dead replica's last keep-alive, so it spreads between about
5 s and the lifetime, plus one reconcile. Every wait is bounded; processes stop whatever happens.
"""

from __future__ import annotations

import argparse
import functools
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent_operator.settings import PEERING_LIFETIME_SECONDS
from benchmarks.common import machine, percentile, print_table, ratio
from tests.emulator import EmulatorServer
from tests.emulator.fixtures import install_project_crds
from tests.operator_e2e.agents import NAMESPACE, Agents, agent
from tests.operator_e2e.operator import WAIT, OperatorProcess, wait_for
from tests.operator_reliability.peering import chart_peering, peers


def has_peer(cluster: EmulatorServer, identity: str) -> bool:
    return identity in peers(cluster)


def one_run(workdir: Path, lifetime: int) -> tuple[float, float]:
    """(seconds to Ready with a live operator, seconds from SIGKILL to Ready)."""
    cluster = EmulatorServer().start()
    replicas: list[OperatorProcess] = []
    api = None
    try:
        install_project_crds(cluster)
        cluster.deployments.enable()
        cluster.install({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
        values = {"replicaCount": 2, "peering": {"lifetimeSeconds": lifetime}}
        env = chart_peering(cluster, values)
        for name in ("replica-a", "replica-b"):
            kubeconfig = cluster.write_kubeconfig(workdir / f"{name}.kubeconfig", token=name)
            replica = OperatorProcess(
                kubeconfig, workdir / f"{name}.log", env={**env, "POD_ID": name}
            )
            replicas.append(replica.start())
            wait_for(functools.partial(has_peer, cluster, name), what=f"{name}'s keep-alive")
        api = cluster.api_client()
        agents = Agents(api, cluster)
        started = time.monotonic()
        agents.create(agent("baseline"))
        agents.wait_ready("baseline")
        baseline = time.monotonic() - started

        time.sleep(random.uniform(0, lifetime - 5))  # anywhere in the keep-alive cycle
        replicas[0].kill()
        killed = time.monotonic()
        agents.create(agent("during-failover"))
        agents.wait_ready("during-failover", timeout=lifetime + WAIT)
        return baseline, time.monotonic() - killed
    finally:
        for replica in replicas:
            replica.stop()
        if api is not None:
            api.close()
        cluster.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3, help="kills to measure, one run each")
    parser.add_argument(
        "--lifetime",
        type=int,
        default=PEERING_LIFETIME_SECONDS,
        help="peering lifetime in seconds (default: the operator's)",
    )
    args = parser.parse_args(argv)
    rows: list[list[object]] = []
    failovers: list[float] = []
    with tempfile.TemporaryDirectory(prefix="operator-failover-") as tmp:
        for run in range(1, args.runs + 1):
            workdir = Path(tmp) / f"run-{run}"
            workdir.mkdir()
            baseline, failover = one_run(workdir, args.lifetime)
            failovers.append(failover)
            rows.append([run, baseline, failover, ratio(failover, baseline)])
    print_table(
        f"Failover, peering lifetime {args.lifetime} s ({machine()})",
        ["run", "Ready, live operator (s)", "Ready after SIGKILL (s)", "ratio"],
        rows,
    )
    print(
        f"\nfailover: median {percentile(failovers, 50):.1f} s, max {max(failovers):.1f} s, "
        f"bound {args.lifetime} s + one reconcile"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
