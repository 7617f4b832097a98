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
supervisor a few microseconds once per connection, not per request. A worker's queue holds only
net.unix.max_dgram_qlen connections (often 10); when every queue is full, the supervisor holds
the connection and stops accepting until a worker takes it, so a burst waits in the listen backlog
instead of being reset.

The supervisor also checks the port is free before starting anything, starts the workers
(spawned, so each loads the model itself), and forwards SIGTERM/SIGINT (workers finish in-flight
requests). A worker that dies after it has started serving (killed, out of memory) is replaced: the
dealer stops dealing to it the moment its process or channel ends, the others take every new
connection, and a new worker takes its place once it reports ready; only the requests that were in
flight on the dead one fail. A worker that dies before it ever reports ready (a startup failure,
which a restart would only repeat) stops the others, and the supervisor exits with status 1.

Hostile or careless clients: each worker closes a connection that has not sent a complete request
head within `header_timeout` seconds of opening (or of its previous response), and uvicorn closes
an idle keep-alive connection after `timeout_keep_alive`. A worker holds at most 3/4 of its
open-file limit in connections; beyond that a new connection closes the one that has waited
longest for a request head (or, if none is waiting, is closed itself), so a flood of idle sockets
cannot use up the file descriptors and lock new clients out. The single-process `serve` uses the
same protocol class through `uvicorn.run(http=...)`.

A worker is a `uvicorn.Server` without a socket of its own, which leans on uvicorn internals:
`Server.startup(sockets=[])` (the lifespan runs, nothing is bound), the arguments uvicorn's
`create_protocol` passes to `HttpToolsProtocol` (`config`, `server_state`, `app_state`, `_loop`),
its `connections`, `loop`, `transport` and `timeout_keep_alive_task`, and
`Server.server_state` / `Server.lifespan.state`. uvicorn is pinned to the tested minor version,
and tests/test_serving.py fails naming the attribute when one of these disappears.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import resource
import selectors
import signal
import socket
import sys
import tempfile
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType
from typing import Any, ClassVar

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from tppo_screen.errors import InputError

logger = logging.getLogger(__name__)
CLOSED = b"-"  # what a worker sends back when one of its connections has closed
READY = b"!"  # what a worker sends once its startup (model load, warm-up) is complete
HEADER_TIMEOUT = 10.0  # seconds a connection may take to send a complete request head
KEEP_ALIVE_TIMEOUT = 5  # seconds an idle keep-alive connection stays open (uvicorn's default)


def connection_cap() -> int:
    """The most connections one process holds: 3/4 of its open-file limit (the rest is left for
    the model, logs, metrics files and the event loop)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1 << 20
    return max(16, soft * 3 // 4)


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


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol (httptools) with a request-head timeout and a cap on the
    connections of this process. Set `header_timeout` (and `cap`) with `configure` before serving."""

    header_timeout: ClassVar[float] = HEADER_TIMEOUT
    cap: ClassVar[int] = 1 << 20
    waiting: ClassVar[dict[GuardedProtocol, None]] = {}  # awaiting a request head, oldest first

    @classmethod
    def configure(cls, header_timeout: float) -> None:
        GuardedProtocol.header_timeout = header_timeout
        GuardedProtocol.cap = connection_cap()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.cap:
            oldest = next(iter(self.waiting), self)  # the one waiting longest, else this one
            oldest.transport.close()
        if not transport.is_closing():
            self._await_head()

    def _await_head(self) -> None:
        self.waiting[self] = None
        self.head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _head_arrived(self) -> None:
        self.waiting.pop(self, None)
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_timed_out(self) -> None:
        if not self.transport.is_closing():
            self.transport.close()

    def on_headers_complete(self) -> None:
        self._head_arrived()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.timeout_keep_alive_task is not None:  # idle now: the next head is awaited
            self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_arrived()
        super().connection_lost(exc)


class _Counted(GuardedProtocol):
    """The guarded protocol, reporting on `channel` when its connection closes."""

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
        if self.should_exit:  # the lifespan failed: exit without reporting ready
            return
        loop = asyncio.get_running_loop()
        self.channel.setblocking(False)
        loop.add_reader(self.channel, self._receive, loop)
        self.channel.send(READY)

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


class Limits:
    """How long a connection may stay silent, in seconds (see the module's docstring)."""

    def __init__(self, keep_alive: int = KEEP_ALIVE_TIMEOUT, header: float = HEADER_TIMEOUT) -> None:
        self.keep_alive = keep_alive
        self.header = header


def _worker(channel: socket.socket, access_log: bool, limits: Limits) -> None:
    from tppo_screen.serving.app import create_app

    GuardedProtocol.configure(limits.header)
    config = uvicorn.Config(
        create_app(), access_log=access_log, log_level="info", timeout_keep_alive=limits.keep_alive
    )
    _ChannelServer(config, channel).run()


class _Dealer:
    """The supervisor's side: accept connections and deal them to the least-loaded worker. A
    replacement gets connections once it reports ready (before that only if no other can take
    them); the first workers get theirs from the start, queued until they are up, so that a pool
    opened while they start is still shared evenly."""

    def __init__(self, listener: socket.socket) -> None:
        self.listener = listener
        self.channels: list[socket.socket | None] = []  # None: that worker is gone
        self.open: list[int] = []  # connections each worker holds
        self.ready: list[bool] = []  # reported ready
        self.waiting: list[bool] = []  # a replacement not ready yet: dealt to last
        self.held: socket.socket | None = None  # accepted, not yet taken by a worker

    def add(self, n: int, channel: socket.socket, replacement: bool) -> None:
        """Deal to `channel` as worker `n` from now on (a first worker, or one replacing `n`)."""
        channel.setblocking(False)
        if n == len(self.channels):
            self.channels.append(None)
            self.open.append(0)
            self.ready.append(False)
            self.waiting.append(True)
        self.waiting[n] = replacement
        self.channels[n], self.open[n], self.ready[n] = channel, 0, False

    def drop(self, n: int) -> None:
        """Stop dealing to worker `n` (it is gone)."""
        channel, self.channels[n] = self.channels[n], None
        if channel is not None:
            channel.close()

    def accept(self) -> None:
        """Deal the connection held back, then each new one, until none is waiting or no worker
        can take one: that one is held (`held`), and the caller stops watching the listener until
        it is dealt, so a burst waits in the listen backlog instead of being reset."""
        while self._deal_held():
            try:
                self.held, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return
            for n in range(len(self.channels)):
                self.closed(n)  # count the closes reported so far, so the choice is current

    def _deal_held(self) -> bool:
        """Pass the held connection to the least-loaded worker that takes it; False if none can
        now (a worker's queue holds only net.unix.max_dgram_qlen connections, often 10)."""
        if self.held is None:
            return True
        for n in sorted(range(len(self.channels)), key=lambda n: (self.waiting[n], self.open[n])):
            channel = self.channels[n]
            if channel is None:
                continue
            try:
                socket.send_fds(channel, [b"+"], [self.held.fileno()])
            except OSError:  # that worker's queue is full or it is gone: try the next
                continue
            self.open[n] += 1
            self.held.close()  # the worker holds its own copy
            self.held = None
            return True
        return False

    def closed(self, n: int) -> bool:
        """Read worker `n`'s reports (closed connections, ready); False once its channel is gone."""
        channel = self.channels[n]
        if channel is None:
            return False
        try:
            reported = channel.recv(4096)
        except BlockingIOError:
            return True
        except OSError:
            reported = b""
        self.open[n] -= reported.count(CLOSED)
        if READY in reported:
            self.ready[n], self.waiting[n] = True, False
        return bool(reported)


class _Supervisor:
    """The worker processes, the dealer between them and the listener, and how they stop."""

    def __init__(self, listener: socket.socket, workers: int, access_log: bool, limits: Limits) -> None:
        self.context = multiprocessing.get_context("spawn")
        self.arguments = (access_log, limits)
        self.processes: list[BaseProcess] = []
        self.dealer = _Dealer(listener)
        self.selector = selectors.DefaultSelector()
        self.workers = workers
        self.requested = False  # a stop asked for by SIGTERM/SIGINT, as opposed to a worker failing

    def start(self) -> None:
        self.selector.register(self.dealer.listener, selectors.EVENT_READ, ("accept", -1))
        for n in range(self.workers):
            self._spawn(n)

    def _spawn(self, n: int) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        process = self.context.Process(
            target=_worker, args=(theirs, *self.arguments), name=f"tppo-worker-{n}"
        )
        process.start()
        theirs.close()  # the worker holds it now
        replacement = n < len(self.processes)
        if not replacement:
            self.processes.append(process)
        self.processes[n] = process
        self.dealer.add(n, ours, replacement)
        self.selector.register(ours, selectors.EVENT_READ, ("report", n))
        self.selector.register(process.sentinel, selectors.EVENT_READ, ("exit", n))

    def _gone(self, n: int) -> bool:
        """Worker `n` has died (or closed its channel): stop dealing to it and replace it.
        False when it died before it ever reported ready; that is not worth a restart."""
        process, channel = self.processes[n], self.dealer.channels[n]
        was_ready = self.dealer.ready[n]
        if channel is not None:
            self.selector.unregister(channel)
            self.dealer.drop(n)
        if process.sentinel in self.selector.get_map():
            self.selector.unregister(process.sentinel)
        process.kill()  # it is dead or cut off already; make sure, then reap it
        process.join(timeout=5)
        if self.requested or not was_ready:
            return was_ready
        logger.error(
            "worker %d (pid %s) exited (status %s); starting another", n, process.pid, process.exitcode
        )
        if process.exitcode is not None:
            process.close()  # its sentinel, which the new worker's replaces
        self._spawn(n)
        return True

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.requested = True
        self.stop()

    def stop(self) -> None:
        for process in self.processes:
            with contextlib.suppress(ValueError):  # one just closed, its replacement not yet started
                if process.is_alive():
                    process.terminate()  # SIGTERM: uvicorn finishes in-flight requests

    def supervise(self) -> None:
        """Deal connections, replacing workers that die, until a stop is requested or a worker
        fails to start; then stop them all."""
        failed = False
        while not (self.requested or failed):
            for key, _ in self.selector.select(timeout=1 if self.dealer.held is None else 0.005):
                event, n = key.data
                if event == "accept":
                    self.dealer.accept()
                elif self.selector.get_map().get(key.fd) is not key:
                    continue  # an event of a worker already replaced in this round
                elif event == "exit" or not self.dealer.closed(n):
                    failed = not self._gone(n)
            if self.dealer.held is not None:
                self.dealer.accept()  # retry, every 5 ms while the workers' queues are full
            self._watch_listener(self.dealer.held is None)
        self.dealer.listener.close()  # refuse new connections while the workers finish
        if failed and not self.requested:
            codes = [p.exitcode for p in self.processes if not p.is_alive()]
            logger.error("a worker exited before it was ready (status %s); stopping the others", codes)
        self.stop()
        for process in self.processes:
            process.join()

    def _watch_listener(self, watch: bool) -> None:
        listener = self.dealer.listener
        if watch and listener not in self.selector.get_map():
            self.selector.register(listener, selectors.EVENT_READ, ("accept", -1))
        elif not watch and listener in self.selector.get_map():
            self.selector.unregister(listener)

    def close(self) -> None:
        if self.dealer.held is not None:
            self.dealer.held.close()
        self.selector.close()
        for n in range(len(self.dealer.channels)):
            self.dealer.drop(n)


def run_workers(
    model_path: Path,
    host: str,
    port: int,
    workers: int,
    access_log: bool = False,
    limits: Limits | None = None,
) -> int:
    """Serve with `workers` processes; return the exit status once they have stopped. Port 0
    takes a free port; the line on stderr says which."""
    listener = _listen(host, port)
    os.environ["TPPO_MODEL_PATH"] = str(model_path.resolve())
    with listener, tempfile.TemporaryDirectory(prefix="tppo-metrics-") as metrics_dir:
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", metrics_dir)  # workers add up their metrics
        supervisor = _Supervisor(listener, workers, access_log, limits or Limits())
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
