"""A real uvicorn server on a free loopback port, and a tiny HTTP client for it (no TestClient):
shared by the API tests and the browser tests."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A server process and a tiny HTTP client for it (keep-alive per call site not needed)."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.port = free_port()
        self.log = tempfile.TemporaryFile("w+")  # a file, not a pipe: a full pipe would block the server
        self.process = subprocess.Popen(
            [*command, "--port", str(self.port)],
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
        for _ in range(300):
            if self.process.poll() is not None:
                pytest.fail("server exited: " + self.output())
            try:
                if self.call("GET", "/readyz")[0] == 200:
                    return self
            except OSError:
                time.sleep(0.1)
        pytest.fail("server did not become ready in 30 s")

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
        parsed = json.loads(payload) if kind.startswith("application/json") else payload.decode()
        return response.status, parsed, {k.lower(): v for k, v in response.getheaders()}

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()
