"""`train` and `evaluate`: a model from labelled ads, and its metrics on labelled ads it never saw."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from tppo_screen.cli.common import (
    ModelOption,
    err,
    model_path,
    out,
    user_errors,
)

if TYPE_CHECKING:
    pass


def train(
    data: Annotated[
        Path,
        typer.Argument(
            help="Labelled CSV: text, label (high_risk|legit); optional group, source, register, weight "
            "(how much a row counts), snippet_of."
        ),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Model file to write (.joblib); the card goes beside it.")
    ],
    test: Annotated[
        Path | None, typer.Option(help="Held-out labelled CSV whose metrics go in the card.")
    ] = None,
    real_test: Annotated[
        Path | None,
        typer.Option(help="The real-world test split (data/real/test.csv): its metrics go in the card too."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed: same data and seed give the same model.")] = 13,
    folds: Annotated[int, typer.Option(min=2, help="Grouped cross-validation folds.")] = 5,
    stem_overrides: Annotated[Path | None, typer.Option(help="Stem-override file (word<TAB>stem).")] = None,
    catalogue: Annotated[
        Path | None,
        typer.Option(
            "--catalogue", "-c", help="Red-flag catalogue whose entries become features (default: shipped)."
        ),
    ] = None,
) -> None:
    """Train a model with grouped cross-validation; save it with its model card. The red-flag
    catalogue becomes part of the model: each flag and cue is a feature with a learned weight,
    a red flag's held ≥ 0 and a cue's ≤ 0. With `source` and `register` columns the thresholds
    keep false alarms within a budget per kind of legitimate text (see the card's notes)."""
    from tppo_screen.model.artifacts import save_model
    from tppo_screen.model.stem import DEFAULT_OVERRIDES
    from tppo_screen.training.train import train as train_model

    with user_errors():
        pipeline, card = train_model(
            data,
            name=output.stem,
            test_path=test,
            real_test_path=real_test,
            seed=seed,
            folds=folds,
            overrides_path=stem_overrides or DEFAULT_OVERRIDES,
            catalogue_path=catalogue,
        )
        saved = save_model(pipeline, output, card)
    _print_metrics(card.metrics)
    out.print(f"thresholds: medium ≥ {card.thresholds.medium:.4f}, high ≥ {card.thresholds.high:.4f}")
    out.print(f"saved {escape(str(output))} (sha256 {saved.card.artifact['sha256'][:12]}…) and its card")


def evaluate(
    data: Annotated[Path, typer.Argument(help="Labelled CSV (text, label) the model has not seen.")],
    model: ModelOption = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the metrics JSON here too.")
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Also write a readable report into this directory: report.md, metrics.json, "
            "pr_curve.png, calibration.png, confusion.png, with the worst errors explained.",
        ),
    ] = None,
) -> None:
    """Evaluate a model on labelled data at the thresholds in its card; print metrics JSON."""
    from tppo_screen.model.artifacts import load_model, sha256_file
    from tppo_screen.tables.read import read_table
    from tppo_screen.tables.write import write_text
    from tppo_screen.training.evaluate import evaluate_model

    with user_errors():
        loaded = load_model(model_path(model))
        frame, read = read_table(data)
        if read.bad_lines:  # skipped as `score` skips them, and said in the same words
            err.print(f"[yellow]warning:[/] {escape(str(data))}: {escape(read.describe())}", soft_wrap=True)
        if report is not None:
            from tppo_screen.training.report import write_report

            metrics = write_report(loaded, frame, report, str(data), skipped_lines=read.skipped())
            metrics.pop("worst_errors")
            err.print(f"report written to {report / 'report.md'}")
        else:
            metrics = {**evaluate_model(loaded, frame, str(data)), "skipped_lines": read.skipped()}
        if sha256_file(data) == loaded.card.data.get("sha256"):
            err.print(
                "[yellow]warning:[/] this is the model's training data: these metrics are "
                "in-sample; the card's 'cv' and 'test' metrics are the honest ones"
            )
        text = json.dumps({"model": loaded.version, "data": str(data), **metrics}, indent=2, allow_nan=False)
        if output is not None:
            write_text(text + "\n", output)
    typer.echo(text)


def _print_metrics(metrics: dict[str, dict[str, object]]) -> None:
    table = Table(
        "split", "ROC-AUC", "PR-AUC", "F1@high", "precision@high", "recall@high", "recall@medium", box=None
    )
    for split, m in metrics.items():
        high, medium = m["at_high"], m["at_medium"]
        assert isinstance(high, dict) and isinstance(medium, dict)
        table.add_row(
            split,
            str(m["roc_auc"]),
            str(m["pr_auc"]),
            str(high["f1"]),
            str(high["precision"]),
            str(high["recall"]),
            str(medium["recall"]),
        )
    out.print(table)
