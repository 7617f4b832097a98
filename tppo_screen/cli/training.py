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
from tppo_screen.config import DATA_DIR
from tppo_screen.errors import DataError, InputError

if TYPE_CHECKING:
    from tppo_screen.training.feedback import Corrections

FeedbackDbOption = Annotated[
    str | None,
    typer.Option(
        "--feedback-db",
        help="Corrections store: an SQLAlchemy URL (sqlite:///…, postgresql://…) or an SQLite file "
        "(default: TPPO_FEEDBACK_DB, else data/feedback/feedback.sqlite3).",
    ),
]
FeedbackFileOption = Annotated[
    Path | None,
    typer.Option(
        "--feedback-file",
        help="Corrections in a file instead (the export of `tppo-screen feedback export`, or any "
        "CSV/JSONL/Parquet/xlsx with text and label columns; optional ad_id, sender, model_score).",
    ),
]


WithFeedbackOption = Annotated[
    bool,
    typer.Option(
        "--with-feedback",
        help="Train on the corrections too (the store of TPPO_FEEDBACK_DB, or --feedback-db / "
        "--feedback-file): each joins its near-duplicates' group, wins over a corpus near-duplicate "
        "with the other label, and counts as a real-world text; the card's data.feedback counts "
        "them by label and by what they did to the model's verdict (flipped, confirmed, unscored).",
    ),
]
FeedbackWeightOption = Annotated[
    float, typer.Option(min=0.001, help="How much one correction counts (a real-world text: 16).")
]
TrainDataOption = Annotated[
    Path,
    typer.Option("--train", help="With --feedback-*: the corpus the 'after' models add the corrections to."),
]
FoldsOption = Annotated[int, typer.Option(min=2, help="With --feedback-*: grouped folds of the corrections.")]


def verdict_threshold() -> float | None:
    """The `high` threshold of the model in use (TPPO_MODEL_PATH, else the shipped one): a
    correction on the other side of it flipped the model's verdict."""
    from tppo_screen.config import Settings
    from tppo_screen.model.artifacts import read_card

    path = Settings().model_path
    return read_card(path).thresholds.high if path.is_file() else None


def load_corrections(
    db: str | None, file: Path | None, threshold: float | None, weight: float = 16.0
) -> Corrections:
    """The corrections of `file`, or else of the store at `db` (default: TPPO_FEEDBACK_DB),
    checked and merged per text (`training.feedback.prepare_corrections`)."""
    from tppo_screen.model.artifacts import sha256_file
    from tppo_screen.training.feedback import Corrections, prepare_corrections
    from tppo_screen.training.train import read_labelled

    if db is not None and file is not None:
        raise InputError("give --feedback-db or --feedback-file, not both")
    if file is not None:
        frame, where = read_labelled(file), str(file)
        source: dict[str, str] = {"file": file.name, "sha256": sha256_file(file)}
    else:
        from tppo_screen.config import Settings
        from tppo_screen.feedback.store import open_store

        store = open_store(db if db is not None else Settings().feedback_db)
        try:
            frame, where = store.frame(), f"the corrections store {store.url}"
            source = {"store": store.url}  # the password, if any, hidden
        finally:
            store.close()
    if frame.empty:
        raise DataError(f"{where}: no corrections to train on")
    prepared = prepare_corrections(frame, where, threshold)
    return Corrections(prepared.frame, {"from": source, **prepared.facts}, weight)


def _wanted_corrections(wanted: bool, db: str | None, file: Path | None, weight: float) -> Corrections | None:
    """The corrections to train on: with --with-feedback, --feedback-db or --feedback-file."""
    if not (wanted or db is not None or file is not None):
        return None
    return load_corrections(db, file, verdict_threshold(), weight)


def _print_feedback(facts: dict[str, object]) -> None:
    kinds = facts["kinds"]
    assert isinstance(kinds, dict)
    table = Table("corrections", "flipped", "confirmed", "unscored", box=None)
    for label, counts in kinds.items():
        table.add_row(label, *(str(counts[kind]) for kind in ("flipped", "confirmed", "unscored")))
    out.print(table)
    out.print(
        f"{facts['trained_on']} corrections trained on (weight {facts['weight']}), "
        f"{facts['tied_left_out']} tied texts left out, {facts['corpus_rows_overruled']} corpus rows "
        f"overruled, {facts['with_corpus_near_duplicates']} grouped with corpus near-duplicates"
    )


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
    with_feedback: WithFeedbackOption = False,
    feedback_db: FeedbackDbOption = None,
    feedback_file: FeedbackFileOption = None,
    feedback_weight: FeedbackWeightOption = 16.0,
) -> None:
    """Train a model with grouped cross-validation; save it with its model card. The red-flag
    catalogue becomes part of the model: each flag and cue is a feature with a learned weight,
    a red flag's held ≥ 0 and a cue's ≤ 0. With `source` and `register` columns the thresholds
    keep false alarms within a budget per kind of legitimate text (see the card's notes)."""
    from tppo_screen.model.artifacts import save_model
    from tppo_screen.model.stem import DEFAULT_OVERRIDES
    from tppo_screen.training.train import train as train_model

    with user_errors():
        corrections = _wanted_corrections(with_feedback, feedback_db, feedback_file, feedback_weight)
        pipeline, card = train_model(
            data,
            name=output.stem,
            test_path=test,
            real_test_path=real_test,
            seed=seed,
            folds=folds,
            overrides_path=stem_overrides or DEFAULT_OVERRIDES,
            catalogue_path=catalogue,
            feedback=corrections,
        )
        saved = save_model(pipeline, output, card)
    _print_metrics(card.metrics)
    if "feedback" in card.data:
        _print_feedback(card.data["feedback"])
    out.print(f"thresholds: medium ≥ {card.thresholds.medium:.4f}, high ≥ {card.thresholds.high:.4f}")
    out.print(f"saved {escape(str(output))} (sha256 {saved.card.artifact['sha256'][:12]}…) and its card")


def evaluate(
    data: Annotated[
        Path | None,
        typer.Argument(help="Labelled CSV (text, label) the model has not seen (not with --feedback-*)."),
    ] = None,
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
    feedback_db: FeedbackDbOption = None,
    feedback_file: FeedbackFileOption = None,
    train_data: TrainDataOption = DATA_DIR / "train.csv",
    folds: FoldsOption = 5,
) -> None:
    """Evaluate a model on labelled data at the thresholds in its card; print metrics JSON.
    With --feedback-db/--feedback-file instead of DATA: before/after on the corrections by
    grouped cross-validation ('before' the model, 'after' trained on --train plus the other
    folds' corrections), at the model's thresholds: what a round bought, before shipping it."""
    from tppo_screen.model.artifacts import load_model, sha256_file
    from tppo_screen.tables.read import read_table
    from tppo_screen.tables.write import write_text
    from tppo_screen.training.evaluate import evaluate_model

    if feedback_db is not None or feedback_file is not None:
        _evaluate_feedback(model, feedback_db, feedback_file, train_data, folds, output)
        return
    with user_errors():
        if data is None:
            raise InputError("give a labelled DATA file, or --feedback-db/--feedback-file for before/after")
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


def _evaluate_feedback(
    model: Path | None, db: str | None, file: Path | None, corpus: Path, folds: int, output: Path | None
) -> None:
    """`evaluate --feedback-*`: the before/after table, and its JSON with -o."""
    from tppo_screen.model.artifacts import load_model, sha256_file
    from tppo_screen.tables.write import write_text
    from tppo_screen.training.before_after import before_after
    from tppo_screen.training.train import read_labelled

    with user_errors():
        loaded = load_model(model_path(model))
        corrections = load_corrections(db, file, loaded.thresholds.high)
        frame = read_labelled(corpus)
        if sha256_file(corpus) != loaded.card.data.get("sha256"):
            err.print(
                f"[yellow]warning:[/] {escape(str(corpus))} is not the data {escape(loaded.version)} was "
                "trained on: 'after' differs from 'before' by more than the corrections"
            )
        err.print(f"training {folds} fold models on {len(frame):,} corpus rows plus corrections…")
        result = before_after(loaded, frame, corrections, folds=folds)
        text = json.dumps(
            {"model": loaded.version, "train": str(corpus), **result}, indent=2, allow_nan=False
        )
        if output is not None:
            write_text(text + "\n", output)
    table = Table(
        "on the corrections", "recall@high", "false alarms@high", "recall@medium", "ROC-AUC", box=None
    )
    for side in ("before", "after"):
        m = result[side]
        table.add_row(
            side,
            *(
                "—" if m[key] is None else f"{m[key]:.3f}"
                for key in ("recall_at_high", "false_alarms_at_high", "recall_at_medium", "roc_auc")
            ),
        )
    out.print(
        f"{result['corrections']} corrections ({result['high_risk']} high_risk, {result['legit']} legit), "
        f"{result['folds']} grouped folds; thresholds of {escape(loaded.version)}"
    )
    out.print(table)
    out.print(f"now right at high: {result['now_right']}; now wrong: {result['now_wrong']}")


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
