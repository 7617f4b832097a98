"""The REST API: `create_app(settings)` builds it; the lifespan loads the model once.

    uvicorn tppo_screen.api:app        python serve.py        tppo-screen serve

Handlers are plain `def` (scoring is CPU-bound; FastAPI runs them in its thread pool) and call
`tppo_screen.scoring`; the API never computes a score itself. If the model is missing or does
not match its card, startup fails with one clear log line.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Literal

from fastapi import FastAPI, Request
from pydantic import BaseModel, Field, StringConstraints

from tppo_screen import __version__
from tppo_screen.artifacts import Model, ModelCard, Thresholds, load_model
from tppo_screen.config import Settings
from tppo_screen.errors import ModelError
from tppo_screen.scoring import FlagHit, Level, Term, score_texts

logger = logging.getLogger(__name__)

AdText = Annotated[str, StringConstraints(min_length=1, max_length=20_000, pattern=r"[^\W\d_]")]


class ScoreRequest(BaseModel):
    text: AdText = Field(
        description="The ad text: 1–20,000 characters with at least one letter.",
        examples=["Dicari admin CS di Kamboja, gaji 15jt, tanpa pengalaman, paspor dibantu. WA only"],
    )
    id: str | None = Field(default=None, description="Your id for the ad; echoed back.")
    lang: Literal["id", "en"] = Field(default="id", description="Language of flag labels and explanations.")


class ScoreResponse(BaseModel):
    id: str | None
    model_version: str
    score: float | None
    level: Level
    thresholds: Thresholds
    red_flags: list[FlagHit] = Field(
        description="documented warning signs found, with spans on the submitted text"
    )
    green_flags: list[FlagHit] = Field(
        description="legitimacy cues found: accountability signs that lower the risk"
    )
    top_terms: list[Term]
    error: str | None = None


def create_app(settings: Settings | None = None, model: Model | None = None) -> FastAPI:
    """Build the app. Unless a loaded `model` is given, the lifespan loads the one named by
    `settings` (default: the environment, read when the server starts, not at import)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Model]]:
        loaded = model
        if loaded is None:
            path = (settings or Settings()).model_path
            try:
                loaded = load_model(path)
            except ModelError as exc:
                logger.error("cannot start: %s", exc)
                raise
        logger.info("serving model %s", loaded.version)
        yield {"model": loaded}

    app = FastAPI(
        title="tppo-screen",
        version=__version__,
        summary="Score Indonesian job ads for human-trafficking (TPPO) recruitment red flags.",
        lifespan=lifespan,
    )

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        """Liveness: the server answers."""
        return {"status": "ok"}

    @app.get("/v1/model", tags=["model"])
    def model_card(request: Request) -> ModelCard:
        """The model card: version, data, metrics and risk-level thresholds."""
        return request.state.model.card

    @app.post("/v1/score", tags=["scoring"])
    def score(body: ScoreRequest, request: Request) -> ScoreResponse:
        """Score one ad: risk score in [0, 1], level, the red flags and legitimacy cues found
        (with character offsets into the submitted text), and the terms that moved it."""
        model: Model = request.state.model
        result = score_texts(model, [body.text], language=body.lang)[0]
        return ScoreResponse(
            id=body.id,
            model_version=model.version,
            score=result.score,
            level=result.level,
            thresholds=model.thresholds,
            red_flags=result.red_flags,
            green_flags=result.green_flags,
            top_terms=result.top_terms,
            error=result.error,
        )

    return app


app = create_app()
