"""A built-in tool against an equivalent HTTP tool: the runtime's added latency and throughput.

Two runtimes are served side by side against one `agent-runtime mock-llm`, in the same run:

- `builtin`: an Agent whose only tool is `builtin: web_search`, so each request is one
  Conversations API call (`/v1/conversations`), the search running on the (mock) model's side;
- `http`: the same Agent with an HTTP tool instead (the mock's `GET /demo/weather`), so each
  request is a chat completion, the tool call in the runtime, and a second chat completion.

At each concurrency it prints requests/s and p50/p99 latency of both, and the builtin's ratio
against the HTTP tool (the baseline of the same run), and the latency each adds to its model
calls (p50 less `--latency-ms` per model call: two for `http`, one for `builtin`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import bin_path, free_port, machine, print_table, ratio
from benchmarks.runtime_load import REQUEST_TIMEOUT, Level, process, run_level, runtime

#: The HTTP tool of the baseline Agent: the mock's own weather endpoint.
WEATHER_PARAMETERS = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
}


def config(mock_url: str, tool: dict[str, Any]) -> dict[str, Any]:
    return {
        "agent": {"name": "bench", "namespace": "bench"},
        "model": {"name": "mistral-medium-latest", "endpoint": mock_url},
        "instructions": "Answer with the tool's help.",
        "tools": [tool],
    }


async def measure(url: str, concurrency: int, requests: int) -> Level:
    async with httpx.AsyncClient(
        timeout=REQUEST_TIMEOUT, limits=httpx.Limits(max_connections=None)
    ) as http:
        body = {"messages": [{"role": "user", "content": "The weather in Paris"}]}

        async def call() -> None:
            (await http.post(f"{url}/v1/chat/completions", json=body)).raise_for_status()

        return await run_level(call, concurrency, requests)


async def main_async(args: argparse.Namespace) -> int:
    mock_port = free_port()
    mock_url = f"http://127.0.0.1:{mock_port}"
    mock_cmd = [bin_path("agent-runtime"), "mock-llm", "--host", "127.0.0.1"]
    mock_cmd += ["--port", str(mock_port), "--latency-ms", str(args.latency_ms)]
    builtin = {"name": "search", "builtin": "web_search"}
    weather = {
        "name": "get_weather",
        "parameters": WEATHER_PARAMETERS,
        "http": {"url": f"{mock_url}/demo/weather", "method": "GET"},
    }
    print(f"Machine: {machine()}; mock model latency {args.latency_ms} ms", flush=True)
    rows: list[list[object]] = []
    with (
        tempfile.TemporaryDirectory(prefix="runtime-builtins-") as tmp,
        process(mock_cmd, f"{mock_url}/v1/models", "agent-runtime mock-llm"),
    ):
        paths = {}
        for name, tool in (("builtin", builtin), ("http", weather)):
            paths[name] = Path(tmp) / f"{name}.json"
            paths[name].write_text(json.dumps(config(mock_url, tool)))
        with runtime(paths["builtin"]) as (builtin_url, _), runtime(paths["http"]) as (http_url, _):
            for c in args.concurrency:
                n = max(args.requests, 4 * c)
                # Alternated at each level, so a busy machine weighs on both alike.
                via_http = await measure(http_url, c, n)
                via_builtin = await measure(builtin_url, c, n)
                rows.append(
                    [
                        c,
                        via_http.rps,
                        via_builtin.rps,
                        ratio(via_builtin.rps, via_http.rps),
                        via_http.p(50),
                        via_builtin.p(50),
                        ratio(via_builtin.p(50), via_http.p(50)),
                        via_http.p(50) - 2 * args.latency_ms,
                        via_builtin.p(50) - args.latency_ms,
                        via_http.p(99),
                        via_builtin.p(99),
                        via_http.errors + via_builtin.errors,
                    ]
                )
    print_table(
        "Built-in tool (Conversations API) vs HTTP tool (chat completions)",
        [
            "concurrency",
            "http req/s",
            "builtin req/s",
            "builtin/http",
            "http p50 ms",
            "builtin p50 ms",
            "builtin/http p50",
            "http added p50 ms",
            "builtin added p50 ms",
            "http p99 ms",
            "builtin p99 ms",
            "errors",
        ],
        rows,
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16, 64])
    parser.add_argument("--requests", type=int, default=200, help="Requests per level, at least.")
    parser.add_argument("--latency-ms", type=int, default=20, help="The mock model's latency.")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
