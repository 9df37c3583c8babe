"""The runtime soaked under faults: N requests with injected model and tool faults.

`python benchmarks/runtime_soak.py --requests 10000` serves an agent with
`agent-runtime serve` (a real process on 127.0.0.1), against a fake model and a tool server
that fail on purpose, each at its own rate (5% by default):

- model calls: a 429 with Retry-After, a 503, a dropped connection, a malformed body, or an
  answer slower than the model's timeout (retried up to three attempts in all);
- tool calls: a 503, an answer that breaks the tool's output schema, or one slower than the
  tool's timeout (one attempt: every fault reaches the model as an error).

Each request takes two model calls and one tool call (the fake model calls the tool, then
answers from its result); one in ten is streamed. It checks what must hold however many
requests are sent: every request is answered (a 200, or an error with a code), none waits
past the request timeout plus a grace; `agent_requests_total` by status sums to the number
sent and matches what the clients saw; `agent_tool_calls_total` by outcome sums to the tool
results the model was given (each counted once by its call id, whatever retries of the model
call followed), its failures to the errors the model was told; the served process's RSS
stays flat after the warm-up. (The tool server's own count can fall short of the calls: a
call that times out before a busy server reads it is never seen there.)
`tests/runtime_reliability/test_soak.py` runs the same soak, smaller, in the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent_runtime.mockllm import Fault, MockLLM, RecordedRequest, ScriptedReply
from agent_runtime.mockllm import create_app as create_model_app
from agent_runtime.testing import running_app
from benchmarks.common import free_port, mb, stop_process, wait_http

#: The agent's bounds: a model call times out after 1 s, a request after 10 s.
MODEL_TIMEOUT_SECONDS = 1.0
TOOL_TIMEOUT_SECONDS = 0.5
REQUEST_TIMEOUT_SECONDS = 10.0
#: Slack on top of the request timeout before a client calls a request unanswered.
GRACE_SECONDS = 5.0
#: The model faults drawn from, uniformly; a slow answer outlasts the model's timeout.
MODEL_FAULTS = (
    Fault("status", status=429, retry_after=0.05),
    Fault("status", status=503),
    Fault("drop"),
    Fault("malformed"),
    Fault("delay", seconds=MODEL_TIMEOUT_SECONDS + 0.5),
)
#: The tool faults drawn from, uniformly.
TOOL_FAULTS = ("status", "invalid", "slow")
#: One request in this many is streamed.
STREAM_EVERY = 10
#: RSS is sampled this many times over the run after the warm-up.
RSS_SAMPLES = 10


@dataclass(frozen=True)
class SoakSettings:
    """How hard and how long to soak."""

    requests: int = 10_000
    concurrency: int = 16
    model_fault_rate: float = 0.05
    tool_fault_rate: float = 0.05
    warmup: int = 500
    seed: int = 7


@dataclass
class SoakReport:
    """What the soak saw, from the clients, the servers, the metrics and the process."""

    sent: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    by_code: Counter[str] = field(default_factory=Counter)
    unanswered: list[str] = field(default_factory=list)
    streamed: int = 0
    stream_error_chunks: int = 0
    model_calls_seen: int = 0
    model_faults: int = 0
    tool_calls_seen: int = 0
    tool_faults: int = 0
    tool_results: int = 0
    tool_errors: int = 0
    metric_requests: dict[str, float] = field(default_factory=dict)
    metric_tool_outcomes: dict[str, float] = field(default_factory=dict)
    rss_samples: list[int] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rss_after_warmup(self) -> int:
        return self.rss_samples[0] if self.rss_samples else 0

    @property
    def rss_growth(self) -> int:
        """RSS at the end minus RSS after the warm-up, in bytes."""
        return self.rss_samples[-1] - self.rss_samples[0] if self.rss_samples else 0

    def problems(self) -> list[str]:
        """What broke an invariant; [] when the soak passed."""
        found: list[str] = []
        if self.unanswered:
            found.append(f"{len(self.unanswered)} requests unanswered: {self.unanswered[:3]}")
        if sum(self.metric_requests.values()) != self.sent:
            found.append(f"agent_requests_total sums to {self.metric_requests}, not {self.sent}")
        client = {str(status): float(n) for status, n in self.by_status.items()}
        if client != self.metric_requests:
            found.append(f"metrics count {self.metric_requests}, clients saw {client}")
        if sum(self.metric_tool_outcomes.values()) != self.tool_results:
            found.append(
                f"agent_tool_calls_total sums to {self.metric_tool_outcomes}, "
                f"the model was given {self.tool_results} tool results"
            )
        failed = sum(n for outcome, n in self.metric_tool_outcomes.items() if outcome != "ok")
        if failed != self.tool_errors:
            found.append(f"{failed} tool calls failed in the metrics, {self.tool_errors} told")
        return found

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "seconds": round(self.seconds, 1),
            "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
            "by_code": dict(sorted(self.by_code.items())),
            "unanswered": len(self.unanswered),
            "streamed": self.streamed,
            "stream_error_chunks": self.stream_error_chunks,
            "model_calls_seen": self.model_calls_seen,
            "model_faults": self.model_faults,
            "tool_calls_seen": self.tool_calls_seen,
            "tool_faults": self.tool_faults,
            "tool_results": self.tool_results,
            "tool_errors": self.tool_errors,
            "metric_requests": self.metric_requests,
            "metric_tool_outcomes": self.metric_tool_outcomes,
            "rss_mb_after_warmup": round(mb(self.rss_after_warmup), 1),
            "rss_mb_end": round(mb(self.rss_samples[-1]), 1) if self.rss_samples else 0,
            "rss_mb_growth": round(mb(self.rss_growth), 1),
            "rss_mb_samples": [round(mb(s), 1) for s in self.rss_samples],
            "problems": self.problems(),
        }


@dataclass
class FaultyModel(MockLLM):
    """The fake model, failing a random share of its chat completions."""

    fault_rate: float = 0.0
    faults: int = 0
    rng: random.Random = field(default_factory=random.Random)
    #: Tool calls whose result the runtime sent back, by call id; those that were errors.
    tool_results: set[str] = field(default_factory=set)
    tool_errors: set[str] = field(default_factory=set)

    def _record(self, request: RecordedRequest) -> tuple[Fault | None, ScriptedReply | None]:
        fault, scripted = super()._record(request)
        if not request.path.endswith("/chat/completions"):
            return fault, scripted
        with self._lock:
            for message in request.messages:
                if message.get("role") == "tool":
                    call_id = str(message.get("tool_call_id"))
                    self.tool_results.add(call_id)
                    if str(message.get("content", "")).startswith('{"error"'):
                        self.tool_errors.add(call_id)
            if fault is None and self.rng.random() < self.fault_rate:
                self.faults += 1
                fault = self.rng.choice(MODEL_FAULTS)
        return fault, scripted


@dataclass
class FaultyTool:
    """A tool server whose `/lookup` fails a random share of its calls."""

    fault_rate: float
    rng: random.Random
    calls: int = 0
    faults: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        async def lookup(request: Request) -> Response:
            with self._lock:
                self.calls += 1
                fault = (
                    self.rng.choice(TOOL_FAULTS) if self.rng.random() < self.fault_rate else None
                )
                self.faults += fault is not None
            if fault == "status":
                return JSONResponse({"detail": "injected"}, status_code=503)
            if fault == "invalid":
                return PlainTextResponse("not the object the output schema asks for")
            if fault == "slow":
                await asyncio.sleep(TOOL_TIMEOUT_SECONDS * 4)
            return JSONResponse({"answer": "sunny", "temperature_c": 21})

        return Starlette(routes=[Route("/lookup", lookup, methods=["POST"])])


def soak_config(model_url: str, tool_url: str) -> dict[str, Any]:
    """The agent soaked: one HTTP tool with an output schema, fast retries, tight timeouts."""
    return {
        "agent": {"name": "soak", "namespace": "bench"},
        "model": {
            "name": "mock-large",
            "endpoint": model_url,
            "timeoutSeconds": MODEL_TIMEOUT_SECONDS,
            "retry": {"attempts": 3, "initialBackoffSeconds": 0.01, "maxBackoffSeconds": 0.1},
        },
        "instructions": "Look it up, then answer.",
        "tools": [
            {
                "name": "lookup",
                "description": "Look the answer up.",
                "outputSchema": {"type": "object", "required": ["answer"]},
                "http": {
                    "url": f"{tool_url}/lookup",
                    "timeoutSeconds": TOOL_TIMEOUT_SECONDS,
                    "retry": {"attempts": 1},
                },
            }
        ],
        "limits": {"requestTimeoutSeconds": REQUEST_TIMEOUT_SECONDS},
    }


@contextmanager
def served_runtime(config: dict[str, Any], workdir: Path) -> Iterator[tuple[str, int]]:
    """`agent-runtime serve` on 127.0.0.1 as a child process: its URL and pid; stopped on exit."""
    path = workdir / "agent.json"
    path.write_text(json.dumps(config))
    port = free_port()
    args = [sys.executable, "-m", "agent_runtime", "serve", "--config", str(path)]
    args += ["--host", "127.0.0.1", "--port", str(port), "--graceful-timeout", "5"]
    with (workdir / "runtime.log").open("wb") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/healthz", process, "agent-runtime serve")
        yield url, process.pid
    finally:
        stop_process(process)


async def one_request(client: httpx.AsyncClient, url: str, index: int, report: SoakReport) -> None:
    """Send request `index` and classify its answer into `report`."""
    stream = index % STREAM_EVERY == 0
    body = {"stream": stream, "messages": [{"role": "user", "content": f"Question {index}?"}]}
    try:
        response = await client.post(
            f"{url}/v1/chat/completions", json=body, timeout=REQUEST_TIMEOUT_SECONDS + GRACE_SECONDS
        )
    except httpx.HTTPError as exc:
        report.unanswered.append(f"request {index}: {type(exc).__name__}")
        return
    report.by_status[response.status_code] += 1
    if response.status_code != 200:
        code = response.json().get("code")
        if not code:
            report.unanswered.append(f"request {index}: an error without a code")
        report.by_code[str(code)] += 1
        return
    if not stream:
        report.by_code["ok"] += 1
        return
    report.streamed += 1
    lines = [line for line in response.text.splitlines() if line.startswith("data: ")]
    if not lines or lines[-1] != "data: [DONE]":
        report.unanswered.append(f"request {index}: a stream without its end")
        return
    last = json.loads(lines[-2].removeprefix("data: "))
    if "error" in last:
        report.stream_error_chunks += 1
        report.by_code[f"stream:{last['error']['code']}"] += 1
    else:
        report.by_code["ok"] += 1


async def drive(url: str, pid: int, settings: SoakSettings, report: SoakReport) -> None:
    """Send every request, `concurrency` at a time, sampling RSS after the warm-up."""
    process = psutil.Process(pid)
    every = max(1, (settings.requests - settings.warmup) // RSS_SAMPLES)
    limits = httpx.Limits(max_connections=settings.concurrency)
    async with httpx.AsyncClient(limits=limits) as client:
        queue: asyncio.Queue[int] = asyncio.Queue()
        for index in range(settings.requests):
            queue.put_nowait(index)

        async def worker() -> None:
            while not queue.empty():
                index = queue.get_nowait()
                await one_request(client, url, index, report)
                report.sent += 1
                done = report.sent - settings.warmup
                if done >= 0 and done % every == 0:
                    report.rss_samples.append(process.memory_info().rss)

        await asyncio.gather(*(worker() for _ in range(settings.concurrency)))
    report.rss_samples.append(process.memory_info().rss)


def read_metrics(url: str, report: SoakReport) -> None:
    """Fill the report's metric sums from the runtime's /metrics page."""
    text = httpx.get(f"{url}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "agent_requests_total":
                report.metric_requests[sample.labels["status"]] = sample.value
            elif sample.name == "agent_tool_calls_total":
                outcome = sample.labels["outcome"]
                report.metric_tool_outcomes[outcome] = (
                    report.metric_tool_outcomes.get(outcome, 0.0) + sample.value
                )


def run_soak(settings: SoakSettings, workdir: Path) -> SoakReport:
    """Run one soak end to end; every server and process is stopped before it returns."""
    rng = random.Random(settings.seed)
    model = FaultyModel(fault_rate=settings.model_fault_rate, rng=random.Random(rng.random()))
    tool = FaultyTool(settings.tool_fault_rate, random.Random(rng.random()))
    report = SoakReport()
    started = time.monotonic()
    with (
        running_app(create_model_app(model)) as model_url,
        running_app(tool.app()) as tool_url,
        served_runtime(soak_config(model_url, tool_url), workdir) as (url, pid),
    ):
        asyncio.run(drive(url, pid, settings, report))
        read_metrics(url, report)
    report.seconds = time.monotonic() - started
    report.model_calls_seen = len(model.completions)
    report.model_faults = model.faults
    report.tool_calls_seen = tool.calls
    report.tool_faults = tool.faults
    report.tool_results = len(model.tool_results)
    report.tool_errors = len(model.tool_errors)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=SoakSettings.requests)
    parser.add_argument("--concurrency", type=int, default=SoakSettings.concurrency)
    parser.add_argument("--model-faults", type=float, default=SoakSettings.model_fault_rate)
    parser.add_argument("--tool-faults", type=float, default=SoakSettings.tool_fault_rate)
    parser.add_argument("--warmup", type=int, default=SoakSettings.warmup)
    parser.add_argument("--seed", type=int, default=SoakSettings.seed)
    args = parser.parse_args(argv)
    settings = SoakSettings(
        requests=args.requests,
        concurrency=args.concurrency,
        model_fault_rate=args.model_faults,
        tool_fault_rate=args.tool_faults,
        warmup=min(args.warmup, args.requests // 2),
        seed=args.seed,
    )
    # The fake model's dropped connections are on purpose: uvicorn need not report each one.
    logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
    with tempfile.TemporaryDirectory(prefix="runtime-soak-") as workdir:
        report = run_soak(settings, Path(workdir))
    print(json.dumps(report.as_dict(), indent=2))
    return 1 if report.problems() else 0


if __name__ == "__main__":
    raise SystemExit(main())
