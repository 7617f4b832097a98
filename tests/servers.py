"""A real uvicorn server on a loopback port it picks itself (--port 0), and a tiny HTTP client for
it (no TestClient): shared by the API tests and the browser tests.

The server binds port 0 and says which port it got in its first lines ("Uvicorn running on
http://127.0.0.1:PORT", or the supervisor's "workers on http://127.0.0.1:PORT"); `wait_ready`
reads that, then polls GET /readyz. Nothing sleeps for a fixed time, and no port is picked by
binding and closing a socket (another process could take it in between).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
LISTENING = re.compile(r" on http://127\.0\.0\.1:(\d+)")
POLL = 0.05  # seconds between two looks at a condition
READY_WITHIN = 60.0


def poll(condition: Callable[[], bool], within: float, what: str) -> None:
    """Return as soon as `condition()` holds; fail naming `what` if it does not within `within` s."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {within:.0f} s")
        time.sleep(POLL)


class Server:
    """A server process and a tiny HTTP client for it (keep-alive per call site not needed)."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.port = 0
        self.log = tempfile.TemporaryFile("w+")  # a file, not a pipe: a full pipe would block the server
        self.process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", "0"],
            env={**os.environ, **env},
            stdout=self.log,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=ROOT,
        )

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def wait_ready(self) -> Server:
        """Wait for the server to say its port, then for GET /readyz to answer 200."""
        poll(self._ready, READY_WITHIN, "server ready")
        return self

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail("server exited: " + self.output())
        if not self.port:
            found = LISTENING.search(self.output())
            self.port = int(found.group(1)) if found else 0
            return False
        try:
            return self.call("GET", "/readyz")[0] == 200
        except OSError:
            return False

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | Iterator[bytes] | None = None,
    ) -> tuple[int, Any, dict[str, str]]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        sent = {"Content-Type": "application/json"} if body is not None else {}
        sent.update(headers or {})
        data = json.dumps(body).encode() if body is not None else raw
        chunked = data is not None and not isinstance(data, bytes)
        try:
            connection.request(method, path, body=data, headers=sent, encode_chunked=chunked)
            response = connection.getresponse()
            payload = response.read()
        finally:
            connection.close()
        kind = response.getheader("content-type", "")
        parsed: Any = payload
        if kind.startswith("application/json"):
            parsed = json.loads(payload)
        elif kind.startswith("text/"):
            parsed = payload.decode()
        return response.status, parsed, {k.lower(): v for k, v in response.getheaders()}

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def children(parent: int) -> list[int]:
    """The pids of the processes whose parent is `parent` (from /proc)."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            pids.append(int(stat.parent.name))
    return pids


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, or a pid that is gone, does not)."""
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


def workers_of(server: Server) -> list[int]:
    """The worker processes of a `serve --workers N` supervisor (not multiprocessing's helpers)."""
    found = []
    for pid in children(server.process.pid):
        try:
            if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text() and alive(pid):
                found.append(pid)
        except FileNotFoundError:
            continue
    return found
