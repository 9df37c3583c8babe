"""`python -m tests.emulator --port N`: run the emulator standalone (for benchmarks, by hand).

Prints the URL when listening; writes a kubeconfig with `--kubeconfig-out`; installs CRDs and
other manifests given with `--crd`; runs the stand-in Deployment controller with
`--deployment-controller`. With `--control-port`, a second listener on 127.0.0.1 lets another
process (a benchmark) read the request counts and reset them: `GET /totals` answers
`[{"user_agent": ..., "verb": ..., "resource": ..., "count": n}, ...]`, `POST /reset` zeroes
them. Stops on SIGINT/SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

import aiohttp.web
import yaml

from .emulator import Emulator
from .server import bind_socket, kubeconfig_document, serve


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--crd", action="append", default=[], help="YAML file to install")
    parser.add_argument(
        "--deployment-controller",
        action="store_true",
        help="write Deployment status like the real controller",
    )
    parser.add_argument(
        "--deployment-delay",
        type=float,
        default=0.05,
        help="seconds before the Deployment controller writes status",
    )
    parser.add_argument("--kubeconfig-out", type=Path, help="write a kubeconfig here")
    parser.add_argument(
        "--control-port", type=int, help="serve request counts on this port of 127.0.0.1"
    )
    return parser.parse_args(argv)


def control_app(emulator: Emulator) -> aiohttp.web.Application:
    """Request counts for another process: `GET /totals`, `POST /reset`."""

    async def totals(_: aiohttp.web.Request) -> aiohttp.web.Response:
        rows = [
            {"user_agent": agent, "verb": verb, "resource": resource, "count": count}
            for (agent, verb, resource), count in emulator.recorder.totals().items()
        ]
        return aiohttp.web.json_response(rows)

    async def reset(_: aiohttp.web.Request) -> aiohttp.web.Response:
        emulator.recorder.reset()
        return aiohttp.web.json_response({})

    app = aiohttp.web.Application()
    app.router.add_get("/totals", totals)
    app.router.add_post("/reset", reset)
    return app


async def run(args: argparse.Namespace) -> None:
    emulator = Emulator()
    for path in args.crd:
        emulator.install_file(path)
    sock = bind_socket(port=args.port)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    if args.kubeconfig_out is not None:
        args.kubeconfig_out.write_text(yaml.safe_dump(kubeconfig_document(url)))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if args.deployment_controller:
        emulator.deployments.enable(args.deployment_delay)
    task = asyncio.create_task(serve(emulator, sock, stop))
    control: aiohttp.web.AppRunner | None = None
    if args.control_port is not None:
        control = aiohttp.web.AppRunner(control_app(emulator), handle_signals=False)
        await control.setup()
        await aiohttp.web.TCPSite(control, "127.0.0.1", args.control_port).start()
    await asyncio.sleep(0.05)
    print(f"Serving the Kubernetes emulator at {url}", flush=True)
    try:
        await task
    finally:
        if control is not None:
            await control.cleanup()


def main(argv: list[str] | None = None) -> int:
    asyncio.run(run(parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
