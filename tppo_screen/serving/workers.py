"""Run the API in worker processes, the supervisor dealing each new connection to the worker with
the fewest open connections.

Platforms call the scorer through a connection pool: a few keep-alive connections that each carry
thousands of requests. Where a connection lands decides how the load is shared, so leaving it to
chance costs throughput and latency. Measured with 16 keep-alive connections on 2 workers:
uvicorn's own `--workers` (one shared socket) let one worker accept a whole burst (16/0, 575 vs
~1,300 req/s); a socket per worker (SO_REUSEPORT, the kernel hashes each connection) split them
10/6 or 11/5 in most runs, and the connections of the busier worker waited twice as long.

So the supervisor holds the listening socket, accepts, and passes each connection's file
descriptor (SCM_RIGHTS over a Unix socket pair) to the least-loaded worker; workers report each
closed connection back over the same pair, and the supervisor reads those reports before it deals
the next connection. 16 pooled connections become exactly 8 + 8. Passing a connection costs the
supervisor a few microseconds once per connection, not per request.

The supervisor also checks the port is free before starting anything, starts the workers
(spawned, so each loads the model itself), forwards SIGTERM/SIGINT (workers finish in-flight
requests), and if a worker dies unexpectedly stops the others and exits with status 1 —
restarting is left to the service manager.

A worker is a `uvicorn.Server` without a socket of its own, which leans on uvicorn internals:
`Server.startup(sockets=[])` (the lifespan runs, nothing is bound), the arguments uvicorn's
`create_protocol` passes to `HttpToolsProtocol` (`config`, `server_state`, `app_state`, `_loop`)
and `Server.server_state` / `Server.lifespan.state`. uvicorn is pinned to the tested minor
version, and tests/test_serving.py fails naming the attribute when one of these disappears.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import selectors
import signal
import socket
import sys
import tempfile
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from tppo_screen.errors import InputError

logger = logging.getLogger(__name__)
CLOSED = b"-"  # what a worker sends back when one of its connections has closed


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror}; choose another --port") from exc
    sock.listen(2048)
    sock.setblocking(False)
    return sock


class _Counted(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol (httptools), reporting on `channel` when its connection closes."""

    def __init__(self, *args: Any, channel: socket.socket, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.channel = channel

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self.channel.send(CLOSED)


class _ChannelServer(uvicorn.Server):
    """A uvicorn server without a socket of its own: it serves the connections that arrive on
    `channel` and reports each one that closes."""

    def __init__(self, config: uvicorn.Config, channel: socket.socket) -> None:
        super().__init__(config)
        self.channel = channel

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])  # lifespan: load the model, warm up; bind nothing
        loop = asyncio.get_running_loop()
        self.channel.setblocking(False)
        loop.add_reader(self.channel, self._receive, loop)

    def _protocol(self, loop: asyncio.AbstractEventLoop) -> asyncio.Protocol:
        return _Counted(
            config=self.config,
            server_state=self.server_state,
            app_state=self.lifespan.state,
            _loop=loop,
            channel=self.channel,
        )

    def _receive(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            message, fds, _, _ = socket.recv_fds(self.channel, 16, 16)
        except BlockingIOError:
            return
        if not message:  # the supervisor is gone
            loop.remove_reader(self.channel)
            self.should_exit = True
        for fd in fds:
            connection = socket.socket(fileno=fd)
            loop.create_task(loop.connect_accepted_socket(lambda: self._protocol(loop), connection))


def _worker(channel: socket.socket, access_log: bool) -> None:
    from tppo_screen.serving.app import create_app

    config = uvicorn.Config(create_app(), access_log=access_log, log_level="info")
    _ChannelServer(config, channel).run()


class _Dealer:
    """The supervisor's side: accept connections and deal them to the least-loaded worker."""

    def __init__(self, listener: socket.socket, channels: list[socket.socket]) -> None:
        self.listener = listener
        self.channels = channels
        self.open = [0] * len(channels)  # connections each worker holds
        for channel in channels:
            channel.setblocking(False)

    def accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            for n in range(len(self.channels)):
                self.closed(n)  # count the closes reported so far, so the choice is current
            with connection:  # the worker holds its own copy once sent
                self._deal(connection)

    def _deal(self, connection: socket.socket) -> None:
        for n in sorted(range(len(self.channels)), key=self.open.__getitem__):
            try:
                socket.send_fds(self.channels[n], [b"+"], [connection.fileno()])
            except OSError:  # that worker's queue is full or it is gone: try the next
                continue
            self.open[n] += 1
            return

    def closed(self, n: int) -> bool:
        """Count the connections worker `n` reports closed; False once its channel is gone."""
        try:
            reported = self.channels[n].recv(4096)
        except BlockingIOError:
            return True
        except OSError:
            reported = b""
        self.open[n] -= len(reported)
        return bool(reported)


class _Supervisor:
    """The worker processes, the dealer between them and the listener, and how they stop."""

    def __init__(self, listener: socket.socket, workers: int, access_log: bool) -> None:
        context = multiprocessing.get_context("spawn")
        self.pairs = [socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET) for _ in range(workers)]
        self.processes: list[BaseProcess] = [
            context.Process(target=_worker, args=(theirs, access_log), name=f"tppo-worker-{n}")
            for n, (_, theirs) in enumerate(self.pairs)
        ]
        self.dealer = _Dealer(listener, [ours for ours, _ in self.pairs])
        self.requested = False  # a stop asked for by SIGTERM/SIGINT, as opposed to a worker failing

    def start(self) -> None:
        for process in self.processes:
            process.start()
        for _, theirs in self.pairs:
            theirs.close()  # the workers hold them now

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True
        self.stop()

    def stop(self) -> None:
        for process in self.processes:
            if process.is_alive():
                process.terminate()  # SIGTERM: uvicorn finishes in-flight requests

    def supervise(self) -> None:
        """Deal connections until a stop is requested or a worker fails; then stop them all."""
        failed = False
        with selectors.DefaultSelector() as selector:
            selector.register(self.dealer.listener, selectors.EVENT_READ, "accept")
            for n, process in enumerate(self.processes):
                selector.register(self.dealer.channels[n], selectors.EVENT_READ, n)
                selector.register(process.sentinel, selectors.EVENT_READ, "exit")
            while not (self.requested or failed):
                for key, _ in selector.select(timeout=1):
                    if key.data == "accept":
                        self.dealer.accept()
                    elif key.data == "exit" or not self.dealer.closed(key.data):
                        failed = True
        self.dealer.listener.close()  # refuse new connections while the workers finish
        if failed and not self.requested:
            codes = [p.exitcode for p in self.processes if not p.is_alive()]
            logger.error("a worker exited (status %s); stopping the others", codes)
        self.stop()
        for process in self.processes:
            process.join()

    def close(self) -> None:
        for ours, _ in self.pairs:
            ours.close()


def run_workers(model_path: Path, host: str, port: int, workers: int, access_log: bool = False) -> int:
    """Serve with `workers` processes; return the exit status once they have stopped. Port 0
    takes a free port; the line on stderr says which."""
    listener = _listen(host, port)
    os.environ["TPPO_MODEL_PATH"] = str(model_path.resolve())
    with listener, tempfile.TemporaryDirectory(prefix="tppo-metrics-") as metrics_dir:
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", metrics_dir)  # workers add up their metrics
        supervisor = _Supervisor(listener, workers, access_log)
        previous = {sig: signal.signal(sig, supervisor.on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            supervisor.start()
            where = f"http://{host}:{listener.getsockname()[1]}"
            print(f"tppo-screen: {workers} workers on {where} (docs at /docs)", file=sys.stderr)
            supervisor.supervise()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            supervisor.close()
    return 0 if supervisor.requested else 1
