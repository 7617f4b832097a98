"""ASGI middleware and the Prometheus metrics they feed: the body limit, request counting, CORS.

`install_middleware(app, settings, metrics)` puts them in order, outermost first: Metrics (so a
413 is counted too), BodyLimit, then CORS when origins are configured.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tppo_screen.config import Settings
from tppo_screen.serving.handlers import error_response

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


@dataclass(frozen=True)
class ApiMetrics:
    """One app's metrics: requests and latency per route template and status, ads per level."""

    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    scored: Counter

    @classmethod
    def new(cls) -> ApiMetrics:
        registry = CollectorRegistry()
        return cls(
            registry=registry,
            requests=Counter(
                "tppo_requests", "HTTP requests", ["method", "route", "status"], registry=registry
            ),
            latency=Histogram(
                "tppo_request_duration_seconds",
                "HTTP request latency",
                ["method", "route"],
                buckets=LATENCY_BUCKETS,
                registry=registry,
            ),
            scored=Counter("tppo_scores", "Ads scored, by risk level", ["level"], registry=registry),
        )

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format: this process's, or with several workers
        (PROMETHEUS_MULTIPROC_DIR set) all workers' added up."""
        source = self.registry
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            source = CollectorRegistry()
            multiprocess.MultiProcessCollector(source)
        return generate_latest(source)


class BodyLimit:
    """A body over `limit` bytes gets 413 — at once when Content-Length says so, otherwise as
    soon as the streamed body passes the limit. The body is read here (it is bounded) and handed
    on whole, so the app never sees a partial one. (FastAPI's own `max_body_size` answers a
    declared oversize body in plain text, not in our error format.)"""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(f"{int(declared):,} bytes", scope, receive, send)
            return
        body = await self._read(receive)
        if isinstance(body, int):
            if body > self.limit:
                await self._refuse(f"more than {body:,} bytes", scope, receive, send)
            return  # over the limit, or the client went away
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive) -> bytes | int:
        """The whole body; or, if it passes the limit, its size so far (0 if the client left)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return 0
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.limit:
                return size
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _refuse(self, size: str, scope: Scope, receive: Receive, send: Send) -> None:
        message = (
            f"request body of {size} is over the limit of {self.limit:,} bytes "
            "(TPPO_MAX_BODY_BYTES): send fewer or shorter ads per request"
        )
        await error_response(413, "payload_too_large", message)(scope, receive, send)


class Metrics:
    """Count each request and time it, per route template and status."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.latency.labels(scope["method"], route).observe(time.perf_counter() - started)
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()


def install_middleware(app: FastAPI, settings: Settings, metrics: ApiMetrics) -> None:
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-API-Key"],
        )
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(Metrics, metrics=metrics)  # added last: the outermost
