"""Run the API in worker processes that each listen on the port themselves (SO_REUSEPORT).

With one shared listening socket (uvicorn's own `--workers`), whichever worker wakes first
accepts a whole burst of connections: a platform that opens 16 keep-alive connections at once
can end up with all of them on one worker while the other idles, halving throughput (measured:
575 vs 1,400–1,600 req/s on 2 cores). With a socket per worker, the kernel spreads new
connections across the workers by hash.

The parent only supervises: it checks the port is free, starts the workers (spawned, so each
loads the model itself), forwards SIGTERM/SIGINT, and if a worker dies unexpectedly stops the
others and exits with status 1 — restarting is left to the service manager.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import sys
import tempfile
from multiprocessing.connection import wait
from pathlib import Path
from types import FrameType

from tppo_screen.errors import InputError

logger = logging.getLogger(__name__)


def _listening_socket(host: str, port: int, reuse_port: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _worker(host: str, port: int, access_log: bool) -> None:
    import uvicorn

    from tppo_screen.api import create_app

    sock = _listening_socket(host, port, reuse_port=True)
    config = uvicorn.Config(create_app(), access_log=access_log, log_level="info")
    uvicorn.Server(config).run(sockets=[sock])


def run_workers(model_path: Path, host: str, port: int, workers: int, access_log: bool = False) -> int:
    """Serve with `workers` processes; return the exit status once they have stopped."""
    try:  # a plain bind fails if anything, even another tppo-screen, holds the port
        _listening_socket(host, port, reuse_port=False).close()
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror}; choose another --port") from exc
    os.environ["TPPO_MODEL_PATH"] = str(model_path.resolve())
    with tempfile.TemporaryDirectory(prefix="tppo-metrics-") as metrics_dir:
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", metrics_dir)  # workers add up their metrics
        context = multiprocessing.get_context("spawn")
        processes = [
            context.Process(target=_worker, args=(host, port, access_log), name=f"tppo-worker-{n}")
            for n in range(workers)
        ]
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True
            for process in processes:
                if process.is_alive():
                    process.terminate()  # SIGTERM: uvicorn finishes in-flight requests

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for process in processes:
                process.start()
            print(f"tppo-screen: {workers} workers on http://{host}:{port} (docs at /docs)", file=sys.stderr)
            wait([process.sentinel for process in processes])  # the first one to exit
            if not stopping:
                codes = [process.exitcode for process in processes if not process.is_alive()]
                logger.error("a worker exited (status %s); stopping the others", codes)
                stop(signal.SIGTERM, None)
            for process in processes:
                process.join()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    return 0 if stopping else 1
