"""The parts of `score`'s summary an analyst reads first: how the file was read and written, the
most frequent red flags by their labels, and the riskiest ads with the flags and the sentence
that fired them (`batch.evidence`), one line per distinct ad however often it was re-posted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from rich.table import Table
from rich.text import Text

from tppo_screen.cli.common import LEVEL_STYLE, SEVERITY_STYLE, err, out, printable, shown
from tppo_screen.tables.sniff import describe

if TYPE_CHECKING:
    from tppo_screen.batch.score import BatchSummary
    from tppo_screen.model.catalogue import Catalogue

FLAGS_LISTED = 5
LABELS_SHOWN = 3  # labels per row in the riskiest table; more are counted


def print_how_read(summary: BatchSummary) -> None:
    """One line each: a delimiter other than the comma, a BOM written, a note of the engine."""
    delimiter = summary.report.delimiter
    if delimiter not in (None, ",", "\t"):
        out.print(f"read with delimiter: {describe(delimiter)}", soft_wrap=True)
    if summary.bom:
        out.print(
            "written with a UTF-8 byte-order mark (--excel-csv): Excel reads it as UTF-8", soft_wrap=True
        )
    for note in summary.notes:
        err.print(f"[cyan]note:[/] {shown(note)}", soft_wrap=True)


def print_frequent_flags(summary: BatchSummary, catalogue: Catalogue, language: Literal["id", "en"]) -> None:
    """The most frequent red flags, each with its label in `language` and its id."""
    if not summary.flags:
        return
    common = []
    for flag, count in summary.flags.most_common(FLAGS_LISTED):
        label = catalogue.entry(flag).label[language] if flag in catalogue.ids else flag
        common.append(f"{shown(label)} [dim]({shown(flag)})[/] {count:,}")
    out.print("most frequent red flags: " + ", ".join(common), soft_wrap=True)


def print_riskiest(summary: BatchSummary, id_column: str | None) -> None:
    """The riskiest distinct ads: name (×copies), score, level, red-flag labels, evidence."""
    if not summary.riskiest:
        return
    name_column = "row" if id_column is None else shown(id_column)
    table = Table(name_column, "score", "level", "red flags", "evidence", title="riskiest rows", box=None)
    for row in summary.riskiest:
        name = shown(row.name) + (f" [bold](×{row.copies:,})[/]" if row.copies > 1 else "")
        labels = "; ".join(row.flags[:LABELS_SHOWN])
        more = len(row.flags) - LABELS_SHOWN
        flags = shown(labels) + (f" [dim]+{more}[/]" if more > 0 else "") if row.flags else "[dim]—[/]"
        evidence = Text(printable(row.evidence.before))
        evidence.append(printable(row.evidence.words), style=SEVERITY_STYLE["high"])
        evidence.append(printable(row.evidence.after))
        style = LEVEL_STYLE[row.level]
        table.add_row(name, f"{row.score:.3f}", f"[{style}]{row.level}[/]", flags, evidence)
    out.print(table)
