"""The worker supervisor's edge on uvicorn: the private names it relies on, at the pinned version.

tppo_screen.serving.workers runs each worker as a `uvicorn.Server` without a socket and builds
uvicorn's HTTP protocol itself for the connections the supervisor deals. That leans on names
uvicorn does not promise to keep; pyproject pins uvicorn to the minor version tested here. When
an upgrade drops or changes one of them, these tests say which, instead of workers failing at
their first connection. (tests/test_api.py runs the workers for real.)

Then the supervisor under faults and hostile clients, on real servers: a worker killed under load
is replaced while the other keeps answering; silent, slow-header and idle keep-alive connections
are closed after the stated timeouts; a flood of idle connections larger than the open-file limit
does not lock out a new client.
"""

from __future__ import annotations

import http.client
import importlib
import inspect
import os
import re
import signal
import socket
import sys
import threading
import time
import tomllib
from pathlib import Path

import pytest
import uvicorn
from packaging.requirements import Requirement

from tests.servers import Server, alive, children, poll, workers_of

pytestmark = pytest.mark.slow  # real servers, browsers or notebook kernels: left out of make check

ROOT = Path(__file__).resolve().parents[1]
TPPO = str(Path(sys.executable).parent / "tppo-screen")


def _pinned_uvicorn() -> Requirement:
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return next(Requirement(d) for d in dependencies if Requirement(d).name == "uvicorn")


def test_the_installed_uvicorn_is_within_the_pin() -> None:
    pin = _pinned_uvicorn()
    assert pin.specifier.contains(uvicorn.__version__), (
        f"uvicorn {uvicorn.__version__} is installed, pyproject pins {pin}: "
        "run tests/test_serving.py against the new version, then move the pin"
    )
    assert any(spec.operator == "<" for spec in pin.specifier), f"{pin} has no upper bound"


def test_uvicorn_private_names_we_rely_on_exist() -> None:
    module = "uvicorn.protocols.http.httptools_impl"
    try:
        httptools_impl = importlib.import_module(module)
    except ImportError as exc:
        raise AssertionError(f"uvicorn {uvicorn.__version__}: module {module} is gone ({exc})") from exc
    assert hasattr(httptools_impl, "HttpToolsProtocol"), f"{module}.HttpToolsProtocol is gone"
    protocol = httptools_impl.HttpToolsProtocol
    for method in ("connection_made", "connection_lost", "on_headers_complete", "on_response_complete"):
        assert callable(getattr(protocol, method, None)), f"{module}.HttpToolsProtocol.{method} is gone"
    # the request-head timeout and the connection cap (GuardedProtocol) read these
    init = inspect.getsource(protocol.__init__)
    for attribute in ("connections", "loop", "timeout_keep_alive_task"):
        assert re.search(rf"self\.{attribute}\b[^=\n]*= ", init), (
            f"HttpToolsProtocol no longer sets self.{attribute}"
        )
    assert "self.transport = " in inspect.getsource(protocol.connection_made), "its transport is gone"
    armed = "self.timeout_keep_alive_task = self.loop.call_later("
    assert armed in inspect.getsource(protocol.on_response_complete), "keep-alive is armed elsewhere"
    parameters = inspect.signature(protocol.__init__).parameters
    for name in ("config", "server_state", "app_state", "_loop"):
        assert name in parameters, f"HttpToolsProtocol.__init__ no longer takes {name!r}"

    startup = inspect.signature(uvicorn.Server.startup).parameters
    assert "sockets" in startup, "uvicorn.Server.startup no longer takes `sockets`"
    # the workers build the protocol as uvicorn's own create_protocol (inside Server.startup) does
    source = inspect.getsource(uvicorn.Server.startup)
    for argument in (
        "config.http_protocol_class(",
        "server_state=self.server_state",
        "app_state=self.lifespan.state",
        "_loop=_loop",
    ):
        assert argument in source, f"uvicorn.Server.startup's create_protocol no longer passes {argument!r}"
    assert "self.lifespan = " in inspect.getsource(uvicorn.Server._serve), "Server.lifespan is gone"

    server = uvicorn.Server(uvicorn.Config(app="tppo_screen.serving.app:app"))
    for attribute in ("server_state", "should_exit"):
        assert hasattr(server, attribute), f"uvicorn.Server().{attribute} is gone"


# --- faults and hostile clients ----------------------------------------------------------------


def _score(port: int) -> bool:
    """One request on a new connection; whether it got a 200 (within 5 s)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        body = b'{"text": "gaji besar tanpa pengalaman"}'
        connection.request("POST", "/v1/score", body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        return response.status == 200
    except (OSError, http.client.HTTPException):  # refused, reset, cut short or timed out
        return False
    finally:
        connection.close()


def test_a_killed_worker_is_replaced_and_the_service_keeps_answering(tiny_model_path: Path) -> None:
    running = Server([TPPO, "serve", "--workers", "2", "--model", str(tiny_model_path)], {}).wait_ready()
    requests: list[tuple[float, float, bool]] = []  # (started, ended, answered 200)
    stop = threading.Event()

    def load() -> None:
        while not stop.is_set():
            started = time.monotonic()
            answered = _score(running.port)
            requests.append((started, time.monotonic(), answered))

    threads = [threading.Thread(target=load) for _ in range(4)]
    try:
        victim = workers_of(running)[0]
        for thread in threads:
            thread.start()
        poll(lambda: len(requests) >= 40, 20, "40 requests answered before the kill")
        killed = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        poll(lambda: time.monotonic() > killed + 3, 5, "3 s of load after the kill")
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        poll(lambda: len(workers_of(running)) == 2, 30, "the dead worker replaced")
        assert victim not in workers_of(running)
        assert running.call("GET", "/readyz")[0] == 200
        pids = children(running.process.pid)
    finally:
        stop.set()
        running.stop()
    failed = [r for r in requests if not r[2]]
    assert len(failed) <= len(threads), f"{len(failed)} requests failed; at most the in-flight ones may"
    later = [r for r in requests if r[0] > killed + 1.0]  # new requests from 1 s after the kill
    assert len(later) >= 20 and all(answered for _, _, answered in later), "not served again within 1 s"
    assert running.process.returncode == 0  # SIGTERM stops the supervisor, the new worker with it
    poll(lambda: not any(alive(pid) for pid in pids), 10, "every child of the supervisor gone")


def _closed_at(sock: socket.socket) -> float:
    """When (time.monotonic) the server closes `sock`, reading and dropping what it sends meanwhile;
    infinity if it is still open 8 s later."""
    sock.settimeout(8)
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass
    except TimeoutError:
        return float("inf")
    return time.monotonic()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_silent_slow_header_and_idle_connections_are_closed_after_the_stated_timeouts(
    tiny_model_path: Path, workers: str
) -> None:
    command = [TPPO, "serve", "--workers", workers, "--model", str(tiny_model_path)]
    running = Server([*command, "--timeout-keep-alive", "1", "--timeout-header", "2"], {}).wait_ready()
    silent = socket.create_connection(("127.0.0.1", running.port))
    slow = socket.create_connection(("127.0.0.1", running.port))
    idle = http.client.HTTPConnection("127.0.0.1", running.port, timeout=10)
    try:
        opened = time.monotonic()
        slow.sendall(b"GET /readyz HTTP/1.1\r\nHost: localhost\r\n")  # the head never ends
        idle.request("GET", "/readyz")
        assert idle.getresponse().read()
        answered = time.monotonic()
        assert idle.sock is not None  # kept alive
        assert 0.8 < _closed_at(idle.sock) - answered < 2.5  # --timeout-keep-alive 1
        assert 1.8 < _closed_at(silent) - opened < 4.0  # --timeout-header 2
        assert 1.8 < _closed_at(slow) - opened < 4.0
        assert running.call("GET", "/readyz")[0] == 200
    finally:
        for sock in (silent, slow):
            sock.close()
        idle.close()
        running.stop()


def test_a_body_that_trickles_in_gets_a_408_and_its_connection_closed(tiny_model_path: Path) -> None:
    """A slow-body attack: the head arrives, then 10 of the 1,000 bytes announced. After
    TPPO_BODY_TIMEOUT (1 s here) the server answers 408 and closes, and keeps serving others."""
    command = [TPPO, "serve", "--model", str(tiny_model_path)]
    running = Server(command, {"TPPO_BODY_TIMEOUT": "1"}).wait_ready()
    slow = socket.create_connection(("127.0.0.1", running.port))
    try:
        head = b"POST /v1/score HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        slow.sendall(head + b"Content-Length: 1000\r\n\r\n" + b'{"text": "')
        sent = time.monotonic()
        slow.settimeout(5)
        answer = slow.recv(65536)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
        assert b"TPPO_BODY_TIMEOUT" in answer and b"connection: close" in answer.lower()
        assert 0.8 < _closed_at(slow) - sent < 3.0
        assert running.call("POST", "/v1/score", {"text": "Lowongan admin gudang di Bekasi"})[0] == 200
    finally:
        slow.close()
        running.stop()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_flood_of_idle_connections_beyond_the_file_limit_does_not_lock_out_a_new_client(
    tiny_model_path: Path, workers: str
) -> None:
    # 256 open files per process: 700 idle connections are more than both workers could hold
    command = ["prlimit", "--nofile=256:256", "--", TPPO, "serve", "--workers", workers]
    running = Server([*command, "--model", str(tiny_model_path)], {}).wait_ready()
    flood: list[socket.socket] = []
    try:
        flood.extend(socket.create_connection(("127.0.0.1", running.port)) for _ in range(700))
        started = time.monotonic()
        assert _score(running.port), "a new client was locked out"
        assert time.monotonic() - started < 3.0  # well before the 10 s header timeout
        assert running.process.poll() is None
    finally:
        for sock in flood:
            sock.close()
        running.stop()


def test_serve_states_the_timeouts_the_workers_apply() -> None:
    from tppo_screen.cli import serve
    from tppo_screen.serving import workers

    assert (serve.KEEP_ALIVE_TIMEOUT, serve.HEADER_TIMEOUT) == (
        workers.KEEP_ALIVE_TIMEOUT,
        workers.HEADER_TIMEOUT,
    )
