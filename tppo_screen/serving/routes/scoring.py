"""POST /v1/score and POST /v1/score/batch: validate, score with `model.scoring`, serialise.

The API never computes a score itself. Scoring and serialising run in the thread pool, for one
ad too (a 20,000-character ad of unseen words takes most of a second), so the event loop stays
free: health checks and other requests are answered while a worker scores.
"""

from collections.abc import Sequence
from typing import Annotated, cast

from fastapi import APIRouter, Body, Depends, HTTPException
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from tppo_screen.config import Settings
from tppo_screen.model.artifacts import Model
from tppo_screen.model.scoring import Score, score_texts
from tppo_screen.serving.dependencies import AppMetrics, LoadedModel, json_body, key_guard
from tppo_screen.serving.middleware import ApiMetrics
from tppo_screen.serving.schemas import (
    BATCH_EXAMPLES,
    ERROR_RESPONSES,
    EXAMPLES,
    BatchItemShape,
    BatchRequestShape,
    BatchResponse,
    Language,
    ScoreRequestShape,
    ScoreResult,
    request_models,
)


def router(settings: Settings) -> APIRouter:
    """The scoring routes, their request bodies limited as `settings` says."""
    models = request_models(settings)
    ScoreRequest, BatchRequest = models.score, models.batch  # noqa: N806 (classes)
    scoring = APIRouter(
        tags=["scoring"], dependencies=[*key_guard(settings), Depends(json_body)], responses=ERROR_RESPONSES
    )

    @scoring.post("/v1/score", response_model=ScoreResult)
    async def score(
        body: Annotated[ScoreRequest, Body(openapi_examples=EXAMPLES)],  # type: ignore[valid-type]
        model: LoadedModel,
        metrics: AppMetrics,
    ) -> Response:
        """Score one ad: risk score in [0, 1], level, the red flags and legitimacy cues found
        (with character offsets into the submitted text), the terms that moved it, warnings."""
        request = cast(ScoreRequestShape, body)
        return await run_in_threadpool(scored_json, model, metrics, [request], request.lang, False)

    @scoring.post("/v1/score/batch", response_model=BatchResponse)
    async def score_batch(
        body: Annotated[BatchRequest, Body(openapi_examples=BATCH_EXAMPLES)],  # type: ignore[valid-type]
        model: LoadedModel,
        metrics: AppMetrics,
    ) -> Response:
        """Score up to the configured number of ads (default 1,000; 2,000,000 characters in all)
        in one call; results in input order, each exactly as `POST /v1/score` would return it."""
        request = cast(BatchRequestShape, body)
        return await run_in_threadpool(scored_json, model, metrics, request.items, request.lang, True)

    return scoring


def scored_json(
    model: Model,
    metrics: ApiMetrics,
    items: Sequence[ScoreRequestShape | BatchItemShape],
    lang: Language,
    batch: bool,
) -> Response:
    """The JSON response (run in a worker thread): one result, or with `batch` a BatchResponse.
    The results are built from validated models, so they are serialised without re-validation."""
    results = score_items(model, metrics, items, lang)
    if not batch:
        return Response(results[0].model_dump_json(), media_type="application/json")
    response = BatchResponse(model_version=model.version, results=results)
    return Response(response.model_dump_json(), media_type="application/json")


def score_items(
    model: Model,
    metrics: ApiMetrics,
    items: Sequence[ScoreRequestShape | BatchItemShape],
    lang: Language,
) -> list[ScoreResult]:
    """Score the `text` of each item; each result echoes the item's `id`. Counts the levels,
    scores and red flags (`ApiMetrics.observe`)."""
    scores = score_texts(model, [item.text for item in items], language=lang)
    results = [score_result(model, item.id, score) for item, score in zip(items, scores, strict=True)]
    for result in results:
        metrics.observe(model.version, result.level, result.score, (flag.id for flag in result.red_flags))
    return results


def score_result(model: Model, item_id: str | int | None, score: Score) -> ScoreResult:
    """The answer for one scored ad; 422 when its text could not be scored."""
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
