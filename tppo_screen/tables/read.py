"""Read tables without losing rows, columns or cell text, and say which lines could not be read.

- `read_chunks(path, fmt, gzipped, report)` streams a CSV, TSV, JSONL or Parquet file (text
  formats optionally gzipped) as DataFrames of at most `chunk_rows` rows, in constant memory.
- `read_table(path)` reads a whole file the same way: the frame and its `ReadReport`.

CSV/TSV cells are read as text exactly as written: nothing becomes NaN or a number, so "007"
stays "007". A malformed line (a row with more or fewer fields than the header, a quoted cell
that is never closed, a cell over the size limit, invalid JSON) is not returned but recorded in
`report.bad_lines` with its line number, the reason and its raw text; `report.describe()` says
so in the words the errors file uses. A blank line stays, as an empty row. Undecodable bytes
are replaced (U+FFFD) and counted. A header that names a column twice is an `InputError`.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NamedTuple

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tppo_screen.errors import InputError
from tppo_screen.tables.formats import EXTENSIONS, Format

CHUNK_ROWS = 5_000
MAX_CELL_CHARS = 1_000_000  # a CSV cell longer than this is a broken quote, not an ad
UNCLOSED_QUOTE = "a quoted cell opened in this row is never closed (it runs to the end of the file)"


class BadLine(NamedTuple):
    """A line that was not read as a row: where it starts, why, and its raw text."""

    line: int
    reason: str
    raw: str


@dataclass
class ReadReport:
    """What reading noticed: malformed lines (not returned) and lines with undecodable bytes."""

    bad_lines: list[BadLine] = field(default_factory=list)
    undecodable_lines: int = 0
    units_total: int = 0  # bytes of the file (text formats) or rows (Parquet), for progress
    units_done: int = 0

    def describe(self, limit: int = 10) -> str:
        """'2 malformed lines skipped: line 3 (3 fields but the header has 2; …), line 5 (…)'."""
        count = len(self.bad_lines)
        listed = ", ".join(f"line {bad.line} ({bad.reason})" for bad in self.bad_lines[:limit])
        more = f" and {count - limit:,} more" if count > limit else ""
        return f"{count:,} malformed line{'' if count == 1 else 's'} skipped: {listed}{more}"

    def skipped(self) -> list[dict[str, int | str]]:
        """The malformed lines as {line, reason} records (no raw text), e.g. for a metrics file."""
        return [{"line": bad.line, "reason": bad.reason} for bad in self.bad_lines]


class Table(NamedTuple):
    """A whole table and what reading it noticed."""

    frame: pd.DataFrame
    report: ReadReport


def read_table(path: Path | str, fmt: Format | None = None) -> Table:
    """Read the whole of `path` (format from `fmt`, else its extension, else CSV) through
    `read_chunks`: every CSV/TSV cell a string, malformed lines left out and reported."""
    path = Path(path)
    gzipped = path.suffix.lower() == ".gz"
    if fmt is None:
        fmt = EXTENSIONS.get((path.with_suffix("") if gzipped else path).suffix.lower(), "csv")
    report = ReadReport()
    chunks = list(read_chunks(path, fmt, gzipped, report))
    frame = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()  # JSONL: maybe none
    if fmt in ("csv", "tsv"):
        frame = frame.astype(str)  # the string dtype pandas gives `read_csv(dtype=str)`
    return Table(frame, report)


def read_chunks(
    path: Path, fmt: Format, gzipped: bool, report: ReadReport, chunk_rows: int = CHUNK_ROWS
) -> Iterator[pd.DataFrame]:
    """Yield the file's rows as DataFrames of at most `chunk_rows` rows (at least one, possibly
    empty, so the header survives)."""
    if not path.is_file():
        raise InputError(f"input file not found: {path}")
    if fmt == "parquet":
        yield from _parquet_chunks(path, report, chunk_rows)
        return
    report.units_total = path.stat().st_size
    with path.open("rb") as raw:
        stream: Iterable[bytes] = gzip.GzipFile(fileobj=raw) if gzipped else raw
        lines = _LineTracker(stream, raw, report)
        try:
            if fmt == "jsonl":
                yield from _jsonl_chunks(lines, report, chunk_rows)
            else:
                yield from _delimited_chunks(lines, "\t" if fmt == "tsv" else ",", path, report, chunk_rows)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raise InputError(f"{path}: cannot read past line {lines.number}: {exc}") from None


class _LineTracker:
    """Decoded lines of a byte stream; remembers the raw text of the current record, the line
    number, how far into the file (compressed bytes) reading has come, and whether it ended."""

    def __init__(self, stream: Iterable[bytes], raw: IO[bytes], report: ReadReport) -> None:
        self.stream, self.raw, self.report = stream, raw, report
        self.number = 0
        self.pending: list[str] = []
        self.ended = False

    def __iter__(self) -> Iterator[str]:
        for raw_line in self.stream:
            self.number += 1
            try:
                line = raw_line.decode("utf-8")
            except UnicodeDecodeError:
                line = raw_line.decode("utf-8", errors="replace")
                self.report.undecodable_lines += 1
            if self.number == 1:
                line = line.removeprefix("\ufeff")
            self.pending.append(line)
            if self.number % 1000 == 0:
                self.report.units_done = self.raw.tell()
            yield line
        self.report.units_done = self.report.units_total
        self.ended = True

    def take(self) -> str:
        """The raw text of the record just read."""
        text = "".join(self.pending)
        self.pending.clear()
        return text


def _header(reader: Any, lines: _LineTracker, path: Path) -> list[str]:
    try:
        header: list[str] = next(reader)
    except StopIteration:
        raise InputError(f"{path} is empty: expected a header row naming the columns") from None
    except csv.Error as exc:
        raise InputError(f"{path}: the header row cannot be read: {exc}") from None
    lines.take()
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise InputError(f"{path}: the header names these columns more than once: {', '.join(repeated)}")
    return header


def _delimited_chunks(
    lines: _LineTracker, delimiter: str, path: Path, report: ReadReport, chunk_rows: int
) -> Iterator[pd.DataFrame]:
    csv.field_size_limit(MAX_CELL_CHARS)
    reader = csv.reader(lines, delimiter=delimiter)
    header = _header(reader, lines, path)
    width = len(header)
    rows: list[list[str]] = []
    yielded = False
    while True:
        start_line = lines.number + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            report.bad_lines.append(BadLine(start_line, f"unreadable: {exc}", lines.take()))
            continue
        reason = _malformed(row, width, lines.ended)
        if reason:
            report.bad_lines.append(BadLine(start_line, reason, lines.take()))
            continue
        lines.take()
        rows.append(row or [""] * width)  # a blank line stays, as an empty row
        if len(rows) >= chunk_rows:
            yield pd.DataFrame(rows, columns=header, dtype=object)
            yielded, rows = True, []
    if rows or not yielded:
        yield pd.DataFrame(rows, columns=header, dtype=object)


def _malformed(row: list[str], width: int, at_end_of_file: bool) -> str:
    """Why `row` is not a row of a table `width` fields wide ('' when it is one). The csv module
    finishes a record at the end of the file only when a quoted cell is still open."""
    if at_end_of_file:
        return UNCLOSED_QUOTE
    if row and len(row) != width:
        reason = f"{len(row)} fields but the header has {width}"
        return reason + "; quote cells that contain the delimiter" if len(row) > width else reason
    return ""


def _jsonl_chunks(lines: _LineTracker, report: ReadReport, chunk_rows: int) -> Iterator[pd.DataFrame]:
    records: list[dict[str, Any]] = []
    for line in lines:
        raw_text = lines.take()
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            reason = f"invalid JSON: {exc.msg} at column {exc.colno}"
            report.bad_lines.append(BadLine(lines.number, reason, raw_text))
            continue
        if not isinstance(record, dict):
            report.bad_lines.append(BadLine(lines.number, "not a JSON object", raw_text))
            continue
        records.append(record)
        if len(records) >= chunk_rows:
            yield pd.DataFrame.from_records(records)
            records = []
    if records:
        yield pd.DataFrame.from_records(records)


def _parquet_chunks(path: Path, report: ReadReport, chunk_rows: int) -> Iterator[pd.DataFrame]:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{path} is not a readable Parquet file: {exc}") from None
    report.units_total = parquet.metadata.num_rows
    for batch in parquet.iter_batches(batch_size=chunk_rows):
        report.units_done += batch.num_rows
        yield batch.to_pandas()
    if report.units_total == 0:
        yield parquet.schema_arrow.empty_table().to_pandas()
