"""The runtime under load: `agent-runtime serve` against `agent-runtime mock-llm`, beside the
plain tool loop it replaces.

Each request needs two model calls and one tool call: the mock model's default policy calls
the first offered tool, then answers from its result, and the tool is the mock's own
`GET /demo/weather`. The config is what `agent-operator render` builds for
`examples/local/weather.yaml`, pointed at the mock's port.

- baseline, same run, same mock, same concurrency: the plain loop on the `mistralai` SDK
  (`chat.complete_async`, the tool over httpx, `chat.complete_async` again) with no server;
- at each concurrency (1, 16, 64, 256 by default; a bounded request count each): requests/s,
  p50/p99 latency, the runtime's added latency, CPU per request;
- time to first streamed token: the runtime's stream vs the same loop whose last call is the
  SDK's own `chat.stream_async`;
- the runtime's RSS idle and under load; `--soak N`: RSS over N more requests after warm-up;
- the APIs side by side, same run, same runtime: chat completions, OpenAI's Responses API
  (`POST /v1/responses`) and A2A (`SendMessage` at `/a2a`), each the same question, each
  level run in turn, the ratio against chat completions;
- scaling: uvicorn `--workers 2`, and two runtime processes behind the load generator's round
  robin; the mock's own ceiling, since on 2 cores the load generator (this process), the mock
  and the runtime share the CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import itertools
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import httpx
import yaml
from mistralai.client import Mistral
from mistralai.client.utils import serializers

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent_operator.builders import render_agent
from benchmarks.common import (
    ROOT,
    RssSampler,
    bin_path,
    cpu_seconds,
    free_port,
    machine,
    mb,
    percentile,
    print_table,
    ratio,
    rss_bytes,
    stop_process,
    wait_http,
)

# The SDK's model factory as shipped, then as the runtime fixes it on import (agent_runtime.model
# builds each (un)marshalling model once): the plain loop is measured both ways.
SHIPPED_CREATE_MODEL = serializers.create_model  # type: ignore[attr-defined]
importlib.import_module("agent_runtime.model")
FIXED_CREATE_MODEL = serializers.create_model  # type: ignore[attr-defined]
serializers.create_model = SHIPPED_CREATE_MODEL  # type: ignore[attr-defined]

EXAMPLE = ROOT / "examples" / "local" / "weather.yaml"
QUESTION = "What is the weather in Paris"
#: Requests before each measurement, so connection pools and caches are warm.
WARMUP = 10
#: The longest a single request may take before the benchmark counts it as failed.
REQUEST_TIMEOUT = 60.0
#: Concurrency of the soak.
SOAK_CONCURRENCY = 16

Call = Callable[[], Awaitable[None]]
T = TypeVar("T")


@dataclass
class Level:
    """What one load level measured."""

    concurrency: int
    requests: int
    seconds: float
    latencies: list[float]
    errors: int
    cpu: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def p(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000


async def run_level(call: Call, concurrency: int, requests: int) -> Level:
    """`requests` calls with `concurrency` in flight; each timed from start to answer."""
    for _ in range(min(WARMUP, requests)):
        await call()
    latencies: list[float] = []
    errors = 0
    counter = itertools.count()

    async def worker() -> None:
        nonlocal errors
        while next(counter) < requests:
            started = time.perf_counter()
            try:
                await call()
            except Exception:
                errors += 1
                continue
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Level(concurrency, requests, time.perf_counter() - started, latencies, errors)


# --- The plain loop (baseline) ------------------------------------------------------------------


class PlainLoop:
    """The seed's loop, no server: model, tool over httpx, model again."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.sdk = Mistral(api_key="unused", server_url=config["model"]["endpoint"])
        self.http = httpx.AsyncClient(
            timeout=REQUEST_TIMEOUT, limits=httpx.Limits(max_connections=None)
        )
        tool = config["tools"][0]
        self.tool_url = tool["http"]["url"]
        self.tools = [
            {
                "type": "function",
                "function": {
                    "name": tool["name"],
                    "description": tool["description"],
                    "parameters": tool["parameters"],
                },
            }
        ]

    def _first_messages(self) -> list[dict[str, Any]]:
        return [
            {"role": "system", "content": self.config["instructions"]},
            {"role": "user", "content": QUESTION},
        ]

    async def _tool_turn(self) -> list[dict[str, Any]]:
        messages = self._first_messages()
        first = await self.sdk.chat.complete_async(
            model=self.config["model"]["name"],
            messages=cast(Any, messages),
            tools=self.tools,  # type: ignore[arg-type]
        )
        message = first.choices[0].message
        assert message is not None
        assert message.tool_calls
        call = message.tool_calls[0]
        arguments = call.function.arguments
        args = json.loads(arguments) if isinstance(arguments, str) else arguments
        answer = await self.http.get(self.tool_url, params=args)
        messages.append(
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.function.name, "arguments": json.dumps(args)},
                    }
                ],
            }
        )
        messages.append(
            {
                "role": "tool",
                "tool_call_id": call.id,
                "name": call.function.name,
                "content": answer.text,
            }
        )
        return messages

    async def ask(self) -> None:
        messages = await self._tool_turn()
        final = await self.sdk.chat.complete_async(
            model=self.config["model"]["name"],
            messages=cast(Any, messages),
            tools=self.tools,  # type: ignore[arg-type]
        )
        assert final.choices[0].message is not None

    async def first_token(self) -> float:
        """Seconds to the first streamed content of the final answer."""
        started = time.perf_counter()
        messages = await self._tool_turn()
        stream = await self.sdk.chat.stream_async(
            model=self.config["model"]["name"],
            messages=cast(Any, messages),
            tools=self.tools,  # type: ignore[arg-type]
        )
        first = 0.0
        async with stream:
            async for event in stream:
                delta = event.data.choices[0].delta if event.data.choices else None
                if not first and delta is not None and delta.content:
                    first = time.perf_counter() - started
        return first

    async def aclose(self) -> None:
        await self.http.aclose()


# --- The runtime --------------------------------------------------------------------------------


class RuntimeClient:
    """The load generator's side of one or more runtimes (round robin over their URLs)."""

    def __init__(self, urls: Sequence[str]) -> None:
        self.urls = itertools.cycle(urls)
        self.http = httpx.AsyncClient(
            timeout=REQUEST_TIMEOUT, limits=httpx.Limits(max_connections=None)
        )
        self.body = {"messages": [{"role": "user", "content": QUESTION}]}

    async def ask(self) -> None:
        answer = await self.http.post(f"{next(self.urls)}/v1/chat/completions", json=self.body)
        answer.raise_for_status()

    async def ask_responses(self) -> None:
        body = {"input": QUESTION}
        answer = await self.http.post(f"{next(self.urls)}/v1/responses", json=body)
        answer.raise_for_status()
        if answer.json()["status"] != "completed":
            raise RuntimeError(f"the response did not complete: {answer.text[:200]}")

    async def ask_a2a(self) -> None:
        message = {"role": "ROLE_USER", "messageId": "m", "parts": [{"text": QUESTION}]}
        body = {"jsonrpc": "2.0", "id": 1, "method": "SendMessage", "params": {"message": message}}
        answer = await self.http.post(
            f"{next(self.urls)}/a2a", json=body, headers={"A2A-Version": "1.0"}
        )
        answer.raise_for_status()
        state = answer.json().get("result", {}).get("task", {}).get("status", {}).get("state")
        if state != "TASK_STATE_COMPLETED":
            raise RuntimeError(f"the A2A task did not complete: {answer.text[:200]}")

    async def first_token(self) -> float:
        started = time.perf_counter()
        body = {**self.body, "stream": True}
        first = 0.0
        async with self.http.stream(
            "POST", f"{next(self.urls)}/v1/chat/completions", json=body
        ) as answer:
            answer.raise_for_status()
            async for line in answer.aiter_lines():
                if first or not line.startswith("data: {"):
                    continue
                choices = json.loads(line[6:]).get("choices") or [{}]
                if (choices[0].get("delta") or {}).get("content"):
                    first = time.perf_counter() - started
        return first

    async def aclose(self) -> None:
        await self.http.aclose()


@contextmanager
def process(command: list[str], ready_url: str, what: str) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(ready_url, proc, what)
        yield proc
    finally:
        stop_process(proc)


def runtime_config(mock_port: int) -> dict[str, Any]:
    agent = yaml.safe_load(EXAMPLE.read_text())
    config_map = next(c for c in render_agent(agent) if c["kind"] == "ConfigMap")
    text = config_map["data"]["agent.json"].replace("127.0.0.1:8081", f"127.0.0.1:{mock_port}")
    config: dict[str, Any] = json.loads(text)
    return config


@contextmanager
def runtime(config_path: Path, workers: int = 1) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    command = [
        bin_path("agent-runtime"),
        "serve",
        "--config",
        str(config_path),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    url = f"http://127.0.0.1:{port}"
    with process(command, f"{url}/readyz", "agent-runtime serve") as proc:
        yield url, proc


async def mock_ceiling(mock_url: str, concurrency: int, requests: int) -> Level:
    """The mock's own throughput on plain completions (no tools), at high concurrency."""
    async with httpx.AsyncClient(
        timeout=REQUEST_TIMEOUT, limits=httpx.Limits(max_connections=None)
    ) as http:
        body = {"model": "mock", "messages": [{"role": "user", "content": "hello"}]}

        async def call() -> None:
            (await http.post(f"{mock_url}/v1/chat/completions", json=body)).raise_for_status()

        return await run_level(call, concurrency, requests)


async def main_async(args: argparse.Namespace) -> int:
    mock_port = free_port()
    mock_url = f"http://127.0.0.1:{mock_port}"
    mock_cmd = [
        bin_path("agent-runtime"),
        "mock-llm",
        "--host",
        "127.0.0.1",
        "--port",
        str(mock_port),
    ]
    mock_cmd += ["--latency-ms", str(args.latency_ms)]
    config = runtime_config(mock_port)
    print(f"Machine: {machine()}; mock model latency {args.latency_ms} ms", flush=True)
    with (
        tempfile.TemporaryDirectory(prefix="runtime-load-") as tmp,
        process(mock_cmd, f"{mock_url}/v1/models", "agent-runtime mock-llm") as mock_proc,
    ):
        config_path = Path(tmp) / "agent.json"
        config_path.write_text(json.dumps(config))
        plain = PlainLoop(config)
        n_for = {c: max(args.requests, 4 * c) for c in args.concurrency}
        rows: list[Sequence[object]] = []
        latency_rows: list[Sequence[object]] = []
        ttft_rows: list[Sequence[object]] = []
        with runtime(config_path) as (url, proc):
            client = RuntimeClient([url])
            await asyncio.sleep(1.0)
            idle_rss = rss_bytes(proc.pid)
            sampler = RssSampler(proc.pid).start()
            # Each level runs the plain loop twice, with the SDK as shipped (what the runtime
            # replaced) and with the runtime's SDK fix (isolating the runtime's own cost),
            # then the runtime: side by side, so a busy machine weighs on all three alike.
            for c in args.concurrency:
                shipped = await with_sdk(False, run_level(plain.ask, c, n_for[c]))
                fixed = await with_sdk(True, run_level(plain.ask, c, n_for[c]))
                cpu0 = cpu_seconds(proc.pid)
                level = await run_level(client.ask, c, n_for[c])
                level.cpu = cpu_seconds(proc.pid) - cpu0  # includes the few warm-up requests
                rows.append(throughput_row(level, shipped, fixed))
                latency_rows.append(latency_row(level, shipped, fixed))
            warm_rss = rss_bytes(proc.pid)
            loaded_rss = sampler.peak
            api_rows = await apis_side_by_side(client, args.concurrency, n_for)
            shipped_tt, fixed_tt, run_tt = await first_tokens(plain, client, args.ttft_samples)
            for q in (50, 99):
                r = percentile(run_tt, q) * 1000
                b, f = percentile(shipped_tt, q) * 1000, percentile(fixed_tt, q) * 1000
                ttft_rows.append((f"p{q} time to first token, ms", r, b, r - b, f, r - f))
            soak_rows = await soak(client, proc.pid, args.soak) if args.soak else []
            sampler.stop()
            await client.aclose()
        mem_rows: list[Sequence[object]] = [
            ("idle (started, no request yet)", f"{mb(idle_rss):.0f}", "<= 150"),
            ("after the load levels", f"{mb(warm_rss):.0f}", ""),
            ("peak under load", f"{mb(loaded_rss):.0f}", ""),
            *soak_rows,
        ]
        sc = args.scaling_concurrency
        scaling = await scaling_rows(config_path, plain, sc, max(args.requests * 2, 2 * sc))
        ceiling = await mock_ceiling(mock_url, sc, max(args.requests * 2, 4 * sc))
        mock_cpu = cpu_seconds(mock_proc.pid)
        await plain.aclose()

    print_table(
        "Throughput: runtime vs the plain SDK loop (2 model calls + 1 tool call per request)",
        (
            "concurrency",
            "requests",
            "runtime req/s",
            "plain req/s (SDK as shipped)",
            "ratio (>= 0.8)",
            "plain req/s (SDK fixed)",
            "ratio",
            "runtime CPU ms/req",
            "errors",
        ),
        rows,
    )
    print_table(
        "Latency (ms): the runtime's added latency is its p50 minus the plain loop's",
        (
            "concurrency",
            "runtime p50",
            "plain p50 (shipped)",
            "added p50 (<= 5 at c=1)",
            "plain p50 (fixed)",
            "added p50 vs fixed",
            "runtime p99",
            "plain p99 (shipped)",
            "plain p99 (fixed)",
        ),
        latency_rows,
    )
    print_table(
        "APIs side by side: the same request as chat completions, a response, an A2A message",
        (
            "concurrency",
            "chat req/s",
            "responses req/s",
            "ratio",
            "A2A req/s",
            "ratio",
            "chat p50 ms",
            "responses p50 ms",
            "A2A p50 ms",
            "errors",
        ),
        api_rows,
    )
    print_table(
        "Streaming: time to first token of the final answer (after the tool turn)",
        (
            "figure",
            "runtime",
            "plain, SDK stream_async (shipped)",
            "overhead ms (<= 5)",
            "plain (fixed)",
            "overhead vs fixed",
        ),
        ttft_rows,
    )
    print_table("Runtime RSS (MB)", ("when", "RSS MB", "target"), mem_rows)
    print_table(
        f"Scaling at concurrency {args.scaling_concurrency}",
        ("setup", "req/s", "vs 1 process, 1 worker"),
        scaling,
    )
    print(
        f"\nMock model ceiling (plain completions, concurrency {args.scaling_concurrency}): "
        f"{ceiling.rps:.0f} req/s, i.e. {ceiling.rps / 3:.0f} agent requests/s at 3 calls each; "
        f"mock CPU over the whole run {mock_cpu:.1f} s"
    )
    return 0


def throughput_row(level: Level, shipped: Level, fixed: Level) -> Sequence[object]:
    return (
        level.concurrency,
        level.requests,
        level.rps,
        shipped.rps,
        ratio(level.rps, shipped.rps),
        fixed.rps,
        ratio(level.rps, fixed.rps),
        level.cpu / level.requests * 1000,
        level.errors + shipped.errors + fixed.errors,
    )


def latency_row(level: Level, shipped: Level, fixed: Level) -> Sequence[object]:
    return (
        level.concurrency,
        level.p(50),
        shipped.p(50),
        level.p(50) - shipped.p(50),
        fixed.p(50),
        level.p(50) - fixed.p(50),
        level.p(99),
        shipped.p(99),
        fixed.p(99),
    )


async def apis_side_by_side(
    client: RuntimeClient, levels: Sequence[int], n_for: dict[int, int]
) -> list[Sequence[object]]:
    """Each level run as chat completions, then Responses, then A2A, on the same runtime."""
    rows: list[Sequence[object]] = []
    for c in levels:
        chat = await run_level(client.ask, c, n_for[c])
        responses = await run_level(client.ask_responses, c, n_for[c])
        a2a = await run_level(client.ask_a2a, c, n_for[c])
        rows.append(
            (
                c,
                chat.rps,
                responses.rps,
                ratio(responses.rps, chat.rps),
                a2a.rps,
                ratio(a2a.rps, chat.rps),
                chat.p(50),
                responses.p(50),
                a2a.p(50),
                chat.errors + responses.errors + a2a.errors,
            )
        )
    return rows


async def first_tokens(
    plain: PlainLoop, client: RuntimeClient, samples: int
) -> tuple[list[float], list[float], list[float]]:
    """Seconds to the first token, sampled in turn: plain (shipped, fixed), then the runtime."""
    shipped: list[float] = []
    fixed: list[float] = []
    runtime_: list[float] = []
    for i in range(samples + 3):  # the first three warm up
        a = await with_sdk(False, plain.first_token())
        b = await with_sdk(True, plain.first_token())
        c = await client.first_token()
        if i >= 3:
            shipped.append(a)
            fixed.append(b)
            runtime_.append(c)
    return shipped, fixed, runtime_


async def with_sdk(fixed: bool, work: Awaitable[T]) -> T:
    """Run `work` with the Mistral SDK as shipped, or with the runtime's fix to it."""
    serializers.create_model = FIXED_CREATE_MODEL if fixed else SHIPPED_CREATE_MODEL  # type: ignore[attr-defined]
    try:
        return await work
    finally:
        serializers.create_model = SHIPPED_CREATE_MODEL  # type: ignore[attr-defined]


async def soak(client: RuntimeClient, pid: int, n: int) -> list[Sequence[object]]:
    """N requests after warm-up; RSS at each tenth: flat means within ±10% of the first."""
    marks: list[int] = []
    step = max(1, n // 10)
    for _ in range(10):
        await run_level(client.ask, SOAK_CONCURRENCY, step)
        marks.append(rss_bytes(pid))
    first, last, top = marks[0], marks[-1], max(marks)
    drift = (last - first) / first * 100
    return [
        (f"soak: after {step} of {n} requests", f"{mb(first):.0f}", ""),
        (
            f"soak: after {n} requests (max {mb(top):.0f})",
            f"{mb(last):.0f}",
            f"{drift:+.1f}% (±10%)",
        ),
    ]


async def scaling_rows(
    config_path: Path, plain: PlainLoop, concurrency: int, n: int
) -> list[Sequence[object]]:
    """Requests/s of one runtime, of `--workers 2`, of two replicas, of the plain loop."""
    results: list[tuple[str, float]] = []
    with runtime(config_path) as (url, _):
        results.append(("1 process, 1 worker", await _rps([url], concurrency, n)))
    with runtime(config_path, workers=2) as (url, _):
        results.append(("1 process, --workers 2", await _rps([url], concurrency, n)))
    with runtime(config_path) as (url_a, _), runtime(config_path) as (url_b, _):
        results.append(("2 replicas, round robin", await _rps([url_a, url_b], concurrency, n)))
    results.append(
        (
            "plain SDK loop (SDK fixed)",
            (await with_sdk(True, run_level(plain.ask, concurrency, n))).rps,
        )
    )
    one = results[0][1]
    return [(name, rps, ratio(rps, one)) for name, rps in results]


async def _rps(urls: Sequence[str], concurrency: int, n: int) -> float:
    client = RuntimeClient(urls)
    try:
        return (await run_level(client.ask, concurrency, n)).rps
    finally:
        await client.aclose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--concurrency", type=int, nargs="+", default=[1, 16, 64, 256], help="load levels"
    )
    parser.add_argument(
        "--requests", type=int, default=200, help="requests per level (at least 4 per client)"
    )
    parser.add_argument("--latency-ms", type=int, default=20, help="the mock model's latency")
    parser.add_argument("--ttft-samples", type=int, default=50, help="streamed requests timed")
    parser.add_argument(
        "--scaling-concurrency", type=int, default=64, help="concurrency of the scaling runs"
    )
    parser.add_argument("--soak", type=int, default=0, help="N more requests, RSS checked")
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
