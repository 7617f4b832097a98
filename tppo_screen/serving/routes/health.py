"""Liveness, readiness and Prometheus metrics: GET /healthz, /readyz, /metrics (no key needed)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from tppo_screen.serving.dependencies import AppMetrics, LoadedModel
from tppo_screen.serving.schemas import Status

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> Status:
    """Liveness: the process answers."""
    return Status(status="ok")


@router.get("/readyz")
async def readyz(model: LoadedModel) -> Status:
    """Readiness: the model is loaded and scored its warm-up ad."""
    return Status(status="ready", model_version=model.version)


@router.get("/metrics", response_class=Response)
async def metrics(app_metrics: AppMetrics) -> Response:
    """Prometheus metrics: requests and latency per route, ads scored per level."""
    return Response(app_metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
