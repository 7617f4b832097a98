"""The one error format: every error leaves as `{"error": {"code", "message", "details"}}` with its
HTTP status, and a validation error says what to fix rather than how pydantic failed.

401 without a valid API key (when keys are configured; see `middleware.KeyGuard`), 404/405 for
unknown routes, 413 for a body over the limit (see `middleware.BodyLimit`), 415 for a body that
is not JSON, 422 for a request that breaks the schema (a batch over TPPO_MAX_BATCH_CHARS too),
500 for a bug (logged with its traceback, never shown).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from tppo_screen.serving.schemas import NOT_UNICODE, ErrorDetail, ErrorResponse

logger = logging.getLogger(__name__)

_HINTS = {
    "missing": "required",
    "string_too_short": "empty: send the ad's text",
    "string_pattern_mismatch": "has no letters: send the ad's words, not only numbers or symbols",
    "extra_forbidden": "unknown field (check the spelling against /docs)",
    "model_attributes_type": 'must be a JSON object, e.g. {"text": "…"}',
    "dict_type": 'must be a JSON object, e.g. {"text": "…"}',
    "string_unicode": NOT_UNICODE,
}
_PARTS = re.compile(r"(\{[^}]*\})")  # an OpenAPI path template's parameters, kept by split
_CODES = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed", 415: "unsupported_media_type"}


def error_response(
    status: int, code: str, message: str, details: list[dict[str, str]] | None = None
) -> JSONResponse:
    """The error body; strings are made valid UTF-8 first (a lone surrogate in a field name or
    value is shown escaped, `\\ud800`, instead of failing to encode). Carries `nosniff` itself, as
    a 500 leaves outside the middleware that adds it."""
    details = [{key: _printable(value) for key, value in d.items()} for d in details or []]
    body = ErrorResponse(error=ErrorDetail(code=code, message=_printable(message), details=details))
    return JSONResponse(body.model_dump(), status_code=status, headers={"X-Content-Type-Options": "nosniff"})


def _printable(text: str) -> str:
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def problem(error: dict[str, Any]) -> dict[str, str]:
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


async def invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    details = [problem(error) for error in exc.errors()]
    shown = "; ".join(f"{d['field']}: {d['message']}" for d in details[:3])
    more = f" (and {len(details) - 3} more)" if len(details) > 3 else ""
    return error_response(422, "validation_error", shown + more, details)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = str(exc.detail)
    if exc.status_code == 400 and message == "There was an error parsing the body":
        # FastAPI's answer to a body that is not UTF-8: treat it like any other invalid JSON
        invalid = {"field": "body", "message": "not valid JSON (send UTF-8 encoded JSON)"}
        return error_response(422, "validation_error", f"body: {invalid['message']}", [invalid])
    if exc.status_code == 400 and request.headers.get("content-type", "").startswith("multipart/"):
        # Starlette's answer to a multipart body it cannot parse (POST /v1/score/image)
        why = f"not valid multipart/form-data ({message.rstrip('.')}): curl -F file=@poster.jpg"
        invalid = {"field": "body", "message": why}
        return error_response(422, "validation_error", f"body: {invalid['message']}", [invalid])
    if exc.status_code == 404 and message == "Not Found":
        message = f"no route {request.method} {request.url.path}: the API is described at /docs"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}: see /docs"
    response = error_response(exc.status_code, _CODES.get(exc.status_code, "http_error"), message)
    response.headers.update(exc.headers or {})
    if exc.status_code == 405:
        response.headers["Allow"] = _allowed_methods(request, response.headers.get("Allow", ""))
    return response


def _allowed_methods(request: Request, named: str) -> str:
    """Every method the API documents on this path, and those Starlette `named` (its 405 names
    only the first matching route's: wrong where GET and POST /v1/feedback are two routes)."""
    methods = {method.strip() for method in named.split(",") if method.strip()}
    for template, operations in request.app.openapi().get("paths", {}).items():
        pattern = "".join(
            "[^/]+" if part.startswith("{") else re.escape(part) for part in _PARTS.split(template)
        )
        if re.fullmatch(pattern, request.url.path):
            methods |= {method.upper() for method in operations}
    return ", ".join(sorted(methods))


async def crashed(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(500, "internal_error", "internal error; the server log has the details")


def install_handlers(app: FastAPI) -> None:
    """Answer validation errors, HTTP errors and crashes in the one format."""
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, crashed)
