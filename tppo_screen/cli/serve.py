"""`serve`: the REST API and the trainers' demo page."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from tppo_screen.cli.common import (
    ModelOption,
    model_path,
    user_errors,
)

if TYPE_CHECKING:
    pass

KEEP_ALIVE_TIMEOUT = 5  # seconds; tppo_screen.serving.workers has the same defaults (imported lazily)
HEADER_TIMEOUT = 10.0

FeedbackOption = Annotated[
    bool,
    typer.Option(
        help="Record corrections (POST /v1/feedback) in the store TPPO_FEEDBACK_DB names (default "
        "data/feedback/feedback.sqlite3); --no-feedback turns the routes and the demo page's button off.",
    ),
]


def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on (0.0.0.0 for all interfaces).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes (one per CPU core is a good start).")
    ] = 1,
    model: ModelOption = None,
    access_log: Annotated[
        bool, typer.Option(help="Log every request (request counts and latencies are in /metrics).")
    ] = False,
    timeout_keep_alive: Annotated[
        int, typer.Option(min=1, help="Seconds an idle keep-alive connection stays open after a response.")
    ] = KEEP_ALIVE_TIMEOUT,
    timeout_header: Annotated[
        float,
        typer.Option(
            min=0.1,
            help="Seconds a connection has to send a complete request head (from opening, or from "
            "its previous response); slower or silent connections are closed.",
        ),
    ] = HEADER_TIMEOUT,
    feedback: FeedbackOption = True,
) -> None:
    """Start the REST API and the trainers' demo page: open http://127.0.0.1:8000/ in a browser
    (works offline). OpenAPI docs at /docs, metrics at /metrics. The model loads once per worker,
    at startup; with --workers N a worker that dies is replaced. Each process holds at most 3/4 of
    its open-file limit in connections: beyond that, a new one closes the connection that has
    waited longest for a request. Limits, API keys and CORS come from TPPO_* variables (see the
    README)."""
    import uvicorn

    from tppo_screen.model.artifacts import load_model
    from tppo_screen.serving.app import create_app
    from tppo_screen.serving.workers import GuardedProtocol, Limits, run_workers

    path = model_path(model)
    if not feedback:
        os.environ["TPPO_FEEDBACK_DB"] = "off"  # read by create_app, here and in every worker
    limits = Limits(keep_alive=timeout_keep_alive, header=timeout_header)
    with user_errors():
        loaded = load_model(path)  # fail here, with one clear line, before any worker starts
        if workers > 1:
            raise typer.Exit(run_workers(path, host, port, workers, access_log=access_log, limits=limits))
    GuardedProtocol.configure(limits.header)
    uvicorn.run(
        create_app(model=loaded),
        host=host,
        port=port,
        access_log=access_log,
        http=GuardedProtocol,
        timeout_keep_alive=limits.keep_alive,
    )
