"""What route handlers receive through `Depends`: the loaded model, the app's metrics, and the
guards (API key, JSON body). The state lives on the app (`app.state.settings`,
`app.state.metrics`) and in the lifespan state (`request.state.model`), never in globals.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader

from tppo_screen.config import Settings
from tppo_screen.model.artifacts import Model
from tppo_screen.serving.middleware import UNAUTHORISED, ApiMetrics, key_matches

API_KEY_HEADER = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="One of the keys the server was started with (TPPO_API_KEYS); checked before "
    "the body is read.",
)


def current_model(request: Request) -> Model:
    """The model the lifespan loaded and warmed up."""
    model: Model = request.state.model
    return model


def api_metrics(request: Request) -> ApiMetrics:
    metrics: ApiMetrics = request.app.state.metrics
    return metrics


LoadedModel = Annotated[Model, Depends(current_model)]
AppMetrics = Annotated[ApiMetrics, Depends(api_metrics)]


async def authorised(request: Request, key: Annotated[str | None, Security(API_KEY_HEADER)]) -> None:
    """The key check as the OpenAPI document states it. `middleware.KeyGuard` has already refused
    a request without a valid key before its body was read; this is the second line."""
    settings: Settings = request.app.state.settings
    keys = [*settings.api_keys, *settings.admin_keys] if settings.api_keys else []  # admins score too
    given = (key or "").encode("latin-1", "replace")  # back to the header's bytes
    if keys and not (key is not None and key_matches(given, keys)):
        raise HTTPException(401, UNAUTHORISED)


async def json_body(request: Request) -> None:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise HTTPException(
            415,
            f"send the body as JSON with Content-Type: application/json (got {media_type or 'none'}); "
            "with curl: -H 'Content-Type: application/json'",
        )


def key_guard(settings: Settings) -> list[Any]:
    """The dependencies of /v1/* routes: the key check when keys are configured, else none (so
    the OpenAPI document asks for a key only when one is needed)."""
    return [Depends(authorised)] if settings.api_keys else []
