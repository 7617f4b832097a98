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
closed connection back over the same pair. 16 pooled connections become exactly 8 + 8. Passing a
connection costs the supervisor a few microseconds once per connection, not per request.

Both `serve` and `serve --workers N` speak HTTP through `HttpProtocol`: uvicorn's own (httptools),
except that a response's head and body leave in one send instead of two.

The supervisor also checks the port is free before starting anything, starts the workers
(spawned, so each loads the model itself), forwards SIGTERM/SIGINT (workers finish in-flight
requests), and if a worker dies unexpectedly stops the others and exits with status 1 —
restarting is left to the service manager.
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


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol (httptools), sending each response's head and body together.
    uvicorn writes them separately: two system calls and two TCP segments per response, and the
    client woken twice. Measured with 16 clients on 2 workers: half the client's CPU per
    request and a shorter tail."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(Coalesced(transport, self.loop))  # type: ignore[arg-type]


def _worker(channel: socket.socket, access_log: bool) -> None:
    from tppo_screen.serving.app import create_app

    class Worker(uvicorn.Server):
        """A uvicorn server without a socket of its own: it serves the connections that arrive
        on `channel` and reports each one that closes."""

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=[])  # lifespan: load the model, warm up
            loop = asyncio.get_running_loop()

            class Counted(HttpProtocol):
                def connection_lost(self, exc: Exception | None) -> None:
                    super().connection_lost(exc)
                    channel.send(CLOSED)

            def protocol() -> asyncio.Protocol:
                return Counted(
                    config=self.config,
                    server_state=self.server_state,
                    app_state=self.lifespan.state,
                    _loop=loop,
                )

            def receive() -> None:
                try:
                    message, fds, _, _ = socket.recv_fds(channel, 16, 16)
                except BlockingIOError:
                    return
                if not message:  # the supervisor is gone
                    loop.remove_reader(channel)
                    self.should_exit = True
                for fd in fds:
                    loop.create_task(loop.connect_accepted_socket(protocol, socket.socket(fileno=fd)))

            channel.setblocking(False)
            loop.add_reader(channel, receive)

    config = uvicorn.Config(create_app(), access_log=access_log, log_level="info", http=HttpProtocol)
    Worker(config).run()


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
            with connection:  # the worker holds its own copy once sent
                for n in sorted(range(len(self.channels)), key=self.open.__getitem__):
                    try:
                        socket.send_fds(self.channels[n], [b"+"], [connection.fileno()])
                    except OSError:  # that worker's queue is full or it is gone: try the next
                        continue
                    self.open[n] += 1
                    break

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


def run_workers(model_path: Path, host: str, port: int, workers: int, access_log: bool = False) -> int:
    """Serve with `workers` processes; return the exit status once they have stopped."""
    listener = _listen(host, port)
    os.environ["TPPO_MODEL_PATH"] = str(model_path.resolve())
    with listener, tempfile.TemporaryDirectory(prefix="tppo-metrics-") as metrics_dir:
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", metrics_dir)  # workers add up their metrics
        context = multiprocessing.get_context("spawn")
        pairs = [socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET) for _ in range(workers)]
        processes = [
            context.Process(target=_worker, args=(theirs, access_log), name=f"tppo-worker-{n}")
            for n, (_, theirs) in enumerate(pairs)
        ]
        dealer = _Dealer(listener, [ours for ours, _ in pairs])
        requested = False  # a stop asked for by SIGTERM/SIGINT, as opposed to a worker failing

        def stop() -> None:
            for process in processes:
                if process.is_alive():
                    process.terminate()  # SIGTERM: uvicorn finishes in-flight requests

        def on_signal(signum: int, frame: FrameType | None) -> None:
            nonlocal requested
            requested = True
            stop()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for process in processes:
                process.start()
            for _, theirs in pairs:
                theirs.close()  # the workers hold them now
            print(f"tppo-screen: {workers} workers on http://{host}:{port} (docs at /docs)", file=sys.stderr)
            failed = False
            with selectors.DefaultSelector() as selector:
                selector.register(listener, selectors.EVENT_READ, "accept")
                for n, process in enumerate(processes):
                    selector.register(dealer.channels[n], selectors.EVENT_READ, n)
                    selector.register(process.sentinel, selectors.EVENT_READ, "exit")
                while not (requested or failed):
                    for key, _ in selector.select(timeout=1):
                        if key.data == "accept":
                            dealer.accept()
                        elif key.data == "exit" or not dealer.closed(key.data):
                            failed = True
            listener.close()  # refuse new connections while the workers finish
            if failed and not requested:
                codes = [p.exitcode for p in processes if not p.is_alive()]
                logger.error("a worker exited (status %s); stopping the others", codes)
            stop()
            for process in processes:
                process.join()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            for ours, _ in pairs:
                ours.close()
    return 0 if requested else 1
