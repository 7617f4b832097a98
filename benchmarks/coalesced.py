"""A/B: does sending a response's head and body in one write (the `Coalesced` transport the
workers used to wrap every connection in) pay for itself? Measured on its own, everything else
equal, in alternating windows.

    .venv/bin/python benchmarks/coalesced.py [--windows 8] [--seconds 15]

Both arms run `tppo-screen serve --workers 2` (the supervisor dealing connections: on in both)
with the shipped model, started once each and side by side; POST /v1/score at concurrency 16
with the ads of data/test.csv, as benchmarks/api.py sends them. The windows alternate A, B, A,
B, … so that whatever else the machine is doing falls on both arms alike. Arm A: uvicorn's
HTTP protocol with each response's writes held until the end of the event-loop turn and sent in
one `send` (the transport below, patched into the workers of arm A only). Arm B: uvicorn's
protocol as it is (head and body in two writes), which is what `serve` runs.

Printed: req/s, p50/p95/p99 per window, the medians per arm, the ratios, and the verdict by the
rule of issue 17: keep the one-write transport only if it gains at least 10% in req/s or p95.

Measured on 2026-12-06, 2 cores shared with other jobs (load average 3-5, so absolute figures
are low and vary a lot from window to window), two sittings of 8 windows of 15 s per arm:
  sitting 1  medians A 675 req/s, p95 56.8 ms; B 707 req/s, p95 58.8 ms: req/s -4.6%, p95 +3.4%
  sitting 2  medians A 585 req/s, p95 53.2 ms; B 649 req/s, p95 50.3 ms: req/s -9.9%, p95 -5.7%
  all 16     medians A 631 req/s, p95 53.2 ms; B 696 req/s, p95 52.7 ms
No gain near 10% in either: the one-write transport was removed from serving/workers.py.

The workers are spawned, so each imports this file again as `__mp_main__`: the patch below runs
in them (for arm A, told by TPPO_BENCH_ONE_WRITE=1) before they serve.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent))
from api import load, start_server  # noqa: E402  (benchmarks/api.py's)

ROOT = Path(__file__).resolve().parents[1]
ARMS = {"A one write": "1", "B two writes": "0"}


class Coalesced:
    """A transport whose writes within one turn of the event loop leave as one send. Everything
    else is the wrapped transport's."""

    def __init__(self, transport: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._held:
            self._loop.call_soon(self._flush)
        self._held.append(data)

    def _flush(self) -> None:
        if self._held:
            data = b"".join(self._held)
            self._held.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def _one_write_in_workers() -> None:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    from tppo_screen.serving import workers

    def connection_made(self: HttpToolsProtocol, transport: asyncio.BaseTransport) -> None:
        HttpToolsProtocol.connection_made(self, Coalesced(transport, self.loop))  # type: ignore[arg-type]

    workers._Counted.connection_made = connection_made  # type: ignore[method-assign]


if __name__ == "__mp_main__" and os.environ.get("TPPO_BENCH_ONE_WRITE") == "1":
    _one_write_in_workers()


def serve() -> None:
    """What `tppo-screen serve --workers 2 --port 0` runs, from this file (see the docstring)."""
    from tppo_screen.config import DEFAULT_MODEL
    from tppo_screen.serving.workers import run_workers

    sys.exit(run_workers(DEFAULT_MODEL, "127.0.0.1", 0, 2))


def report(rows: dict[str, list[dict[str, float]]]) -> None:
    medians = {
        arm: {k: statistics.median(r[k] for r in runs) for k in ("rps", "p50", "p95", "p99")}
        for arm, runs in rows.items()
    }
    for arm, m in medians.items():
        print(
            f"median {arm:13s} {m['rps']:7.0f} req/s  p50 {m['p50']:5.1f} ms  p95 {m['p95']:5.1f} ms  "
            f"p99 {m['p99']:5.1f} ms"
        )
    a, b = medians["A one write"], medians["B two writes"]
    rps_gain, p95_gain = a["rps"] / b["rps"] - 1, 1 - a["p95"] / b["p95"]
    print(f"one write vs two: req/s {rps_gain:+.1%}, p95 {p95_gain:+.1%} (shorter is a gain)")
    keep = rps_gain >= 0.10 or p95_gain >= 0.10
    print(f"verdict (keep if >= 10% in req/s or p95): {'keep' if keep else 'remove'} the one-write transport")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--windows", type=int, default=8, help="windows per arm (at least 5)")
    parser.add_argument("--seconds", type=float, default=15, help="length of one window")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
    texts = pd.read_csv(ROOT / "data" / "test.csv")["text"].sample(frac=1, random_state=0).tolist()
    bodies = [json.dumps({"text": t, "id": n}).encode() for n, t in enumerate(texts)]
    command = [sys.executable, __file__, "--serve"]
    servers = {arm: start_server(command, {"TPPO_BENCH_ONE_WRITE": flag}) for arm, flag in ARMS.items()}
    rows: dict[str, list[dict[str, float]]] = {arm: [] for arm in ARMS}
    print(f"machine: {os.cpu_count()} cores; concurrency 16, 2 workers per arm, {args.seconds:.0f} s windows")
    try:
        for _, port in servers.values():
            uvloop.run(load(port, "/v1/score", bodies, 16, 3))  # warm every worker's caches
        for window in range(args.windows):
            for arm, (_, port) in servers.items():
                r = uvloop.run(load(port, "/v1/score", bodies, 16, args.seconds))
                rows[arm].append(r)
                print(
                    f"{time.strftime('%H:%M:%S')} window {window + 1} {arm:13s} {r['rps']:7.0f} req/s  "
                    f"p50 {r['p50']:5.1f} ms  p95 {r['p95']:5.1f} ms  p99 {r['p99']:5.1f} ms  "
                    f"{int(r['errors'])} errors",
                    flush=True,
                )
    finally:
        for server, _ in servers.values():
            server.terminate()
            server.wait(timeout=30)
    report(rows)


if __name__ == "__main__":
    main()
