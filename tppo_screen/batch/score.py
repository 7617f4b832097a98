"""Score listing files of any size: CSV, TSV, JSONL and Parquet (gzip for the text formats),
streamed in chunks with constant memory, every input row and column kept in order.

`score_file(model, source, output, options)` is the whole job: it reads `source` in chunks
through `tables.read_chunks` (malformed lines are not scored but go to an errors file with their
line numbers), scores each chunk through `scoring.score_frame` (the same path as every other
caller) on the engine the options name (`engines`), optionally groups ads into campaigns
(`campaigns`), and writes through `tables.TableWriter`, whose output appears only when the job is
complete. It returns a `BatchSummary`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from tppo_screen.batch.campaigns import Campaign, CampaignTally, find_campaigns
from tppo_screen.batch.engines import fit_to_size, in_order, scorer
from tppo_screen.batch.evidence import TopRow, TopRows, explain
from tppo_screen.batch.filters import check_flags, delimiter_hint, kept
from tppo_screen.batch.images import image_job
from tppo_screen.batch.options import BatchOptions
from tppo_screen.batch.tally import ReportTally
from tppo_screen.errors import InputError
from tppo_screen.model.artifacts import Model
from tppo_screen.model.scoring import score_frame
from tppo_screen.tables.formats import detect_format
from tppo_screen.tables.read import ReadReport, read_chunks
from tppo_screen.tables.write import Flatten, TableWriter, check_output, write_bad_lines

Progress = Callable[[int, int, int], None]  # (rows done, units done, units total)
SCORED_TYPES = {  # the Parquet types of the columns scoring adds
    "risk_score": pa.float64(),
    "risk_level": pa.string(),
    "red_flags": pa.list_(pa.string()),
    "top_terms": pa.list_(pa.struct([("term", pa.string()), ("weight", pa.float64())])),
    "warnings": pa.list_(pa.string()),
    "error": pa.string(),
}


def _flatten(value: object) -> str:
    """A list cell as one CSV field: flags `a;b`, terms `kamboja:+0.177;paspor:+0.155`."""
    if not isinstance(value, list):
        return "" if value is None else str(value)
    return ";".join(f"{v['term']}:{v['weight']:+.3f}" if isinstance(v, dict) else str(v) for v in value)


SCORED_LISTS: dict[str, Flatten] = {"red_flags": _flatten, "top_terms": _flatten, "warnings": _flatten}


@dataclass
class BatchSummary:
    """What a batch job did: counts per level, frequent flags, speed, where the output went."""

    rows: int = 0
    written: int = 0
    levels: Counter[str] = field(default_factory=Counter)
    flags: Counter[str] = field(default_factory=Counter)
    riskiest: list[TopRow] = field(default_factory=list)  # distinct ads, with their evidence
    top_rows: TopRows = field(default_factory=lambda: TopRows(0))
    notes: list[str] = field(default_factory=list)  # how the job ran, for the summary
    bom: bool = False  # the output has a UTF-8 byte-order mark (--excel-csv)
    seconds: float = 0.0
    campaigns: list[Campaign] = field(default_factory=list)  # --campaigns: the largest risky first
    campaign_tally: CampaignTally | None = None
    output: Path | None = None
    errors_file: Path | None = None
    report: ReadReport = field(default_factory=ReadReport)
    tally: ReportTally | None = None  # what the HTML report needs, with options.report

    @property
    def rows_per_second(self) -> float:
        return self.rows / max(self.seconds, 1e-9)


def score_file(
    model: Model, source: Path, output: Path, options: BatchOptions, progress: Progress | None = None
) -> BatchSummary:
    """Score every row of `source` into `output` as `options` say (see `BatchOptions`). Chunks
    come back in input order whatever the engine, and the scores are the ones one process gives.
    `progress(rows, units done, units total)` is called after each chunk."""
    errors_file = options.errors_file or errors_path(output)
    check_output(output, [source])
    check_output(errors_file, [source, output])
    job = image_job(source, options)  # pictures: a folder, or a table with --image-column
    options = job.options if job else options
    in_fmt, in_gz = job.format if job else detect_format(source, options.input_format)
    out_fmt, out_gz = detect_format(output, options.output_format)
    check_flags(model, options.flags)
    summary = BatchSummary(output=output, top_rows=TopRows(options.top), bom=options.excel_csv)
    if options.report is not None:
        summary.tally = ReportTally(
            options.text_column, options.id_column, options.date_column, options.source_column
        )
    started = time.perf_counter()
    if options.campaigns:
        first_pass = read_chunks(source, in_fmt, in_gz, ReadReport(), options.chunk_rows, **options.reading)
        summary.campaign_tally = CampaignTally(find_campaigns(first_pass, options.text_column))
    if job:
        read = job.chunks(summary.report)
    else:
        read = read_chunks(source, in_fmt, in_gz, summary.report, options.chunk_rows, **options.reading)
    chunks, options, note = fit_to_size(_checked(read, options), options)
    summary.notes += [note] if note else []
    with TableWriter(
        output, out_fmt, out_gz, SCORED_LISTS, SCORED_TYPES, options.keep_formulas, options.excel_csv
    ) as writer:
        work = job.work if job else score_frame
        columns = _score_chunks(model, chunks, writer, summary, options, progress, work)
        if summary.report.bad_lines:
            summary.errors_file = write_bad_lines(
                summary.report, errors_file, options.keep_formulas, options.excel_csv
            )
        writer.commit(_output_columns(columns, options))
    summary.seconds = time.perf_counter() - started
    summary.campaigns = summary.campaign_tally.campaigns() if summary.campaign_tally else []
    summary.riskiest = explain(model, summary.top_rows.rows(), options.language)
    return summary


def _score_chunks(
    model: Model,
    chunks: Iterator[pd.DataFrame],
    writer: TableWriter,
    summary: BatchSummary,
    options: BatchOptions,
    progress: Progress | None,
    work: Callable[..., pd.DataFrame] = score_frame,
) -> list[str] | None:
    """Score, tally and write every chunk in order; return the input's columns (None if no
    chunk came)."""
    keep, columns = options.kept_levels, None
    with scorer(model, options, work) as submit:
        scoring = in_order(
            chunks, lambda chunk: submit(chunk, options.text_column, options.explain), 2 * options.workers
        )
        for chunk, pending in scoring:
            if columns is None:
                columns = list(chunk.columns)
            elif writer.fmt != "jsonl":
                _refuse_late_columns(chunk, columns, summary.rows, options.chunk_rows)
            scored = pending.result()
            if summary.campaign_tally is not None:
                summary.campaign_tally.add(summary.rows + 1, scored, options.text_column, options.id_column)
            _tally(summary, scored, options)
            written = scored[kept(scored, keep, options.flags)]
            writer.write(written)
            summary.written += len(written)
            if progress is not None:
                progress(summary.rows, summary.report.units_done, summary.report.units_total)
    return columns


def _refuse_late_columns(chunk: pd.DataFrame, columns: list[str], rows_before: int, chunk_rows: int) -> None:
    """An `InputError` when `chunk` has a column the first chunk did not (JSONL keys appearing
    late): a CSV/TSV/Parquet output has the first chunk's columns, and dropping a column would
    lose data silently. Raised before anything is committed."""
    late = [column for column in chunk.columns if column not in columns]
    if not late:
        return
    present = chunk[late[0]].notna().to_numpy().nonzero()[0]
    row = rows_before + 1 + (int(present[0]) if len(present) else 0)
    raise InputError(
        f"column {late[0]!r} first appears at row {row:,}, after the first {chunk_rows:,} rows that "
        "fix the columns of a CSV/TSV/Parquet output; nothing was written. Write JSONL "
        "(-o NAME.jsonl), which keeps every key, or put a row that has it first"
    )


def _output_columns(columns: list[str] | None, options: BatchOptions) -> list[str]:
    """The output's header when no row was written."""
    out = [*(columns or [options.text_column]), "risk_score", "risk_level", "red_flags"]
    out += ["campaign", "campaign_size"] if options.campaigns else []
    return out + (["top_terms", "warnings", "error"] if options.explain else ["warnings", "error"])


def _checked(chunks: Iterator[pd.DataFrame], options: BatchOptions) -> Iterator[pd.DataFrame]:
    """The chunks, after checking the first one has the columns the job needs."""
    for n, chunk in enumerate(chunks):
        if n == 0:
            for column, option in (
                (options.text_column, "--text-column")
                if options.image_column is None
                else (options.image_column, "--image-column"),
                (options.id_column, "--id-column"),
            ):
                if column is not None and column not in chunk.columns:
                    found = ", ".join(map(str, chunk.columns)) or "(none)"
                    raise InputError(
                        f"no column {column!r} in the input; columns found: {found}. Name it with {option}"
                        + delimiter_hint(list(map(str, chunk.columns)))
                    )
        yield chunk


def _tally(summary: BatchSummary, scored: pd.DataFrame, options: BatchOptions) -> None:
    """Count levels and flags; keep the `options.top` riskiest rows seen so far."""
    offset, top, id_column = summary.rows, options.top, options.id_column
    if summary.tally is not None:
        summary.tally.observe(scored, offset)
    summary.rows += len(scored)
    summary.levels.update(scored["risk_level"])
    for flags in scored["red_flags"]:
        summary.flags.update(flags)
    if top:
        summary.top_rows.observe(
            scored["risk_score"].to_numpy(dtype=float, na_value=np.nan),
            scored["risk_level"].to_numpy(dtype=object),
            scored[options.text_column].tolist(),
            scored[id_column].tolist() if id_column else None,
            offset,
        )


def errors_path(output: Path) -> Path:
    """Where malformed lines go by default: OUTPUT.errors.csv beside the output."""
    name = output.name.removesuffix(".gz")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return output.with_name(f"{stem}.errors.csv")
