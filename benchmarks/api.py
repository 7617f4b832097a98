"""REST API latency and throughput, against a real `tppo-screen serve --workers 2`.

    .venv/bin/python benchmarks/api.py [--workers 2] [--duration 60] [--short 15]

Ads are the texts of data/test.csv (real portal ads and hand-written ones, 833 characters on
average), each request a different ad, cycling in a fixed shuffled order: the file is sorted by
source, and sending its long portal ads in runs (which a platform's mixed stream does not do)
stretches every queue at once. In one run it prints:
  - the floor: `score_texts` on one ad in this process (no HTTP), p50/p95/p99;
  - the framework ceiling: GET /healthz at concurrency 16 (HTTP without scoring), req/s;
  - POST /v1/score at concurrency 1 and 64 for --short seconds and 16 for --duration seconds:
    req/s, p50/p95/p99 latency and errors (any status but 200, or a refused connection);
  - POST /v1/score/batch with 1,000 ads: seconds per call (best and median of 5);
  - ratios: score req/s at 16 ÷ /healthz req/s, and p50 at concurrency 1 ÷ the in-process p50.
Targets: p95 ≤ 15 ms at concurrency 16, ≥ 800 req/s with 2 workers, zero errors over 60 s,
a batch of 1,000 ads ≤ 1.5 s.

The load generator is a small asyncio (uvloop) HTTP/1.1 keep-alive client in this process, one
connection per concurrent client; it shares the machine's cores with the server, so the figures
are a floor for a server with cores of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from itertools import cycle
from pathlib import Path

import numpy as np
import pandas as pd
import uvloop

ROOT = Path(__file__).resolve().parents[1]


def start_server(command: list[str], env: dict[str, str] | None = None) -> tuple[subprocess.Popen[str], int]:
    """Start `command`, a server told to take a free port (--port 0) that says which on stderr
    ("... on http://127.0.0.1:PORT"); return it and its port once GET /readyz answers."""
    log = tempfile.TemporaryFile("w+")
    server = subprocess.Popen(command, env={**os.environ, **(env or {})}, cwd=ROOT, stderr=log, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and server.poll() is None:
        log.seek(0)
        found = re.search(r" on http://127\.0\.0\.1:(\d+)", log.read())
        if found:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{found.group(1)}/readyz", timeout=1):
                    return server, int(found.group(1))
            except OSError:
                pass
        time.sleep(0.1)
    server.kill()
    raise SystemExit("server did not become ready")


class Connection:
    """One keep-alive HTTP/1.1 connection: `request` returns (status, body)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
        if body:
            head += "Content-Type: application/json\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        header = await self.reader.readuntil(b"\r\n\r\n")
        length = int(header.lower().split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
        return int(header.split(b" ", 2)[1]), await self.reader.readexactly(length)


async def load(
    port: int, path: str, bodies: list[bytes], concurrency: int, seconds: float
) -> dict[str, float]:
    """Each of `concurrency` clients sends requests back to back for `seconds`."""
    latencies: list[float] = []
    errors = 0
    feed = cycle(bodies)
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal errors
        connection = Connection(port)
        while time.perf_counter() < deadline:
            body = next(feed)
            started = time.perf_counter()
            try:
                status, _ = await connection.request("POST" if body else "GET", path, body)
            except (OSError, asyncio.IncompleteReadError):
                errors += 1
                connection = Connection(port)
                continue
            latencies.append(time.perf_counter() - started)
            errors += status != 200

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    ms = np.asarray(latencies) * 1000
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50": float(np.percentile(ms, 50)),
        "p95": float(np.percentile(ms, 95)),
        "p99": float(np.percentile(ms, 99)),
    }


async def batch_seconds(port: int, texts: list[str], repeats: int = 5) -> list[float]:
    body = json.dumps({"items": [{"text": t, "id": n} for n, t in enumerate(texts)]}).encode()
    connection = Connection(port)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        status, reply = await connection.request("POST", "/v1/score/batch", body)
        times.append(time.perf_counter() - started)
        if status != 200 or len(json.loads(reply)["results"]) != len(texts):
            raise SystemExit(f"batch failed: {status} {reply[:200]!r}")
    return times


def in_process_floor(texts: list[str]) -> dict[str, float]:
    from tppo_screen.config import DEFAULT_MODEL
    from tppo_screen.model.artifacts import load_model
    from tppo_screen.model.scoring import score_texts

    model = load_model(DEFAULT_MODEL)
    score_texts(model, texts[:50])
    ms = []
    for text in texts:
        started = time.perf_counter()
        score_texts(model, [text])
        ms.append((time.perf_counter() - started) * 1000)
    return {q: float(np.percentile(ms, int(q[1:]))) for q in ("p50", "p95", "p99")}


def line(name: str, r: dict[str, float]) -> str:
    return (
        f"{name:34s} {r['rps']:7.0f} req/s  p50 {r['p50']:5.1f} ms  p95 {r['p95']:5.1f} ms  "
        f"p99 {r['p99']:5.1f} ms  {int(r['requests']):,} requests, {int(r['errors'])} errors"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=float, default=60, help="seconds at concurrency 16")
    parser.add_argument("--short", type=float, default=15, help="seconds at concurrency 1 and 64")
    args = parser.parse_args()

    texts = pd.read_csv(ROOT / "data" / "test.csv")["text"].sample(frac=1, random_state=0).tolist()
    bodies = [json.dumps({"text": t, "id": n}).encode() for n, t in enumerate(texts)]
    print(f"{len(texts):,} distinct ads, {np.mean([len(t) for t in texts]):.0f} characters on average")
    print(f"machine: {os.cpu_count()} cores; server: tppo-screen serve --workers {args.workers}")
    floor = in_process_floor(texts[:1000])
    print(
        f"{'in-process score_texts, one ad':34s}                p50 {floor['p50']:5.1f} ms  "
        f"p95 {floor['p95']:5.1f} ms  p99 {floor['p99']:5.1f} ms"
    )

    tppo = str(ROOT / ".venv" / "bin" / "tppo-screen")
    server, port = start_server([tppo, "serve", "--port", "0", "--workers", str(args.workers)])
    try:
        uvloop.run(load(port, "/v1/score", bodies, 16, 3))  # warm every worker's caches
        health = uvloop.run(load(port, "/healthz", [b""], 16, args.short))
        print(line("GET /healthz, concurrency 16", health))
        results = {}
        for concurrency, seconds in ((1, args.short), (16, args.duration), (64, args.short)):
            results[concurrency] = uvloop.run(load(port, "/v1/score", bodies, concurrency, seconds))
            print(line(f"POST /v1/score, concurrency {concurrency}", results[concurrency]))
        times = uvloop.run(batch_seconds(port, texts[:1000]))
        print(
            f"{'POST /v1/score/batch, 1,000 ads':34s} best {min(times):.2f} s, "
            f"median {np.median(times):.2f} s"
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"ratio score req/s (c=16) / healthz req/s: {results[16]['rps'] / health['rps']:.2f}")
    print(f"ratio HTTP p50 (c=1) / in-process p50:    {results[1]['p50'] / floor['p50']:.2f}")
    c16 = results[16]
    verdicts = {
        "p95 ≤ 15 ms at concurrency 16": c16["p95"] <= 15,
        "≥ 800 req/s": max(r["rps"] for r in results.values()) >= 800,
        f"zero errors over {args.duration:.0f} s": c16["errors"] == 0,
        "batch of 1,000 ≤ 1.5 s": float(np.median(times)) <= 1.5,
    }
    for name, ok in verdicts.items():
        print(f"  {'✓' if ok else '✗'} {name}")
    sys.exit(0 if all(verdicts.values()) else 1)


if __name__ == "__main__":
    main()
