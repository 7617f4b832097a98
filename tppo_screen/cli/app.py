"""The `tppo-screen` command: every command in one place, each defined in the module named for it."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from tppo_screen.cli import check, corpus, drift, feedback, score, serve, training

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Score Indonesian job ads for human-trafficking (TPPO) recruitment red flags.\n\n"
    "Scores are a screening aid for analysts and trainers, not a verdict: always check the "
    "evidence and the employer (SISKOP2MI, BP3MI, Disnaker).",
)


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


app.command(short_help="Score one ad and show its red flags, cues and the terms behind the score.")(
    check.check
)
app.command("red-flags", short_help="List the red-flag catalogue, show one entry, or --check its examples.")(
    check.red_flags
)
app.command(short_help="Score a listings file (CSV, TSV, JSONL, Parquet) of any size.")(score.score)
app.command(short_help="Train a model with grouped cross-validation; write it with its model card.")(
    training.train
)
app.command(short_help="Metrics of a model on labelled ads; --report writes a readable report.")(
    training.evaluate
)
app.command(short_help="Compare a batch's scores and red flags with the training corpus (PSI, plot).")(
    drift.drift
)
app.command(short_help="Serve the REST API and the trainers' demo page.")(serve.serve)
app.add_typer(corpus.app, name="corpus", help="Build the training corpus and the demo gallery (offline).")
app.add_typer(
    feedback.app, name="feedback", help="Corrections: import an analyst's labels, export the store, stats."
)
