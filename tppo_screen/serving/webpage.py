"""The trainers' demo page: `GET /` serves tppo_screen/serving/web/index.html, `/web/...` its assets.

Static files only (HTML, CSS, ES modules, the gallery as JSON): no build step, nothing fetched
from another host, so the page works offline on the laptop running `tppo-screen serve`. The
page calls the API it is served by (`/v1/score`, `/v1/score/image`, `/v1/red-flags`,
`/v1/feedback`). Neither route is in the OpenAPI schema, and unknown paths keep their JSON 404s.
"""

from __future__ import annotations

import os
from os import PathLike
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from tppo_screen.config import WEB_DIR

# Everything from this server, nothing inline, no frames: the page has no inline script or style.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",  # a new version shows on reload
}


class _Assets(StaticFiles):
    """StaticFiles whose answers carry the page's headers (CSP, nosniff, no-cache)."""

    def file_response(
        self,
        full_path: PathLike[str] | str,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers.update(PAGE_HEADERS)
        return response


def add_web_page(app: FastAPI, directory: Path = WEB_DIR) -> None:
    """Serve `directory`/index.html at `/` and the other files under `/web/`."""

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(directory / "index.html", media_type="text/html", headers=PAGE_HEADERS)

    app.mount("/web", _Assets(directory=directory), name="web")
