"""`drift`: a batch's score and red-flag distributions against the training corpus's."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from tppo_screen.cli.common import ModelOption, err, model_path, out, shown, user_errors
from tppo_screen.config import DATA_DIR, ROOT

READING = "PSI < 0.1 stable, 0.1–0.25 watch, > 0.25 shift"
ORDER = ("stable", "watch", "shift")
DRIFTED = 3  # exit code of --fail-on: 1 is an error of the command itself


class Reading(StrEnum):
    """The readings --fail-on can be set to (a "stable" batch never fails)."""

    watch = "watch"
    shift = "shift"


def drift(
    data: Annotated[
        Path, typer.Argument(help="The batch: CSV, TSV, JSONL, Parquet or xlsx with a text column.")
    ],
    model: ModelOption = None,
    reference: Annotated[
        Path, typer.Option(help="The training corpus the batch is compared with, scored by the same model.")
    ] = DATA_DIR / "train.csv",
    text_column: Annotated[
        str, typer.Option(help="Column holding the ad text (batch and reference).")
    ] = "text",
    plot: Annotated[
        Path | None, typer.Option(help="Write a PNG: shares per score decile, and the red flags that moved.")
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report JSON here.")] = None,
    cache_dir: Annotated[
        Path,
        typer.Option(help="Where the reference's profile is cached, per model and corpus file (SHA-256)."),
    ] = ROOT / "out" / "drift",
    top: Annotated[
        int, typer.Option(min=1, help="Red flags to list, largest change first (in standard errors).")
    ] = 10,
    fail_on: Annotated[
        Reading | None,
        typer.Option(help="Exit with code 3 when the reading is this or worse (for a scheduled check)."),
    ] = None,
) -> None:
    """Compare a batch with the training corpus: the population stability index (PSI) of the
    risk score over the deciles of the corpus's scores (< 0.1 stable, 0.1–0.25 watch, > 0.25
    shift), the share at each risk level, and the red flags whose rate changed most. Both sides
    are scored by the model; the corpus's profile is computed once and cached."""
    from tppo_screen.model.artifacts import load_model
    from tppo_screen.tables.read import read_table
    from tppo_screen.tables.write import write_text
    from tppo_screen.training.drift import compare, reference_profile, scored
    from tppo_screen.training.drift import plot as draw

    with user_errors():
        loaded = load_model(model_path(model))
        profile = reference_profile(loaded, reference, text_column, cache_dir)
        frame, read = read_table(data)
        if read.bad_lines:
            err.print(f"[yellow]warning:[/] {shown(data)}: {shown(read.describe())}", soft_wrap=True)
        report: dict[str, Any] = {"model": loaded.version, "batch": str(data), "reference": str(reference)}
        report |= compare(profile, scored(loaded, frame, text_column, str(data)))
        if output is not None:
            write_text(json.dumps(report, indent=2, allow_nan=False) + "\n", output)
        if plot is not None:
            draw(report, plot)
    _print_report(report, top)
    if plot is not None:
        err.print(f"plot written to {shown(plot)}")
    if fail_on is not None and ORDER.index(report["reading"]) >= ORDER.index(fail_on.value):
        raise typer.Exit(DRIFTED)


def _print_report(report: dict[str, Any], top: int) -> None:
    out.print(
        f"{report['rows']:,} texts of {shown(report['batch'])} against {report['reference_rows']:,} of "
        f"{shown(report['reference'])}, scored by {shown(report['model'])}"
    )
    out.print(f"score PSI {report['psi']:.3f}: [bold]{report['reading']}[/] ({READING})")
    levels = report["levels"]
    table = Table("level", "training corpus", "this batch", box=None)
    for level in ("low", "medium", "high"):
        table.add_row(level, *(f"{levels[side].get(level, 0.0):.1%}" for side in ("reference", "batch")))
    out.print(table)
    flags = report["flags"]
    table = Table("red flag", "training corpus", "this batch", "ratio", "change (SE)", box=None)
    for row in flags[:top]:
        ratio = "new" if row["ratio"] is None else f"{row['ratio']:.2f}×"
        rates = f"{row['reference_rate']:.1%}", f"{row['rate']:.1%}"
        table.add_row(shown(row["flag"]), *rates, ratio, f"{row['change_se']:.1f}")
    out.print(table)
