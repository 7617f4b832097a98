"""The REST API: `create_app(settings)` builds it; the lifespan loads the model once.

    tppo-screen serve [--workers N]      python serve.py      uvicorn tppo_screen.serving.app:app

Every score comes from `tppo_screen.model.scoring`; the API validates, scores and serialises, and
never computes a score itself. If the model is missing or does not match its card, startup
fails with one clear log line. Limits, API keys and CORS origins come from `Settings`
(environment variables `TPPO_*`, read when the app is built, not at import).

`POST /v1/score` runs on the event loop: one ad takes about a millisecond of CPU, less than a
hop to a thread would add. `POST /v1/score/batch` (up to a second for 1,000 ads) runs in the
thread pool so health checks are not held up behind it.

Errors are always `{"error": {"code", "message", "details"}}` with the HTTP status: 401 without
a valid API key (when keys are configured), 404/405 for unknown routes, 413 for a body over the
limit, 415 for a body that is not JSON, 422 for a request that breaks the schema (the message
says what to fix), 500 for a bug (logged with its traceback, never shown to the caller).
"""

import logging
import os
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from typing import Annotated, Any, Literal

from fastapi import Body, Depends, FastAPI, HTTPException, Query, Request, Security
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from fastapi.security import APIKeyHeader
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tppo_screen import __version__
from tppo_screen.model.artifacts import Model, ModelCard, Thresholds, load_model
from tppo_screen.config import Settings
from tppo_screen.errors import ModelError
from tppo_screen.model.catalogue import Kind, Severity
from tppo_screen.model.scoring import FlagHit, Reasons, Score, Term, score_texts
from tppo_screen.serving.webpage import add_web_page

logger = logging.getLogger(__name__)

Language = Literal["id", "en"]
WARMUP_TEXT = "Dicari admin CS di Kamboja, gaji 15jt, tanpa pengalaman, paspor dibantu. WA only"
EXAMPLES = {
    "scam_compound": {
        "summary": "Lowongan ke Kamboja (pola penipuan online)",
        "value": {
            "id": "iklan-001",
            "text": "DICARI ADMIN CS ONLINE di Kamboja 🇰🇭 gaji 15jt/bulan, tanpa pengalaman, "
            "paspor & tiket ditanggung kantor, berangkat minggu ini. Minat? WA only 08xx-xxxx-xxxx",
        },
    },
    "licensed_placement": {
        "summary": "Penempatan resmi lewat P3MI berizin",
        "value": {
            "id": "iklan-002",
            "text": "PT Bina Karya Mandiri (P3MI berizin, terdaftar di SISKOP2MI) membuka seleksi "
            "caregiver ke Jepang program SSW. Tes bahasa JFT-Basic, pelatihan 6 bulan, kontrak kerja "
            "ditandatangani sebelum berangkat. Tidak dipungut biaya apa pun.",
        },
    },
    "office_job": {
        "summary": "Lowongan kantor biasa",
        "value": {
            "text": "Dibutuhkan staf akuntansi, pendidikan min. S1 Akuntansi, pengalaman 2 tahun, "
            "menguasai Excel. Penempatan Bandung. Kirim CV ke <email>."
        },
    },
}


def _string_or_integer(value: object) -> object:
    if value is not None and (isinstance(value, bool) or not isinstance(value, str | int)):
        raise ValueError("must be a string or an integer")
    return value


ItemId = Annotated[
    str | int | None,
    BeforeValidator(_string_or_integer),
    Field(description="Your id for the ad (a string or an integer); echoed back."),
]


class ErrorDetail(BaseModel):
    code: str = Field(description="machine-readable: validation_error, unauthorized, payload_too_large, …")
    message: str = Field(description="what went wrong and what to do about it")
    details: list[dict[str, str]] = Field([], description="one {field, message} per invalid field")


class ErrorResponse(BaseModel):
    error: ErrorDetail


class ScoreResult(BaseModel):
    id: str | int | None = Field(description="your id for the ad, as sent")
    model_version: str = Field(description="name@sha256-prefix of the model that scored the ad")
    score: float = Field(description="risk score in [0, 1]: a ranking score, not a probability of a crime")
    level: Literal["low", "medium", "high"] = Field(description="the score against the thresholds")
    thresholds: Thresholds
    red_flags: list[FlagHit] = Field(
        description="documented warning signs found, with character spans on the submitted text"
    )
    green_flags: list[FlagHit] = Field(description="legitimacy cues found: accountability signs")
    top_terms: list[Term] = Field(description="words that moved the score most: > 0 towards risk")
    reasons: Reasons = Field(description="what raised and what lowered the score, in plain words (`lang`)")
    warnings: list[str] = Field(description="why this score may be less reliable (short or English text)")


class BatchResponse(BaseModel):
    model_version: str
    results: list[ScoreResult] = Field(description="one result per item, in input order")


class RedFlag(BaseModel):
    id: str
    kind: Kind = Field(description="'red': a warning sign; 'green': a legitimacy cue")
    severity: Severity
    label: str
    explanation: str
    ilo_indicator: str
    sources: list[str]
    weight: float = Field(description="the model's learned weight: > 0 towards risk, < 0 towards legit")
    examples: list[str] = Field(description="sentences this entry fires on")


class Status(BaseModel):
    status: str
    model_version: str | None = None


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "API keys are configured and X-API-Key is missing or wrong"},
    413: {"model": ErrorResponse, "description": "the request body is over the configured limit"},
    415: {"model": ErrorResponse, "description": "the body is not sent as Content-Type: application/json"},
    422: {
        "model": ErrorResponse,
        "description": "the request breaks the schema; the message says what to fix",
    },
}

_HINTS = {
    "missing": "required",
    "string_too_short": "empty: send the ad's text",
    "string_pattern_mismatch": "has no letters: send the ad's words, not only numbers or symbols",
    "extra_forbidden": "unknown field (check the spelling against /docs)",
    "model_attributes_type": 'must be a JSON object, e.g. {"text": "…"}',
    "dict_type": 'must be a JSON object, e.g. {"text": "…"}',
}


def _problem(error: dict[str, Any]) -> dict[str, str]:
    """One validation error as {field, message}, phrased as what to fix."""
    parts = [p for p in error["loc"] if p != "body"]
    field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".") or "body"
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "string_too_long":
        message = (
            f"too long ({len(error['input']):,} characters; at most {ctx['max_length']:,}): "
            "shorten the ad or split it"
        )
    elif kind == "too_long":
        message = f"{len(error['input']):,} items; at most {ctx['max_length']:,} per request: split the batch"
    elif kind == "too_short":
        message = "empty: send at least one item"
    elif kind == "json_invalid":
        field = "body"
        where = parts[-1] if parts else 0
        message = f"not valid JSON ({ctx.get('error', 'parse error')} at character {where})"
    else:
        message = _HINTS.get(kind, error["msg"].removeprefix("Value error, "))
    return {"field": field, "message": message}


def _error(status: int, code: str, message: str, details: list[dict[str, str]] | None = None) -> JSONResponse:
    body = ErrorResponse(error=ErrorDetail(code=code, message=message, details=details or []))
    return JSONResponse(body.model_dump(), status_code=status)


class BodyLimit:
    """ASGI middleware: a body over `limit` bytes gets 413 — at once when Content-Length says
    so, otherwise as soon as the streamed body passes the limit. The body is read here (it is
    bounded) and handed on whole, so the app never sees a partial one. (FastAPI's own
    `max_body_size` answers a declared oversize body in plain text, not in our error format.)"""

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
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.limit:
                await self._refuse(f"more than {size:,} bytes", scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, size: str, scope: Scope, receive: Receive, send: Send) -> None:
        message = (
            f"request body of {size} is over the limit of {self.limit:,} bytes "
            "(TPPO_MAX_BODY_BYTES): send fewer or shorter ads per request"
        )
        await _error(413, "payload_too_large", message)(scope, receive, send)


class Metrics:
    """ASGI middleware: request count and latency per route template and status."""

    def __init__(self, app: ASGIApp, requests: Counter, latency: Histogram) -> None:
        self.app = app
        self.requests = requests
        self.latency = latency

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
            self.latency.labels(scope["method"], route).observe(time.perf_counter() - started)
            self.requests.labels(scope["method"], route, str(status)).inc()


def create_app(settings: Settings | None = None, model: Model | None = None) -> FastAPI:
    """Build the app with `settings` (default: from the environment, now). Unless a loaded
    `model` is given, the lifespan loads the one `settings.model_path` names."""
    settings = settings or Settings()
    registry = CollectorRegistry()
    requests = Counter("tppo_requests", "HTTP requests", ["method", "route", "status"], registry=registry)
    latency = Histogram(
        "tppo_request_duration_seconds",
        "HTTP request latency",
        ["method", "route"],
        buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        registry=registry,
    )
    scored = Counter("tppo_scores", "Ads scored, by risk level", ["level"], registry=registry)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        loaded = model
        if loaded is None:
            try:
                loaded = load_model(settings.model_path)
            except ModelError as exc:
                logger.error("cannot start: %s", exc)
                raise
        warmup = score_texts(loaded, [WARMUP_TEXT])[0]  # fills caches; proves the model scores
        logger.info("serving model %s (warm-up score %.3f)", loaded.version, warmup.score or 0)
        yield {"model": loaded}

    app = FastAPI(
        title="tppo-screen",
        version=__version__,
        summary="Score Indonesian job ads for human-trafficking (TPPO) recruitment red flags.",
        description=(
            "Scores are a ranking aid for moderators and analysts, not a verdict: a `high` ad "
            "deserves a human look. Every score lists the documented red flags and legitimacy "
            "cues found, with character spans on the submitted text.\n\n"
            f"Limits: {settings.max_text_chars:,} characters per ad, {settings.max_batch_items:,} "
            f"ads per batch, {settings.max_body_bytes:,} bytes per request. "
            "When the server sets `TPPO_API_KEYS`, `/v1/*` needs the header `X-API-Key`."
        ),
        lifespan=lifespan,
        openapi_tags=[
            {"name": "scoring", "description": "Score ads."},
            {"name": "catalogue", "description": "The red flags and legitimacy cues the scores explain."},
            {"name": "model", "description": "What model is serving."},
            {"name": "health", "description": "Liveness, readiness and Prometheus metrics (no key needed)."},
        ],
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-API-Key"],
        )
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(Metrics, requests=requests, latency=latency)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [_problem(error) for error in exc.errors()]
        shown = "; ".join(f"{d['field']}: {d['message']}" for d in details[:3])
        more = f" (and {len(details) - 3} more)" if len(details) > 3 else ""
        return _error(422, "validation_error", shown + more, details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        codes = {
            401: "unauthorized",
            404: "not_found",
            405: "method_not_allowed",
            415: "unsupported_media_type",
        }
        message = str(exc.detail)
        if exc.status_code == 400 and message == "There was an error parsing the body":
            # FastAPI's answer to a body that is not UTF-8: treat it like any other invalid JSON
            problem = {"field": "body", "message": "not valid JSON (send UTF-8 encoded JSON)"}
            return _error(422, "validation_error", f"body: {problem['message']}", [problem])
        if exc.status_code == 404 and message == "Not Found":
            message = f"no route {request.method} {request.url.path}: the API is described at /docs"
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}: see /docs"
        response = _error(exc.status_code, codes.get(exc.status_code, "http_error"), message)
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error(500, "internal_error", "internal error; the server log has the details")

    api_key = APIKeyHeader(
        name="X-API-Key",
        auto_error=False,
        description="One of the keys the server was started with (TPPO_API_KEYS).",
    )

    async def authorised(key: Annotated[str | None, Security(api_key)]) -> None:
        if settings.api_keys and not any(secrets.compare_digest(key or "", k) for k in settings.api_keys):
            raise HTTPException(401, "missing or invalid X-API-Key header: ask the operator for a key")

    async def json_body(request: Request) -> None:
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != "application/json" and not media_type.endswith("+json"):
            raise HTTPException(
                415,
                f"send the body as JSON with Content-Type: application/json (got {media_type or 'none'}); "
                "with curl: -H 'Content-Type: application/json'",
            )

    text_field = Field(
        min_length=1,
        max_length=settings.max_text_chars,
        pattern=r"[^\W\d_]",
        description=f"The ad text: 1–{settings.max_text_chars:,} characters with at least one letter.",
    )

    class ScoreRequest(BaseModel):
        model_config = ConfigDict(extra="forbid")

        text: str = text_field
        id: ItemId = None
        lang: Language = Field("id", description="Language of flag labels, explanations and warnings.")

    class BatchItem(BaseModel):
        model_config = ConfigDict(extra="forbid")

        text: str = text_field
        id: ItemId = None

    class BatchRequest(BaseModel):
        model_config = ConfigDict(extra="forbid")

        items: list[BatchItem] = Field(
            min_length=1,
            max_length=settings.max_batch_items,
            description=f"1–{settings.max_batch_items:,} ads; results come back in this order.",
        )
        lang: Language = Field("id", description="Language of flag labels, explanations and warnings.")

    def results(request: Request, items: list[Any], lang: Language) -> list[ScoreResult]:
        loaded: Model = request.state.model
        scores = score_texts(loaded, [item.text for item in items], language=lang)
        out = [_result(loaded, item.id, score) for item, score in zip(items, scores, strict=True)]
        for result in out:
            scored.labels(result.level).inc()
        return out

    v1 = [Depends(authorised)] if settings.api_keys else []  # the OpenAPI shows a key only when needed
    posting = [*v1, Depends(json_body)]

    @app.post(
        "/v1/score",
        tags=["scoring"],
        dependencies=posting,
        response_model=ScoreResult,
        responses=ERROR_RESPONSES,
    )
    async def score(
        request: Request, body: Annotated[ScoreRequest, Body(openapi_examples=EXAMPLES)]
    ) -> Response:
        """Score one ad: risk score in [0, 1], level, the red flags and legitimacy cues found
        (with character offsets into the submitted text), the terms that moved it, warnings."""
        result = results(request, [body], body.lang)[0]
        return Response(result.model_dump_json(), media_type="application/json")  # already validated

    @app.post("/v1/score/batch", tags=["scoring"], dependencies=posting, responses=ERROR_RESPONSES)
    async def score_batch(
        request: Request,
        body: Annotated[
            BatchRequest,
            Body(
                openapi_examples={
                    "two_ads": {
                        "summary": "Dua iklan",
                        "value": {
                            "items": [EXAMPLES["scam_compound"]["value"], EXAMPLES["office_job"]["value"]]
                        },
                    }
                }
            ),
        ],
    ) -> BatchResponse:
        """Score up to the configured number of ads (default 1,000) in one call; results in
        input order, each exactly as `POST /v1/score` would return it."""
        scored_items = await run_in_threadpool(results, request, body.items, body.lang)
        return BatchResponse(model_version=request.state.model.version, results=scored_items)

    @app.get("/v1/red-flags", tags=["catalogue"], dependencies=v1, responses={401: ERROR_RESPONSES[401]})
    async def red_flags(request: Request, lang: Annotated[Language, Query()] = "id") -> list[RedFlag]:
        """Every red flag and legitimacy cue the model knows, with its meaning and sources."""
        return [
            _red_flag(request.state.model, entry_id, lang) for entry_id in request.state.model.catalogue.ids
        ]

    @app.get(
        "/v1/red-flags/{flag_id}",
        tags=["catalogue"],
        dependencies=v1,
        responses={401: ERROR_RESPONSES[401], 404: {"model": ErrorResponse, "description": "no such entry"}},
    )
    async def red_flag(request: Request, flag_id: str, lang: Annotated[Language, Query()] = "id") -> RedFlag:
        """One red flag or legitimacy cue by id (e.g. `passport_handling`)."""
        if flag_id not in request.state.model.catalogue.ids:
            raise HTTPException(404, f"no red flag {flag_id!r}; GET /v1/red-flags lists them")
        return _red_flag(request.state.model, flag_id, lang)

    @app.get("/v1/model", tags=["model"], dependencies=v1, responses={401: ERROR_RESPONSES[401]})
    async def model_card(request: Request) -> ModelCard:
        """The model card: version, training data, metrics and risk-level thresholds."""
        return request.state.model.card

    @app.get("/healthz", tags=["health"])
    async def healthz() -> Status:
        """Liveness: the process answers."""
        return Status(status="ok")

    @app.get("/readyz", tags=["health"])
    async def readyz(request: Request) -> Status:
        """Readiness: the model is loaded and scored its warm-up ad."""
        return Status(status="ready", model_version=request.state.model.version)

    @app.get("/metrics", tags=["health"], response_class=Response)
    async def metrics() -> Response:
        """Prometheus metrics: requests and latency per route, ads scored per level."""
        source = registry
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # several workers: add up their files
            from prometheus_client import multiprocess

            source = CollectorRegistry()
            multiprocess.MultiProcessCollector(source)
        return Response(generate_latest(source), media_type=CONTENT_TYPE_LATEST)

    add_web_page(app)  # the trainers' demo page at / (tppo_screen/serving/web/), not in the OpenAPI schema
    return app


def _result(model: Model, item_id: str | int | None, score: Score) -> ScoreResult:
    if score.score is None or score.level == "error":  # validation keeps unusable text out
        raise HTTPException(422, f"text cannot be scored: {score.error}")
    return ScoreResult(
        id=item_id,
        model_version=model.version,
        score=score.score,
        level=score.level,
        thresholds=model.thresholds,
        red_flags=score.red_flags,
        green_flags=score.green_flags,
        top_terms=score.top_terms,
        reasons=score.reasons,
        warnings=score.warnings,
    )


def _red_flag(model: Model, entry_id: str, lang: Language) -> RedFlag:
    entry = model.catalogue.entry(entry_id)
    return RedFlag(
        id=entry.id,
        kind=entry.kind,
        severity=entry.severity,
        label=entry.label[lang],
        explanation=entry.explanation[lang],
        ilo_indicator=entry.ilo_indicator,
        sources=list(entry.sources),
        weight=round(model.flag_weights[entry.id], 4),
        examples=list(entry.fires),
    )


@cache
def _default_app() -> FastAPI:
    return create_app()


def __getattr__(name: str) -> Any:
    """`tppo_screen.serving.app:app` for uvicorn, built on first access (not at import) from the
    environment: `TPPO_MODEL_PATH=... uvicorn tppo_screen.serving.app:app`."""
    if name == "app":
        return _default_app()
    raise AttributeError(name)
