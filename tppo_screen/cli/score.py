"""`score`: a listings file of any size, streamed, with a summary of what it found."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

from tppo_screen.cli.common import (
    LEVEL_STYLE,
    LanguageOption,
    ModelOption,
    err,
    model_path,
    out,
    parse_language,
    shown,
    terminate_as_interrupt,
    user_errors,
)
from tppo_screen.cli.summary import print_frequent_flags, print_how_read, print_riskiest

if TYPE_CHECKING:
    from tppo_screen.batch.options import BatchOptions
    from tppo_screen.batch.score import BatchSummary
    from tppo_screen.model.artifacts import Model
    from tppo_screen.model.catalogue import Catalogue


ScoreInput = Annotated[
    Path,
    typer.Argument(
        help="Listings file: .csv, .tsv, .jsonl, .parquet or .xlsx (text formats may be .gz); or a "
        "folder of pictures (JPEG, PNG, WebP, recognised by content), one row each, in path order, "
        "with its path in column image."
    ),
]
ScoreOutput = Annotated[
    Path, typer.Option("--output", "-o", help="Where to write the scored rows; format from its extension.")
]
TextColumnOption = Annotated[str, typer.Option(help="Column holding the ad text.")]
ImageColumnOption = Annotated[
    str | None,
    typer.Option(
        help="Column of picture paths (relative to the table's folder): each picture is read by OCR "
        "and scored, with ocr_text and ocr_confidence added; a missing or broken picture keeps its "
        "row with risk_level=error and the reason. INPUT_FILE may also be a folder of pictures."
    ),
]
IdColumnOption = Annotated[str | None, typer.Option(help="Column to name rows by in the summary.")]
InputFormatOption = Annotated[
    str | None,
    typer.Option(
        "--format", help="Input format when the extension does not say: csv, tsv, jsonl, parquet, xlsx."
    ),
]
OutputFormatOption = Annotated[
    str | None,
    typer.Option(
        "--output-format",
        help="Output format when the extension does not say: csv, tsv, jsonl, parquet, xlsx.",
    ),
]
SheetOption = Annotated[
    str | None,
    typer.Option(help="Sheet of an .xlsx input: its name or number (1 = the first, the default)."),
]
DelimiterOption = Annotated[
    str | None,
    typer.Option(
        help="Delimiter of a CSV input: , ; tab | or any one character. Default: detected from the "
        "first lines (Excel on an Indonesian-locale Windows writes ;)."
    ),
]
ExcelCsvOption = Annotated[
    bool,
    typer.Option(
        "--excel-csv",
        help="Start CSV/TSV output (and the errors file) with a UTF-8 byte-order mark, so that Excel "
        "shows emoji and accents right. For Excel, -o NAME.xlsx is the other way.",
    ),
]
FlagsOption = Annotated[
    str | None,
    typer.Option(
        help="Write only rows with at least one of these red flags, e.g. "
        "--flags tourist_visa,passport_handling (ids from `tppo-screen red-flags`); error "
        "rows are always written."
    ),
]
MinLevelOption = Annotated[
    str,
    typer.Option(
        help="Write only rows at or above this level (low, medium, high); error rows are always kept."
    ),
]
ExplainOption = Annotated[
    bool, typer.Option("--explain", help="Add top_terms: the terms that moved each score.")
]
ErrorsOption = Annotated[
    Path | None,
    typer.Option("--errors", help="Where malformed lines go (default: OUTPUT.errors.csv beside the output)."),
]
CampaignsOption = Annotated[
    bool,
    typer.Option(
        "--campaigns",
        "--link-contacts",
        help="Add campaign and campaign_size: ads that are one offer re-posted with new numbers, cities "
        "or names (the same template), or that share a contact found in at most 10 ads (or share one "
        "and look alike). A number re-used across many ads joins nothing by itself. Ads alone get an "
        "empty campaign and size 1. The summary lists the largest risky campaigns with their "
        "template. Reads the input twice. (--link-contacts is the old name.)",
    ),
]
WorkersOption = Annotated[int, typer.Option(min=1, help="Processes to score with on this machine.")]
EngineOption = Annotated[
    str, typer.Option(help="local (this machine) or dask (a dask.distributed cluster; see --scheduler).")
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 "
        "(default with --engine dask: a local cluster of --workers processes)."
    ),
]
ReportOption = Annotated[
    Path | None,
    typer.Option(
        "--report",
        metavar="DIR",
        help="Also write DIR/report.html: one self-contained page (no network; opens from a USB stick) "
        "with the charts also as PNG files beside it: rows per level, red flags by frequency, "
        "campaigns, shared contacts, risk over time and by source (when the file has such columns) "
        "and the riskiest rows with their evidence highlighted.",
    ),
]
DateColumnOption = Annotated[
    str | None,
    typer.Option(
        help="Column of the ad's date, for --report's risk over time "
        "(default: the first of date, tanggal, tgl, posted_at, created_at, published_at … in the file)."
    ),
]
SourceColumnOption = Annotated[
    str | None,
    typer.Option(
        help="Column naming where the ad came from, for --report's risk by source "
        "(default: source, platform, sumber …)."
    ),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
TopRowsOption = Annotated[int, typer.Option(min=0, help="How many of the riskiest rows to list.")]
KeepFormulasOption = Annotated[
    bool,
    typer.Option(
        "--keep-formulas",
        help="Write input cells starting with =, +, -, @, a tab or CR as they are in CSV/TSV output. "
        "By default they get a leading ' so a spreadsheet shows them as text instead of running "
        "them (cells that are plain numbers, like -5 or +6281234, are never changed).",
    ),
]


def score(
    input_file: ScoreInput,
    output: ScoreOutput,
    text_column: TextColumnOption = "text",
    image_column: ImageColumnOption = None,
    id_column: IdColumnOption = None,
    model: ModelOption = None,
    input_format: InputFormatOption = None,
    output_format: OutputFormatOption = None,
    min_level: MinLevelOption = "low",
    explain: ExplainOption = False,
    errors: ErrorsOption = None,
    campaigns: CampaignsOption = False,
    workers: WorkersOption = 1,
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    quiet: QuietOption = False,
    top: TopRowsOption = 5,
    keep_formulas: KeepFormulasOption = False,
    report: ReportOption = None,
    date_column: DateColumnOption = None,
    source_column: SourceColumnOption = None,
    sheet: SheetOption = None,
    delimiter: DelimiterOption = None,
    excel_csv: ExcelCsvOption = False,
    flags: FlagsOption = None,
    lang: LanguageOption = "id",
) -> None:
    """Score every row of INPUT_FILE, streaming in chunks (constant memory), and write it with
    risk_score, risk_level, red_flags (;-joined in CSV/TSV, a list in JSONL/Parquet), top_terms
    with --explain, warnings (text too short or English to trust the score, in --lang) and error
    appended.

    Every input row and column is kept, in order. Rows whose text is empty or has no letters get
    risk_level=error and a reason in the error column. Malformed lines (wrong number of fields,
    invalid JSON) are not scored: they go to an errors file with their line numbers. The output
    file appears only when the job is complete, so Ctrl-C or SIGTERM leaves nothing half-written
    (and no worker process behind); the output may not be the input file, nor a device.
    """
    from tppo_screen.batch.images import IMAGE_COLUMN
    from tppo_screen.model.artifacts import load_model

    if id_column is None and input_file.is_dir():
        id_column = IMAGE_COLUMN  # a folder's pictures are named by their paths in the summary
    given = dict(locals())

    with user_errors():
        options = _batch_options(given)
        loaded = load_model(model_path(model))
        summary, page = _run(loaded, input_file, output, options, not quiet and err.is_terminal)
    _print_batch_summary(summary, loaded.version, id_column, loaded.catalogue, parse_language(lang))
    if page is not None:
        out.print(f"report → {shown(page)}", soft_wrap=True)


def _batch_options(given: dict[str, Any]) -> BatchOptions:
    """`score`'s options as `BatchOptions`: each option named like a field, then those named
    otherwise (--errors, --lang) or that need parsing (--flags, --min-level, --engine)."""
    from tppo_screen.batch.filters import parse_flags
    from tppo_screen.batch.options import BatchOptions

    values = {f.name: given[f.name] for f in dataclasses.fields(BatchOptions) if f.name in given}
    values.update(
        min_level=given["min_level"].lower(),
        engine=given["engine"].lower(),
        errors_file=given["errors"],
        flags=parse_flags(given["flags"]),
        language=parse_language(given["lang"]),
    )
    return BatchOptions(**values)


def _run(
    model: Model, source: Path, output: Path, options: BatchOptions, show_progress: bool
) -> tuple[BatchSummary, Path | None]:
    """Score `source` into `output` under a progress bar, Ctrl-C and SIGTERM cleaned up, and
    write the --report page if asked; return the summary and the page's path."""
    from tppo_screen.batch.report import check_report_directory, write_batch_report
    from tppo_screen.batch.score import score_file

    if options.report is not None:
        check_report_directory(options.report)
    with terminate_as_interrupt(), _progress(show_progress) as advance:
        summary = score_file(model, source, output, options, advance)
        if options.report is None or summary.tally is None:
            return summary, None
        tally, language = summary.tally, options.language
        page = write_batch_report(model, summary, tally, options.report, language, source.name)
    return summary, page


@contextmanager
def _progress(show: bool) -> Iterator[Callable[[int, int, int], None] | None]:
    """A progress bar on stderr (rows, rows/s, ETA from the share of the file read)."""
    if not show:
        yield None
        return
    columns = (
        TextColumn("scoring"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rows]:,} rows · {task.fields[speed]:,.0f} rows/s"),
        TimeRemainingColumn(),
    )
    started = time.perf_counter()
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("scoring", total=None, rows=0, speed=0.0)

        def advance(rows: int, done: int, total: int) -> None:
            speed = rows / max(time.perf_counter() - started, 1e-9)
            bar.update(task, completed=done, total=total or None, rows=rows, speed=speed)

        yield advance


def _print_batch_summary(
    summary: BatchSummary,
    version: str,
    id_column: str | None,
    catalogue: Catalogue,
    language: Literal["id", "en"],
) -> None:
    out.print(
        f"{summary.rows:,} rows scored in {summary.seconds:.1f}s ({summary.rows_per_second:,.0f} ads/s) "
        f"with model {version} → {shown(summary.output)}"
        + (f" ({summary.written:,} rows written)" if summary.written != summary.rows else ""),
        soft_wrap=True,
    )
    table = Table(box=None)
    for level in ("high", "medium", "low", "error"):
        table.add_column(f"[{LEVEL_STYLE[level]}]{level}[/]", justify="right")
    table.add_row(*(f"{summary.levels.get(level, 0):,}" for level in ("high", "medium", "low", "error")))
    out.print(table)
    print_how_read(summary)
    print_frequent_flags(summary, catalogue, language)
    _warn_about_reading(summary)
    _print_campaigns(summary)
    print_riskiest(summary, id_column)


def _warn_about_reading(summary: BatchSummary) -> None:
    """Undecodable bytes and malformed lines, in the words of the errors file."""
    report = summary.report
    if report.undecodable_lines:
        err.print(
            f"[yellow]warning:[/] {report.undecodable_lines:,} lines had undecodable bytes (replaced with �)"
        )
    if report.bad_lines:
        where = shown(summary.errors_file)
        err.print(f"[yellow]warning:[/] {shown(report.describe())}; they are in {where}", soft_wrap=True)


def _print_campaigns(summary: BatchSummary, shown_campaigns: int = 5) -> None:
    """The campaigns with the most high- and medium-risk ads: counts, contacts, template."""
    if not summary.campaigns:
        return
    found = summary.campaign_tally.count if summary.campaign_tally else len(summary.campaigns)
    out.print(f"largest risky campaigns ({found:,} campaigns of 2+ ads; column campaign):")
    for campaign in summary.campaigns[:shown_campaigns]:
        template = campaign.template if len(campaign.template) <= 140 else campaign.template[:139] + "…"
        contacts = f" · contacts {', '.join(campaign.contacts[:3])}" if campaign.contacts else ""
        counts = f"{campaign.high:,} high, {campaign.medium:,} medium, highest {campaign.max_score:.3f}"
        out.print(
            f"  [bold]{campaign.id}[/]  {campaign.size:,} ads ({counts}){shown(contacts)}", soft_wrap=True
        )
        out.print(f"    {shown(template)}", soft_wrap=True, highlight=False)
