"""The operator at scale: N Agents created at once, a no-op resync, then a 10% config change.

`python benchmarks/operator_scale.py --agents 100 1000` starts, for each N, the Kubernetes API
emulator (`python -m tests.emulator`, its stand-in Deployment controller on, so `Ready` closes
the loop) and the real `agent-operator run -A` as subprocesses, then:

1. baseline: a plain client applies the very children `render_agent` builds for N Agents
   (server-side apply, the operator's concurrency budget) as fast as the emulator takes them:
   the ceiling the API allows, to which the operator's throughput is compared;
2. creates N Agents at once and follows them through watches (client-side clocks, since
   creationTimestamp has second resolution): time to all `Ready` with observedGeneration
   current, p50/p99 from creation to children applied and to `Ready`, API requests per Agent
   as the emulator counted them for the operator's user agents (Kopf's and `agent-operator`),
   the operator's peak RSS and CPU per Agent, the emulator's own CPU;
3. waits for one full resync with nothing changed: its requests, writes (must be 0) and CPU;
4. changes the instructions of 10% of the Agents: latency until the ConfigMap holds the new
   config, the Deployment's pod template changed and the Agent is `Ready` again.

Every wait is bounded; the script stops its processes whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent_operator.builders import render_agent
from benchmarks.common import (
    ROOT,
    RssSampler,
    cpu_seconds,
    free_port,
    machine,
    mb,
    percentile,
    print_table,
    ratio,
    stop_process,
    wait_http,
)
from tests.operator_e2e.operator import OperatorProcess

GROUP, VERSION, PLURAL = "agent-operator.io", "v1alpha1", "agents"
NAMESPACE, BASELINE_NAMESPACE = "bench", "baseline"
#: The operator's kube thread pool (`Kube(workers=16)`): the baseline gets the same budget.
CONCURRENCY = 16
#: The children every benchmark Agent has (no PDB: one replica; no HPA: no autoscaling).
CHILD_KINDS = ("ConfigMap", "Deployment", "Service", "ServiceAccount", "NetworkPolicy")
CHILD_PATHS = {
    "ConfigMap": "/api/v1/namespaces/{ns}/configmaps",
    "Deployment": "/apis/apps/v1/namespaces/{ns}/deployments",
    "Service": "/api/v1/namespaces/{ns}/services",
    "ServiceAccount": "/api/v1/namespaces/{ns}/serviceaccounts",
    "NetworkPolicy": "/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies",
}
AGENTS_PATH = f"/apis/{GROUP}/{VERSION}/namespaces/{{ns}}/{PLURAL}"
#: The operator's user agents as the emulator records them.
OPERATOR_AGENTS = ("kopf/", "agent-operator")
#: Seconds with no new request that mark the end of a resync.
QUIET_SECONDS = 1.5
#: The share of Agents whose instructions change in the update phase.
UPDATE_SHARE = 0.1


def agent_manifest(name: str, namespace: str, instructions: str = "You answer briefly.") -> Any:
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Agent",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "model": {"name": "mistral-small-latest", "endpoint": "http://mock-llm.demo.svc:8081"},
            "instructions": instructions,
        },
    }


@dataclasses.dataclass
class Timeline:
    """What the watches saw of one Agent, in monotonic seconds."""

    created: float | None = None
    children: dict[str, float] = dataclasses.field(default_factory=dict)
    children_done: float | None = None
    ready: float | None = None
    patched: float | None = None
    patched_generation: int | None = None
    config: str | None = None
    config_changed: float | None = None
    template: str | None = None
    template_changed: float | None = None
    rolled_out: float | None = None
    ready_again: float | None = None


class Watches:
    """Watches on the Agents and their children in one namespace, feeding the timelines."""

    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self.session = session
        self.base = base
        self.timelines: dict[str, Timeline] = {}
        self.tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self.tasks.append(asyncio.create_task(self._watch(AGENTS_PATH, self._on_agent)))
        for kind, path in CHILD_PATHS.items():
            self.tasks.append(asyncio.create_task(self._watch(path, self._child_handler(kind))))

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    def timeline(self, name: str) -> Timeline:
        return self.timelines.setdefault(name, Timeline())

    async def _watch(self, path: str, handle: Callable[[str, Any, float], None]) -> None:
        url = self.base + path.format(ns=NAMESPACE)
        version = ""
        while True:  # the server may end a watch; resume where it ended
            params = {"watch": "true", "timeoutSeconds": "3600"}
            if version:
                params["resourceVersion"] = version
            try:
                async with self.session.get(url, params=params, timeout=None) as response:
                    async for line in response.content:
                        if not line.strip():
                            continue
                        event = json.loads(line)
                        obj = event.get("object") or {}
                        version = (obj.get("metadata") or {}).get("resourceVersion", version)
                        handle(event.get("type", ""), obj, time.monotonic())
            except aiohttp.ClientError:
                await asyncio.sleep(0.1)

    def _on_agent(self, kind: str, obj: Any, now: float) -> None:
        if kind not in ("ADDED", "MODIFIED"):
            return
        meta, status = obj["metadata"], obj.get("status") or {}
        ready = any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in status.get("conditions") or []
        )
        if not ready or status.get("observedGeneration") != meta.get("generation"):
            return
        line = self.timeline(meta["name"])
        if line.ready is None:
            line.ready = now
        if line.patched_generation is not None and meta.get("generation") == (
            line.patched_generation
        ):
            line.ready_again = line.ready_again or now

    def _child_handler(self, kind: str) -> Callable[[str, Any, float], None]:
        def handle(event: str, obj: Any, now: float) -> None:
            if event not in ("ADDED", "MODIFIED"):
                return
            owner = next(
                (r["name"] for r in obj["metadata"].get("ownerReferences") or [] if r["kind"]),
                None,
            )
            if owner is None:
                return
            line = self.timeline(owner)
            line.children.setdefault(kind, now)
            if line.children_done is None and len(line.children) == len(CHILD_KINDS):
                line.children_done = now
            if kind == "ConfigMap":
                data = json.dumps(obj.get("data"), sort_keys=True)
                if line.config is not None and data != line.config and line.patched is not None:
                    line.config_changed = line.config_changed or now
                line.config = data
            elif kind == "Deployment":
                template = json.dumps(obj["spec"]["template"]["metadata"], sort_keys=True)
                if line.template is not None and template != line.template and line.patched:
                    line.template_changed = line.template_changed or now
                line.template = template
                observed = (obj.get("status") or {}).get("observedGeneration")
                if line.template_changed and observed == obj["metadata"].get("generation"):
                    line.rolled_out = line.rolled_out or now

        return handle


class Emulator:
    """`python -m tests.emulator` as a subprocess, with its request counts over HTTP."""

    def __init__(self, workdir: Path) -> None:
        self.port, self.control_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.control = f"http://127.0.0.1:{self.control_port}"
        self.kubeconfig = workdir / "kubeconfig"
        command = [
            sys.executable,
            "-m",
            "tests.emulator",
            "--port",
            str(self.port),
            "--crd",
            str(ROOT / "crds" / "agent.yaml"),
            "--deployment-controller",
            "--kubeconfig-out",
            str(self.kubeconfig),
            "--control-port",
            str(self.control_port),
        ]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=(workdir / "emulator.log").open("w"),
        )
        wait_http(f"{self.url}/version", self.process, "the emulator")
        wait_http(f"{self.control}/totals", self.process, "the emulator's control port")

    async def totals(self, session: aiohttp.ClientSession) -> dict[str, dict[str, int]]:
        """Requests so far by user agent class (`operator`, `other`) and verb; `detail`: the
        operator's by `verb resource`."""
        async with session.get(f"{self.control}/totals") as response:
            rows = await response.json()
        out: dict[str, dict[str, int]] = {"operator": {}, "other": {}, "detail": {}}
        for row in rows:
            who = "operator" if row["user_agent"].startswith(OPERATOR_AGENTS) else "other"
            out[who][row["verb"]] = out[who].get(row["verb"], 0) + int(row["count"])
            if who == "operator":
                key = f"{row['verb']} {row['resource']}"
                out["detail"][key] = out["detail"].get(key, 0) + int(row["count"])
        return out

    async def reset(self, session: aiohttp.ClientSession) -> None:
        async with session.post(f"{self.control}/reset") as response:
            response.raise_for_status()


def reads_writes(verbs: Mapping[str, int]) -> tuple[int, int, int]:
    """(reads other than watches, watches, writes)."""
    reads = sum(verbs.get(v, 0) for v in ("get", "list"))
    writes = sum(verbs.get(v, 0) for v in ("create", "update", "patch", "delete"))
    return reads, verbs.get("watch", 0), writes


async def bounded(concurrency: int, jobs: Sequence[Callable[[], Awaitable[None]]]) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(job: Callable[[], Awaitable[None]]) -> None:
        async with gate:
            await job()

    await asyncio.gather(*(one(job) for job in jobs))


async def send(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    body: Any,
    content_type: str = "application/json",
    params: Mapping[str, str] | None = None,
) -> Any:
    async with session.request(
        method, url, data=json.dumps(body), params=params, headers={"Content-Type": content_type}
    ) as response:
        if response.status >= 300:
            raise SystemExit(f"{method} {url} answered {response.status}: {await response.text()}")
        return await response.json()


def child_url(base: str, obj: Mapping[str, Any]) -> str:
    meta = obj["metadata"]
    collection = CHILD_PATHS[obj["kind"]].format(ns=meta["namespace"])
    return f"{base}{collection}/{meta['name']}"


async def baseline(session: aiohttp.ClientSession, base: str, n: int) -> float:
    """Seconds for a plain client to server-side apply N Agents' children."""
    objects = [
        obj
        for i in range(n)
        for obj in render_agent(
            {
                **agent_manifest(f"agent-{i:05d}", BASELINE_NAMESPACE),
                "metadata": {
                    "name": f"agent-{i:05d}",
                    "namespace": BASELINE_NAMESPACE,
                    "uid": f"uid-{i}",
                    "generation": 1,
                },
            }
        )
    ]
    params = {"fieldManager": "agent-bench", "force": "true"}

    def job(obj: Any) -> Callable[[], Awaitable[None]]:
        async def apply() -> None:
            await send(
                session, "PATCH", child_url(base, obj), obj, "application/apply-patch+yaml", params
            )

        return apply

    started = time.monotonic()
    await bounded(CONCURRENCY, [job(obj) for obj in objects])
    return time.monotonic() - started


async def wait_until(check: Callable[[], bool], limit: float, what: str) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > limit:
            raise SystemExit(f"timed out after {limit:.0f}s waiting for {what}")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


@dataclasses.dataclass
class Result:
    """The figures of one N."""

    n: int
    baseline_seconds: float = 0.0
    ready_seconds: float = 0.0
    children_p50: float = 0.0
    children_p99: float = 0.0
    ready_p50: float = 0.0
    ready_p99: float = 0.0
    create_reads: int = 0
    create_watches: int = 0
    create_writes: int = 0
    create_detail: dict[str, int] = dataclasses.field(default_factory=dict)
    resync_writes_detail: dict[str, int] = dataclasses.field(default_factory=dict)
    create_cpu: float = 0.0
    emulator_cpu: float = 0.0
    baseline_emulator_cpu: float = 0.0
    rss_peak: int = 0
    rss_start: int = 0
    resync_seen: bool = False
    resync_seconds: float = 0.0
    resync_reads: int = 0
    resync_writes: int = 0
    resync_cpu: float = 0.0
    update_n: int = 0
    update_p50: float = 0.0
    update_p99: float = 0.0
    update_writes: int = 0


async def run_one(n: int, resync_seconds: float, workdir: Path, verbose: bool) -> Result:
    result = Result(n=n)
    emulator = Emulator(workdir)
    operator: OperatorProcess | None = None
    connector = aiohttp.TCPConnector(limit=CONCURRENCY * 4)
    headers = {"User-Agent": "agent-bench", "Authorization": "Bearer emulator-token"}
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        try:
            for ns in (NAMESPACE, BASELINE_NAMESPACE):
                body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}
                await send(session, "POST", f"{emulator.url}/api/v1/namespaces", body)

            cpu0 = cpu_seconds(emulator.process.pid)
            result.baseline_seconds = await baseline(session, emulator.url, n)
            result.baseline_emulator_cpu = cpu_seconds(emulator.process.pid) - cpu0
            await asyncio.sleep(1.0)  # the Deployment controller's status writes settle

            operator = OperatorProcess(
                emulator.kubeconfig,
                workdir / "operator.log",
                env={"AGENT_OPERATOR_RESYNC_INTERVAL_SECONDS": str(resync_seconds)},
                verbose=verbose,
            ).start()
            assert operator.process is not None
            pid = operator.process.pid
            sampler = RssSampler(pid).start()
            await asyncio.sleep(1.0)  # the operator's initial lists and watches
            result.rss_start = sampler.sample()
            started_at = time.monotonic()
            watches = Watches(session, emulator.url)
            watches.start()
            await asyncio.sleep(0.3)
            await emulator.reset(session)
            cpu_op0, cpu_em0 = cpu_seconds(pid), cpu_seconds(emulator.process.pid)
            await create_agents(session, emulator.url, watches, n)
            lines = [watches.timeline(f"agent-{i:05d}") for i in range(n)]
            await wait_until(
                lambda: all(line.ready is not None for line in lines),
                limit=max(60.0, n * 0.5),
                what=f"{n} Agents to be Ready",
            )
            first = min(line.created or 0.0 for line in lines)
            last_ready = max(line.ready or 0.0 for line in lines)
            result.ready_seconds = last_ready - first
            result.create_cpu = cpu_seconds(pid) - cpu_op0
            result.emulator_cpu = cpu_seconds(emulator.process.pid) - cpu_em0
            to_children = [(x.children_done or 0) - (x.created or 0) for x in lines]
            to_ready = [(x.ready or 0) - (x.created or 0) for x in lines]
            result.children_p50, result.children_p99 = (
                percentile(to_children, 50),
                percentile(to_children, 99),
            )
            result.ready_p50, result.ready_p99 = percentile(to_ready, 50), percentile(to_ready, 99)
            await asyncio.sleep(1.0)  # late status writes land before counting
            totals = await emulator.totals(session)
            result.create_detail = totals["detail"]
            result.create_reads, result.create_watches, result.create_writes = reads_writes(
                totals["operator"]
            )
            result.rss_peak = sampler.peak

            await measure_resync(session, emulator, pid, n, resync_seconds, started_at, result)
            await measure_update(session, emulator, watches, lines, result)
            sampler.stop()
            result.rss_peak = max(result.rss_peak, sampler.peak)
            await watches.stop()
        finally:
            if operator is not None:
                operator.stop()
            stop_process(emulator.process)
    return result


async def create_agents(
    session: aiohttp.ClientSession, base: str, watches: Watches, n: int
) -> None:
    """N Agents at once (a client's many connections), each timed when the API accepted it."""
    url = base + AGENTS_PATH.format(ns=NAMESPACE)

    def job(i: int) -> Callable[[], Awaitable[None]]:
        async def create() -> None:
            name = f"agent-{i:05d}"
            await send(session, "POST", url, agent_manifest(name, NAMESPACE))
            watches.timeline(name).created = time.monotonic()

        return create

    await bounded(CONCURRENCY * 2, [job(i) for i in range(n)])


async def measure_resync(
    session: aiohttp.ClientSession,
    emulator: Emulator,
    pid: int,
    n: int,
    interval: float,
    started_at: float,
    result: Result,
) -> None:
    """Wait for the next resync (bounded), then count its requests and CPU until it is quiet."""
    await emulator.reset(session)
    deadline = started_at + interval * 2.5 + 10
    began: float | None = None
    cpu0 = 0.0
    last_total, last_change = -1, time.monotonic()
    while time.monotonic() < deadline:
        counts = (await emulator.totals(session))["operator"]
        reads, _, writes = reads_writes(counts)
        if began is None and reads:
            began, cpu0 = time.monotonic(), cpu_seconds(pid)
        if reads + writes != last_total:
            last_total, last_change = reads + writes, time.monotonic()
        elif began is not None and reads >= n and time.monotonic() - last_change > QUIET_SECONDS:
            result.resync_seen = True
            result.resync_seconds = last_change - began
            result.resync_cpu = cpu_seconds(pid) - cpu0
            result.resync_reads, result.resync_writes = reads, writes
            detail = (await emulator.totals(session))["detail"]
            result.resync_writes_detail = {
                k: v for k, v in detail.items() if k.split()[0] not in ("get", "list", "watch")
            }
            return
        await asyncio.sleep(0.1)


async def measure_update(
    session: aiohttp.ClientSession,
    emulator: Emulator,
    watches: Watches,
    lines: Sequence[Timeline],
    result: Result,
) -> None:
    """Change the instructions of 10% of the Agents; time until each is rolled out and Ready."""
    step = max(1, round(1 / UPDATE_SHARE))
    chosen = [(f"agent-{i:05d}", lines[i]) for i in range(0, len(lines), step)]
    result.update_n = len(chosen)
    await emulator.reset(session)
    url = emulator.url + AGENTS_PATH.format(ns=NAMESPACE)

    def job(name: str, line: Timeline) -> Callable[[], Awaitable[None]]:
        async def patch() -> None:
            line.patched = time.monotonic()
            answer = await send(
                session,
                "PATCH",
                f"{url}/{name}",
                {"spec": {"instructions": "You answer in one short sentence."}},
                "application/merge-patch+json",
            )
            line.patched_generation = int(answer["metadata"]["generation"])

        return patch

    await bounded(CONCURRENCY * 2, [job(name, line) for name, line in chosen])

    def rolled(line: Timeline) -> bool:
        return None not in (line.config_changed, line.rolled_out, line.ready_again)

    await wait_until(
        lambda: all(rolled(line) for _, line in chosen),
        limit=max(60.0, len(chosen) * 0.5),
        what="the changed Agents to roll out",
    )
    latencies = [
        max(line.config_changed or 0, line.rolled_out or 0, line.ready_again or 0)
        - (line.patched or 0)
        for _, line in chosen
    ]
    result.update_p50, result.update_p99 = percentile(latencies, 50), percentile(latencies, 99)
    await asyncio.sleep(1.0)
    _, _, result.update_writes = reads_writes((await emulator.totals(session))["operator"])


def report(results: Sequence[Result]) -> None:
    print(f"\nMachine: {machine()}")
    for r in results:
        per_s = r.n / r.ready_seconds
        base_per_s = r.n / r.baseline_seconds
        rows: list[Sequence[object]] = [
            ("Agents/s to Ready", per_s, base_per_s, ratio(per_s, base_per_s), ">= 50 at N=1000"),
            ("seconds until all Ready", r.ready_seconds, r.baseline_seconds, "-", ""),
            ("p50 created -> children applied, s", r.children_p50, "-", "-", ""),
            ("p99 created -> children applied, s", r.children_p99, "-", "-", ""),
            ("p50 created -> Ready, s", r.ready_p50, "-", "-", ""),
            ("p99 created -> Ready, s", r.ready_p99, "-", "-", ""),
            (
                "API writes per Agent",
                r.create_writes / r.n,
                len(CHILD_KINDS),
                ratio(r.create_writes / r.n, len(CHILD_KINDS)),
                f"<= {len(CHILD_KINDS) + 3}",
            ),
            ("API reads per Agent (get/list)", r.create_reads / r.n, 0, "-", ""),
            ("watch requests (total)", r.create_watches, "-", "-", ""),
            ("operator CPU ms per Agent", r.create_cpu / r.n * 1000, "-", "-", ""),
            (
                "emulator CPU ms per Agent",
                r.emulator_cpu / r.n * 1000,
                r.baseline_emulator_cpu / r.n * 1000,
                ratio(r.emulator_cpu, r.baseline_emulator_cpu),
                "",
            ),
            (
                "operator RSS MB (start / peak)",
                f"{mb(r.rss_start):.0f} / {mb(r.rss_peak):.0f}",
                "-",
                "-",
                "<= 200 at N=1000",
            ),
            (
                "no-op resync: writes",
                r.resync_writes if r.resync_seen else "not seen",
                0,
                "-",
                "0",
            ),
            ("no-op resync: reads per Agent", r.resync_reads / r.n, "-", "-", ""),
            ("no-op resync: seconds", r.resync_seconds, "-", "-", ""),
            ("no-op resync: operator CPU ms per Agent", r.resync_cpu / r.n * 1000, "-", "-", ""),
            (f"update {r.update_n} Agents: p50 rollout, s", r.update_p50, "-", "-", ""),
            (f"update {r.update_n} Agents: p99 rollout, s", r.update_p99, "-", "-", ""),
            (
                "update: writes per updated Agent",
                r.update_writes / max(1, r.update_n),
                "-",
                "-",
                "",
            ),
        ]
        header = (f"N = {r.n}", "operator", "baseline (plain client)", "ratio", "target")
        print_table(f"Operator at N = {r.n}", header, rows)
        detail = ", ".join(f"{k}: {v / r.n:.2f}" for k, v in sorted(r.create_detail.items()))
        print(f"\nOperator requests per Agent while creating: {detail}")
        resync = ", ".join(f"{k}: {v}" for k, v in sorted(r.resync_writes_detail.items()))
        print(f"\nOperator writes during the no-op resync: {resync or 'none'}")
    if len(results) >= 2:
        a, b = results[0], results[-1]
        slope = (b.rss_peak - a.rss_peak) / (b.n - a.n)
        linear = b.rss_peak / a.rss_peak / (b.n / a.n) if a.rss_peak else float("nan")
        print(
            f"\nRSS slope between N={a.n} and N={b.n}: {slope / 1024:.1f} KiB per Agent; "
            f"peak grew {b.rss_peak / a.rss_peak:.2f}x for {b.n / a.n:.0f}x the Agents "
            f"({linear:.2f} of linear)"
        )


async def main_async(args: argparse.Namespace) -> list[Result]:
    results = []
    for n in args.agents:
        resync = args.resync_seconds or max(10.0, 10.0 + n * 0.04)
        mode = "--verbose" if args.verbose else "default logging, as the chart runs it"
        print(
            f"N = {n}: baseline, create, resync (every {resync:.0f}s), update; operator: {mode}",
            flush=True,
        )
        if args.workdir is not None:  # logs kept for reading afterwards
            workdir = args.workdir / str(n)
            workdir.mkdir(parents=True, exist_ok=True)
            results.append(await run_one(n, resync, workdir, args.verbose))
            continue
        with tempfile.TemporaryDirectory(prefix="operator-scale-") as tmp:
            results.append(await run_one(n, resync, Path(tmp), args.verbose))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--agents", type=int, nargs="+", default=[100], help="N, one run each")
    parser.add_argument(
        "--resync-seconds", type=float, default=0.0, help="resync interval (default: from N)"
    )
    parser.add_argument("--workdir", type=Path, help="keep the logs here (default: a temp dir)")
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="run the operator with --verbose (default: as the chart runs it, without)",
    )
    args = parser.parse_args(argv)
    report(asyncio.run(main_async(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
