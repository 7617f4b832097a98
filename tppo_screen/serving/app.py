"""The REST API: `create_app(settings)` builds it; the lifespan loads the model once.

    tppo-screen serve [--workers N]      python serve.py      uvicorn tppo_screen.serving.app:app

Every score comes from `tppo_screen.model.scoring`; the API validates, scores and serialises, and
never computes a score itself. If the model is missing or does not match its card, startup
fails with one clear log line. Limits, API keys and CORS origins come from `Settings`
(environment variables `TPPO_*`, read when the app is built, not at import).

Where things are: the routes in `routes/` (scoring, image, catalogue, feedback, health), the request and
response models in `schemas`, the error format in `handlers`, the key check, body limit,
headers and metrics in `middleware`, what handlers get through `Depends` in `dependencies`, the
offline /docs in `docs`, the demo page in `webpage`, the worker processes in `workers`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from tppo_screen import __version__
from tppo_screen.config import Settings
from tppo_screen.errors import ModelError
from tppo_screen.model.artifacts import Model, load_model
from tppo_screen.model.scoring import score_texts
from tppo_screen.serving.docs import add_docs
from tppo_screen.serving.handlers import install_handlers
from tppo_screen.serving.middleware import ApiMetrics, install_middleware
from tppo_screen.serving.routes import catalogue, feedback, health, image, scoring
from tppo_screen.serving.webpage import add_web_page

logger = logging.getLogger(__name__)

WARMUP_TEXT = "Dicari admin CS di Kamboja, gaji 15jt, tanpa pengalaman, paspor dibantu. WA only"
TAGS = [
    {"name": "scoring", "description": "Score ads."},
    {"name": "catalogue", "description": "The red flags and legitimacy cues the scores explain."},
    {"name": "model", "description": "What model is serving."},
    {
        "name": "feedback",
        "description": "Corrections: what reviewers decided about ads, recorded once per ad and API key "
        "(listing and export need an admin key).",
    },
    {
        "name": "health",
        "description": "Liveness and readiness (no key needed) and Prometheus metrics (a key when "
        "keys are configured).",
    },
]


def create_app(settings: Settings | None = None, model: Model | None = None) -> FastAPI:
    """Build the app with `settings` (default: from the environment, now). Unless a loaded
    `model` is given, the lifespan loads the one `settings.model_path` names."""
    settings = settings or Settings()
    app = FastAPI(
        title="tppo-screen",
        version=__version__,
        summary="Score Indonesian job ads for human-trafficking (TPPO) recruitment red flags.",
        description=_description(settings),
        lifespan=lifespan,
        openapi_tags=TAGS,
        docs_url=None,  # served offline by add_docs
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.given_model = model
    app.state.metrics = ApiMetrics.new()
    install_middleware(app, settings, app.state.metrics)
    install_handlers(app)
    app.include_router(scoring.router(settings))
    app.include_router(image.router(settings))
    app.include_router(catalogue.router(settings))
    app.include_router(feedback.router(settings))
    app.include_router(health.router)
    add_docs(app)
    add_web_page(app)  # the trainers' demo page at / (serving/web/), not in the OpenAPI schema
    return app


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
    """Load the model (unless one was given), score a warm-up ad, open the corrections store
    (unless TPPO_FEEDBACK_DB=off), and hand them to every request as `request.state.model` and
    `request.state.feedback`."""
    loaded: Model | None = app.state.given_model
    if loaded is None:
        try:
            loaded = load_model(app.state.settings.model_path)
        except ModelError as exc:
            logger.error("cannot start: %s", exc)
            raise
    warmup = score_texts(loaded, [WARMUP_TEXT])[0]  # fills caches; proves the model scores
    logger.info("serving model %s (warm-up score %.3f)", loaded.version, warmup.score or 0)
    store = await run_in_threadpool(feedback.open_feedback, app.state.settings, loaded)
    yield {"model": loaded, "feedback": store}
    if store is not None:
        store.close()


def _description(settings: Settings) -> str:
    return (
        "Scores are a ranking aid for moderators and analysts, not a verdict: a `high` ad "
        "deserves a human look. Every score lists the documented red flags and legitimacy "
        "cues found, with character spans on the submitted text.\n\n"
        f"Limits: {settings.max_text_chars:,} characters per ad, {settings.max_batch_items:,} "
        f"ads and {settings.max_batch_chars:,} characters per batch, {settings.max_body_bytes:,} "
        f"bytes per request, whose body must arrive within {settings.body_timeout:g} s (else 408). "
        "When the server sets `TPPO_API_KEYS`, `/v1/*` needs the header `X-API-Key`, checked "
        "before the body is read. When it sets `TPPO_API_KEYS` or `TPPO_METRICS_KEYS`, `/metrics` "
        "needs one of those keys (`X-API-Key` or `Authorization: Bearer`); without keys it is open. "
        "Listing and exporting corrections (`GET /v1/feedback`, `/v1/feedback/export`) needs one of "
        "the `TPPO_ADMIN_KEYS`."
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
