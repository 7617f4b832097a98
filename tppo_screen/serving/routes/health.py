"""Liveness, readiness and Prometheus metrics: GET /healthz, /readyz (never a key), /metrics (a key
when keys are configured: see `middleware.KeyGuard`)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from tppo_screen.serving.dependencies import AppMetrics, LoadedModel
from tppo_screen.serving.schemas import ERROR_RESPONSES, Status

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> Status:
    """Liveness: the process answers."""
    return Status(status="ok")


@router.get("/readyz")
async def readyz(model: LoadedModel) -> Status:
    """Readiness: the model is loaded and scored its warm-up ad."""
    return Status(status="ready", model_version=model.version)


@router.get("/metrics", response_class=Response, responses={401: ERROR_RESPONSES[401]})
async def metrics(app_metrics: AppMetrics) -> Response:
    """Prometheus metrics: requests and latency per route, ads scored per level. When the server
    sets TPPO_API_KEYS or TPPO_METRICS_KEYS, send one of those keys as `X-API-Key` or
    `Authorization: Bearer <key>` (Prometheus: `authorization: {credentials: <key>}`); without
    keys it is open."""
    return Response(app_metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
