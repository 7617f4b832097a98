"""Read tables without losing rows, columns or cell text, and say which lines could not be read.

- `read_chunks(path, fmt, gzipped, report)` streams a CSV, TSV, JSONL or Parquet file (text
  formats optionally gzipped) as DataFrames of at most `chunk_rows` rows, in constant memory.
- `read_table(path)` reads a whole file the same way: the frame and its `ReadReport`.

CSV/TSV cells are read as text exactly as written: nothing becomes NaN or a number, so "007"
stays "007". A malformed line (a row with more or fewer fields than the header, invalid JSON) is
not returned but recorded in `report.bad_lines` with its line number, the reason and its raw
text; `report.describe()` says so in the words the errors file uses. A blank line stays, as an
empty row. A header that names a column twice is an `InputError`. `report.columns` lists every
column seen, in first-seen order (for JSONL, keys that first appear late in the file too).

A stray quote never merges rows silently. Quoting is strict: a record whose quoted cell is never
closed, is closed by a quote followed by text, or runs past `MAX_RECORD_LINES` physical lines or
`MAX_RECORD_CHARS` characters is one bad line (its first line), and reading resumes on the line
after it. The one exception is a quoted cell past the limits that does close properly (a quote
then the delimiter or the line end, found by quote parity) before the end of the file: it is one
bad line up to where it closes, so a huge cell does not turn into thousands of rows.

TSV is read with the quoting CSV has (what our writer and Excel write for cells with tabs, line
breaks or quotes), but a line whose quote does not work as one is read literally when that gives
the header's number of fields: a TSV cell starting with `"` is text. What cannot be told apart,
in CSV or TSV: a stray quote closed within the limits by a later quote that ends a cell reads as
one multi-line cell.

Text is UTF-8 (a BOM is dropped); UTF-16 and UTF-32 with a BOM (Excel's "Unicode text") are
decoded as such, and UTF-16 without a BOM is refused by name. Lines may end in LF, CRLF or CR
alone (old Mac). Undecodable bytes are replaced (U+FFFD) and the lines with a U+FFFD counted.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NamedTuple

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tppo_screen.errors import InputError
from tppo_screen.tables.formats import EXTENSIONS, Format
from tppo_screen.tables.sniff import SNIFF_CHARS, detect_delimiter

CHUNK_ROWS = 5_000
MAX_RECORD_LINES = 200  # a CSV/TSV record (one row, quoted line breaks included) over this is broken
MAX_RECORD_CHARS = 100_000  # ... and so is one over this many characters; not an ad
MAX_SKIP_LINES, MAX_SKIP_CHARS = 100_000, 10_000_000  # kept while looking for where such a record ends
UNCLOSED_QUOTE = "a quoted cell opened in this line is never closed: unbalanced quote?"
_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


class BadLine(NamedTuple):
    """A line that was not read as a row: where it starts, why, and its raw text."""

    line: int
    reason: str
    raw: str


@dataclass
class ReadReport:
    """What reading noticed: malformed lines (not returned), lines with undecodable bytes, and
    every column seen (first-seen order; complete once the file has been read to the end)."""

    bad_lines: list[BadLine] = field(default_factory=list)
    undecodable_lines: int = 0
    units_total: int = 0  # bytes of the file (text formats) or rows (Parquet), for progress
    units_done: int = 0
    columns: list[str] = field(default_factory=list)
    delimiter: str | None = None  # the one a CSV/TSV file was read with

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
    path: Path,
    fmt: Format,
    gzipped: bool,
    report: ReadReport,
    chunk_rows: int = CHUNK_ROWS,
    *,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> Iterator[pd.DataFrame]:
    """Yield the file's rows as DataFrames of at most `chunk_rows` rows (at least one, possibly
    empty, so the header survives). A CSV's `delimiter` is detected (`sniff`) unless given (TSV:
    a tab unless given; `report.delimiter` says which was used); `sheet` names the sheet of an
    .xlsx workbook (a name or a 1-based number; default the first)."""
    if not path.is_file():
        raise InputError(f"input file not found: {path}")
    if sheet is not None and fmt != "xlsx":
        raise InputError(f"--sheet is for an .xlsx workbook; {path.name} is read as {fmt}")
    if delimiter is not None and fmt not in ("csv", "tsv"):
        raise InputError(f"--delimiter is for CSV/TSV input; {path.name} is read as {fmt}")
    if fmt == "parquet":
        yield from _parquet_chunks(path, report, chunk_rows)
        return
    if fmt == "xlsx":
        from tppo_screen.tables.excel import xlsx_chunks  # openpyxl only when a workbook is read

        yield from xlsx_chunks(path, report, chunk_rows, sheet)
        return
    report.units_total = path.stat().st_size
    lines = _LineTracker(path, gzipped, report, limited=fmt != "jsonl")
    try:
        if fmt == "jsonl":
            yield from _jsonl_chunks(lines, report, chunk_rows)
        else:
            if delimiter is None:
                delimiter = "\t" if fmt == "tsv" else _sniffed(path, gzipped, lines.encoding)
            report.delimiter = delimiter
            yield from _delimited_chunks(lines, delimiter, path, report, chunk_rows)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise InputError(f"{path}: cannot read past line {lines.number}: {exc}") from None
    finally:
        lines.close()


def _sniffed(path: Path, gzipped: bool, encoding: str) -> str:
    """The delimiter of CSV `path`, from its first records (`sniff.detect_delimiter`)."""
    raw, stream = _open_binary(path, gzipped)
    try:
        text = io.TextIOWrapper(stream, encoding=encoding, errors="replace", newline="")
        head = text.read(SNIFF_CHARS)
    finally:
        raw.close()
    return detect_delimiter(head, complete=len(head) < SNIFF_CHARS)


def _open_binary(path: Path, gzipped: bool) -> tuple[IO[bytes], Any]:
    """(the file, the stream to read: the file or its gzip decompression)."""
    raw = path.open("rb")
    return raw, gzip.GzipFile(fileobj=raw) if gzipped else raw


def _encoding(path: Path, gzipped: bool) -> str:
    """The text encoding of `path` from its byte-order mark (UTF-8 without one)."""
    raw, stream = _open_binary(path, gzipped)
    try:
        head = stream.read(4096)
    except (OSError, EOFError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from None
    finally:
        raw.close()
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    if head and head.count(0) * 4 >= len(head):  # every other byte NUL: ASCII text in UTF-16
        raise InputError(
            f"{path.name} looks like UTF-16 text without a byte-order mark (or is not text at all); "
            "save it as UTF-8 (or as UTF-16 with a BOM, which Excel's 'Unicode text' has)"
        )
    return "utf-8-sig"


class _Runaway(Exception):
    """A CSV/TSV record ran past `MAX_RECORD_LINES` lines or `MAX_RECORD_CHARS` characters."""


class _LineTracker:
    """Decoded physical lines of a text file (ending in LF, CRLF or CR), each with its number.
    Remembers the lines of the record being read (`pending`) and can give them back
    (`replay_after_first`) or start again after a line (`restart_after`); counts undecodable
    lines and how far into the file (compressed bytes) reading has come."""

    def __init__(self, path: Path, gzipped: bool, report: ReadReport, limited: bool) -> None:
        self.path, self.gzipped, self.report, self.limited = path, gzipped, report, limited
        self.encoding = _encoding(path, gzipped)
        self.pending: list[tuple[int, str]] = []
        self.pending_chars = 0
        self.replay: deque[tuple[int, str]] = deque()
        self.counted = 0  # undecodable lines are counted up to this line (restarts re-read lines)
        self.raw: IO[bytes] | None = None
        self._open(0)

    def _open(self, skip: int) -> None:
        self.close()
        self.raw, stream = _open_binary(self.path, self.gzipped)
        text = io.TextIOWrapper(stream, encoding=self.encoding, errors="replace", newline="")
        self.lines: Iterator[str] = iter(text)
        for _ in itertools.islice(self.lines, skip):
            pass
        self.number = skip

    def close(self) -> None:
        if self.raw is not None:
            self.raw.close()

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        number, line = self.replay.popleft() if self.replay else self.read()
        self.pending.append((number, line))
        self.pending_chars += len(line)
        if self.limited and (len(self.pending) > MAX_RECORD_LINES or self.pending_chars > MAX_RECORD_CHARS):
            raise _Runaway
        return line

    def read(self) -> tuple[int, str]:
        """The next line of the file (not of the replay), as (number, text)."""
        try:
            line = next(self.lines)
        except StopIteration:
            self.report.units_done = self.report.units_total
            raise
        self.number += 1
        if "\ufffd" in line and self.number > self.counted:
            self.report.undecodable_lines += 1
        if self.number % 1000 == 0 and self.raw is not None:
            self.report.units_done = self.raw.tell()
        return self.number, line

    def text(self, limit: int = MAX_RECORD_CHARS) -> str:
        """The raw text of the record being read (at most `limit` characters of it)."""
        text = "".join(line for _, line in self.pending)
        return text if len(text) <= limit else text[:limit] + f"… [{len(text) - limit:,} characters more]"

    def take(self) -> str:
        """The raw text of the record just read, which is then forgotten."""
        text = self.text()
        self.forget()
        return text

    def forget(self) -> None:
        """Forget the record just read."""
        self.pending.clear()
        self.pending_chars = 0

    def replay_after_first(self) -> tuple[int, str]:
        """Forget the record just read but for its lines after the first, which are read again."""
        first = self.pending[0]
        self.replay.extendleft(reversed(self.pending[1:]))
        self.pending.clear()
        self.pending_chars = 0
        return first

    def restart_after(self, number: int) -> None:
        """Read again from line `number + 1` of the file."""
        self.counted = max(self.counted, self.number)
        self.replay.clear()
        self._open(number)

    def skip_open_quote(self, delimiter: str) -> int | None:
        """Read on past the pending record, left with a quote open, to the line where that quote
        closes (an odd count of quotes on the lines after) with the delimiter or the line end
        after it, and return that line's number. If it does not (the end of the file, or text
        after the closing quote), return None, set to read again from the record's second line."""
        start, kept = self.pending[0][0], self.pending[1:]
        kept_chars, quotes = self.pending_chars - len(self.pending[0][1]), 1
        self.pending.clear()
        self.pending_chars = 0
        while True:
            try:
                number, line = self.replay.popleft() if self.replay else self.read()
            except StopIteration:
                break
            if kept_chars <= MAX_SKIP_CHARS and len(kept) <= MAX_SKIP_LINES:  # else stop keeping
                kept.append((number, line))
                kept_chars += len(line)
            quotes += line.count('"')
            if quotes % 2 == 0:
                if _closes_cleanly(line, delimiter):
                    return number
                break
        if kept_chars > MAX_SKIP_CHARS or len(kept) > MAX_SKIP_LINES:
            self.restart_after(start)  # too much to keep for reading again: read the file again
        else:
            self.replay.extendleft(reversed(kept))
        return None


def _closes_cleanly(line: str, delimiter: str) -> bool:
    """Whether a quoted cell open at the start of `line` closes on it with a quote followed by
    the delimiter or the line end (a doubled quote is a quote in the cell)."""
    at = line.find('"')
    while at >= 0:
        if not line.startswith('""', at):
            return line[at + 1 : at + 2] in (delimiter, "\r", "\n", "")
        at = line.find('"', at + 2)
    return False


def _header(reader: Any, lines: _LineTracker, path: Path) -> list[str]:
    try:
        header: list[str] = next(reader)
    except StopIteration:
        raise InputError(f"{path} is empty: expected a header row naming the columns") from None
    except csv.Error as exc:
        raise InputError(f"{path}: the header row cannot be read: {exc}") from None
    except _Runaway:
        limits = f"{MAX_RECORD_LINES} lines or {MAX_RECORD_CHARS:,} characters"
        raise InputError(f"{path}: the header row runs past {limits}: unbalanced quote?") from None
    lines.take()
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise InputError(f"{path}: the header names these columns more than once: {', '.join(repeated)}")
    return header


def _reader(lines: _LineTracker, delimiter: str) -> Any:
    return csv.reader(lines, delimiter=delimiter, strict=True)


def _delimited_chunks(
    lines: _LineTracker, delimiter: str, path: Path, report: ReadReport, chunk_rows: int
) -> Iterator[pd.DataFrame]:
    csv.field_size_limit(max(csv.field_size_limit(), 2 * MAX_RECORD_CHARS))
    reader = _reader(lines, delimiter)
    header = _header(reader, lines, path)
    report.columns = list(header)
    width = len(header)
    rows: list[list[str]] = []
    yielded = False
    while True:
        try:
            read: list[str] = next(reader)
        except StopIteration:
            break
        except (csv.Error, _Runaway) as exc:
            row = _recover(lines, exc, delimiter, width, report)
            reader = _reader(lines, delimiter)  # a new one: the old one is inside the broken record
        else:
            reason, row = _malformed(read, width), read
            if reason:
                report.bad_lines.append(BadLine(lines.pending[0][0], reason, lines.take()))
                continue
            lines.forget()
        if row is None:
            continue
        rows.append(row or [""] * width)  # a blank line stays, as an empty row
        if len(rows) >= chunk_rows:
            yield pd.DataFrame(rows, columns=header, dtype=object)
            yielded, rows = True, []
    if rows or not yielded:
        yield pd.DataFrame(rows, columns=header, dtype=object)


def _recover(
    lines: _LineTracker, exc: Exception, delimiter: str, width: int, report: ReadReport
) -> list[str] | None:
    """After a record that failed (`exc`): record it as a bad line and set reading to go on from
    the line after its first line; or, for TSV, return that first line read literally if it has
    the header's number of fields. A quoted cell past the limits that does close is one bad line
    up to where it closes."""
    start, first = lines.pending[0]
    reason = _failure(exc, lines)
    if isinstance(exc, _Runaway) and sum(line.count('"') for _, line in lines.pending) % 2:
        raw = lines.text()
        end = lines.skip_open_quote(delimiter)
        if end is not None:
            report.bad_lines.append(BadLine(start, f"{reason} (to line {end}): unbalanced quote?", raw))
            return None
        reason += " and never closes properly: unbalanced quote?"
    else:
        lines.replay_after_first()
    literal = first.rstrip("\r\n").split(delimiter)
    if delimiter == "\t" and len(literal) == width:
        return literal
    report.bad_lines.append(BadLine(start, reason, first))
    return None


def _failure(exc: Exception, lines: _LineTracker) -> str:
    """Why the pending record failed, in words."""
    if isinstance(exc, _Runaway):
        quoted = len(lines.pending) > 1 or lines.pending[0][1].count('"') % 2
        if len(lines.pending) > MAX_RECORD_LINES:
            return f"a quoted cell runs past {MAX_RECORD_LINES} lines"
        return f"a {'quoted cell' if quoted else 'line'} runs past {MAX_RECORD_CHARS:,} characters"
    message = str(exc)
    if "unexpected end of data" in message:
        return UNCLOSED_QUOTE
    if "expected after" in message:
        closed = f"closed on line {lines.pending[-1][0]} by a quote followed by text"
        return f"a quoted cell opened in this line is {closed}: unbalanced quote?"
    return f"unreadable: {message}"


def _malformed(row: list[str], width: int) -> str:
    """Why `row` is not a row of a table `width` fields wide ('' when it is one)."""
    if row and len(row) != width:
        reason = f"{len(row)} fields but the header has {width}"
        return reason + "; quote cells that contain the delimiter" if len(row) > width else reason
    return ""


def _jsonl_chunks(lines: _LineTracker, report: ReadReport, chunk_rows: int) -> Iterator[pd.DataFrame]:
    records: list[dict[str, Any]] = []
    seen: dict[str, None] = {}
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
        seen.update(dict.fromkeys(record))
        if len(records) >= chunk_rows:
            report.columns = list(seen)
            yield pd.DataFrame.from_records(records)
            records = []
    report.columns = list(seen)
    if records:
        yield pd.DataFrame.from_records(records)


def _parquet_chunks(path: Path, report: ReadReport, chunk_rows: int) -> Iterator[pd.DataFrame]:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise InputError(f"{path} is not a readable Parquet file: {exc}") from None
    report.units_total = parquet.metadata.num_rows
    report.columns = list(parquet.schema_arrow.names)
    for batch in parquet.iter_batches(batch_size=chunk_rows):
        report.units_done += batch.num_rows
        yield batch.to_pandas()
    if report.units_total == 0:
        yield parquet.schema_arrow.empty_table().to_pandas()
