"""ASGI middleware and the Prometheus metrics they feed: response headers, request counting,
CORS, the key check, the body limit.

`install_middleware(app, settings, metrics)` puts them in order, outermost first: SecureHeaders
(`X-Content-Type-Options: nosniff` on every response), Metrics (so a 401 or 413 is counted too),
CORS when origins are configured (so a preflight needs no key and a 401 carries CORS headers),
KeyGuard (401 from the headers alone, before any body is read), then BodyLimit.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tppo_screen.config import Settings
from tppo_screen.serving.handlers import error_response

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
SCORE_BUCKETS = tuple(round(0.05 * i, 2) for i in range(1, 21))  # risk score in twentieths


@dataclass(frozen=True)
class ApiMetrics:
    """One app's metrics: requests and latency per route template and status, ads per level;
    for drift, per model version the risk-score distribution and the ads carrying each red flag
    (a flag's rate is `tppo_red_flags_total / tppo_risk_score_count` of the same version)."""

    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    scored: Counter
    risk_scores: Histogram
    red_flags: Counter

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
            risk_scores=Histogram(
                "tppo_risk_score",
                "Risk scores of the ads scored, per model version",
                ["model_version"],
                buckets=SCORE_BUCKETS,
                registry=registry,
            ),
            red_flags=Counter(
                "tppo_red_flags",
                "Ads scored that carry each red flag, per model version",
                ["model_version", "flag"],
                registry=registry,
            ),
        )

    def observe(self, model_version: str, level: str, score: float, red_flags: Iterable[str]) -> None:
        """Count one scored ad: its level, its score and each red flag found in it."""
        self.scored.labels(level).inc()
        self.risk_scores.labels(model_version).observe(score)
        for flag in set(red_flags):
            self.red_flags.labels(model_version, flag).inc()

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
    declared oversize body in plain text, not in our error format.) A path in `path_limits` has
    its own limit instead (POST /v1/score/image: TPPO_MAX_IMAGE_BYTES plus the multipart
    envelope)."""

    def __init__(
        self, app: ASGIApp, limit: int, path_limits: dict[str, int] | None = None, timeout: float = 60.0
    ) -> None:
        self.app = app
        self.limit = limit
        self.path_limits = path_limits or {}
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"].removeprefix(scope.get("root_path", ""))
        limit = self.path_limits.get(path, self.limit)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(f"{int(declared):,} bytes", limit, path, scope, receive, send)
            return
        try:
            async with asyncio.timeout(self.timeout):
                body = await self._read(receive, limit)
        except TimeoutError:
            await self._too_slow(scope, receive, send)
            return
        if isinstance(body, int):
            if body > limit:
                await self._refuse(f"more than {body:,} bytes", limit, path, scope, receive, send)
            return  # over the limit, or the client went away
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive, limit: int) -> bytes | int:
        """The whole body; or, if it passes the limit, its size so far (0 if the client left)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return 0
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > limit:
                return size
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _too_slow(self, scope: Scope, receive: Receive, send: Send) -> None:
        """408, and the connection closed: a body still arriving after `timeout` seconds holds a
        connection (a slow-body attack) however few bytes it sends."""
        message = (
            f"the request body did not arrive within {self.timeout:g} s (TPPO_BODY_TIMEOUT): "
            "send it at once, or send less per request"
        )
        response = error_response(408, "request_timeout", message)
        response.headers["Connection"] = "close"
        await response(scope, receive, send)

    async def _refuse(
        self, size: str, limit: int, path: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        message = (
            f"request body of {size} is over the limit of {limit:,} bytes "
            "(TPPO_MAX_BODY_BYTES): send fewer or shorter ads per request"
        )
        if path in self.path_limits:
            message = (
                f"request body of {size} is over the limit of {limit:,} bytes for {path} "
                "(TPPO_MAX_IMAGE_BYTES and the multipart envelope): save the picture as JPEG or "
                "shrink it to at most 2,000 pixels wide"
            )
        await error_response(413, "payload_too_large", message)(scope, receive, send)


IMAGE_PATH = "/v1/score/image"
IMAGE_BODY_OVERHEAD = 64 * 1024  # multipart boundaries, part headers and the `id` field

NOSNIFF = (b"x-content-type-options", b"nosniff")
UNAUTHORISED = "missing or invalid X-API-Key header: ask the operator for a key"


def key_matches(given: bytes, keys: Sequence[str]) -> bool:
    """Whether `given` (a header's raw bytes) is one of `keys`, each compared as UTF-8 bytes in
    constant time: any byte, non-ASCII too, is just a wrong key (never an error)."""
    matches = [secrets.compare_digest(given, key.encode()) for key in keys]  # all, not the first
    return any(matches)


class KeyGuard:
    """401 for a `/v1/*` request without one of `api_keys` in X-API-Key, and for `/metrics`
    without one of `metrics_keys` or `api_keys` (as X-API-Key or `Authorization: Bearer`), when
    such keys are configured. Decided from the headers alone: the body is never read, so a client
    without a key cannot make the server receive or parse one."""

    def __init__(self, app: ASGIApp, api_keys: Sequence[str], metrics_keys: Sequence[str]) -> None:
        self.app = app
        self.api_keys = list(api_keys)
        self.metrics_keys = [*metrics_keys, *api_keys]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self._allowed(scope):
            await error_response(401, "unauthorized", UNAUTHORISED)(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        path: str = scope["path"].removeprefix(scope.get("root_path", ""))
        headers = dict(scope["headers"])
        given = headers.get(b"x-api-key")
        if path == "/metrics" and self.metrics_keys:
            bearer = headers.get(b"authorization", b"")
            if bearer[:7].lower() == b"bearer ":
                given = given or bearer[7:].strip()
            return given is not None and key_matches(given, self.metrics_keys)
        if (path == "/v1" or path.startswith("/v1/")) and self.api_keys:
            return given is not None and key_matches(given, self.api_keys)
        return True


class SecureHeaders:
    """`X-Content-Type-Options: nosniff` on every response (browsers must not guess a type)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == NOSNIFF[0] for name, _ in headers):
                    headers.append(NOSNIFF)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


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
    """Add the middleware, innermost first (the last added is the outermost)."""
    image_limit = settings.max_image_bytes + IMAGE_BODY_OVERHEAD
    app.add_middleware(
        BodyLimit,
        limit=settings.max_body_bytes,
        path_limits={IMAGE_PATH: image_limit},
        timeout=settings.body_timeout,
    )
    scoring_keys = [*settings.api_keys, *settings.admin_keys] if settings.api_keys else []  # admins score too
    app.add_middleware(KeyGuard, api_keys=scoring_keys, metrics_keys=settings.metrics_keys)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-API-Key"],
        )
    app.add_middleware(Metrics, metrics=metrics)
    app.add_middleware(SecureHeaders)
