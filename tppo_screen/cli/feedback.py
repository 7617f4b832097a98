"""`tppo-screen feedback …`: the corrections store from the command line.

    tppo-screen feedback import FILE [--sender NAME] [--text-column text] [--id-column id]
    tppo-screen feedback export -o FILE          (.csv, .jsonl or .parquet; written atomically)
    tppo-screen feedback stats [--json]

Every command takes `--db URL` (default: TPPO_FEEDBACK_DB, else data/feedback/feedback.sqlite3).
Mounted by `tppo_screen.cli.app` (`app.add_typer`); the store (SQLAlchemy, pandas) loads inside
the commands, so `tppo-screen --help` stays fast.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from tppo_screen.cli.common import err, shown, user_errors
from tppo_screen.config import Settings
from tppo_screen.errors import InputError

if TYPE_CHECKING:
    from tppo_screen.feedback.imports import TableCorrections
    from tppo_screen.feedback.store import FeedbackStore

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Corrections: import an analyst's labelled file, export the store, count what is in it.",
)
out = Console()
SHOWN_PROBLEMS = 20  # refused rows listed one by one; the rest are counted

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="The store: a SQLAlchemy URL (postgresql://user@host/db, sqlite:///file) or a SQLite "
        "file. Default: $TPPO_FEEDBACK_DB, else data/feedback/feedback.sqlite3.",
    ),
]


def _open(db: str | None, mask: bool | None = None) -> FeedbackStore:
    from tppo_screen.feedback.store import open_store

    settings = Settings()
    url = db if db is not None else settings.feedback_db
    return open_store(url, mask=settings.feedback_mask if mask is None else mask)


@app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(help="A scored CSV/TSV/JSONL/Parquet/xlsx with a filled `label` column.")
    ],
    db: DbOption = None,
    sender: Annotated[
        str | None,
        typer.Option(help="Who corrected (one correction per ad and sender). Default: your user name."),
    ] = None,
    text_column: Annotated[str, typer.Option(help="Column with the ad text.")] = "text",
    id_column: Annotated[
        str | None,
        typer.Option(help="Column with the ad id (default: `id` if present, else a hash of the text)."),
    ] = None,
    label_column: Annotated[str, typer.Option(help="Column with high_risk or legit.")] = "label",
    mask: Annotated[
        bool | None,
        typer.Option(
            "--mask/--no-mask", help="Mask phones, e-mails and names (default: $TPPO_FEEDBACK_MASK, on)."
        ),
    ] = None,
) -> None:
    """Record the rows an analyst labelled (`high_risk` or `legit`): rows without a label are
    skipped and counted; rows with a label, text or flag that cannot be used are listed with their
    row number (the header is row 1) and left out, every other row is recorded. Importing the
    same file again records nothing twice. Exit code 1 when some rows were refused."""
    from tppo_screen.feedback.imports import corrections_from_table
    from tppo_screen.tables.read import read_table

    with user_errors():
        store = _open(db, mask)
        table = read_table(file)
        found = corrections_from_table(table.frame, store.known_flags, text_column, id_column, label_column)
        results = store.add(found.corrections, sender or getpass.getuser()) if found.corrections else []
    new = sum(not r.duplicate for r in results)
    err.print(
        f"{shown(file)}: {new:,} corrections recorded, {len(results) - new:,} already there, "
        f"{found.unlabelled:,} rows without a label skipped, {len(found.refused):,} refused "
        f"(store {shown(store.url)})",
        highlight=False,
        soft_wrap=True,
    )
    if found.refused:
        _report_refused(found)
        raise typer.Exit(1)


def _report_refused(found: TableCorrections) -> None:
    for row, why in found.refused[:SHOWN_PROBLEMS]:
        err.print(f"  row {row}: {shown(why)}", highlight=False, soft_wrap=True)
    if len(found.refused) > SHOWN_PROBLEMS:
        err.print(f"  … and {len(found.refused) - SHOWN_PROBLEMS:,} more rows", highlight=False)
    err.print(
        "fix those rows and import the file again: rows already recorded are not added twice", soft_wrap=True
    )


@app.command()
def export(
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write: .csv, .jsonl or .parquet.")],
    db: DbOption = None,
    keep_formulas: Annotated[
        bool,
        typer.Option(help="In CSV, keep cells starting with = + - @ as they are (default: prefixed with ')."),
    ] = False,
) -> None:
    """Write every correction (ad_id, text, label, reason, flags, sender, created_at,
    model_version, model_score, masked) to a file, atomically: a failure leaves no partial file.
    JSONL and Parquet keep every text exactly as stored."""
    from tppo_screen.feedback.store import export_text
    from tppo_screen.tables.write import atomic_write, write_text

    with user_errors():
        kind = output.suffix.lower().lstrip(".")
        if kind not in ("csv", "jsonl", "parquet"):
            raise InputError(f"{output}: name the output .csv, .jsonl or .parquet")
        frame = _open(db).frame()
        if kind == "parquet":
            atomic_write(output, lambda tmp: frame.to_parquet(tmp, index=False))
        else:
            write_text(export_text(frame, kind, keep_formulas), output)
    err.print(f"wrote {len(frame):,} corrections to {shown(output)}", highlight=False, soft_wrap=True)


@app.command()
def stats(
    db: DbOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the statistics as JSON (for scripts).")
    ] = False,
) -> None:
    """How many corrections the store holds: per label, per sender, per model version corrected."""
    with user_errors():
        figures = _open(db).stats()
    if as_json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    out.print(f"store {shown(figures['store'])}: {figures['corrections']:,} corrections", highlight=False)
    for title, counts in (
        ("label", figures["labels"]),
        ("sender", figures["senders"]),
        ("model version", figures["model_versions"]),
    ):
        out.print(_table(title, counts))
    if figures["corrections"]:
        out.print(f"first {figures['first']}, last {figures['last']}; {figures['masked']:,} masked")


def _table(title: str, counts: dict[str, Any]) -> Table:
    table = Table(title=f"by {title}", title_justify="left")
    table.add_column(title)
    table.add_column("corrections", justify="right")
    for name, count in counts.items():
        table.add_row(shown(name), f"{count:,}")
    return table
