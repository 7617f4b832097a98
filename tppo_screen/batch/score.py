"""Score listing files of any size: CSV, TSV, JSONL and Parquet (gzip for the text formats),
streamed in chunks with constant memory, every input row and column kept in order.

- `detect_format(path, explicit)` — the format from the extension (`.csv`, `.tsv`, `.jsonl`,
  `.parquet`, each text format optionally `.gz`) unless given.
- `read_chunks(path, fmt, report)` — DataFrames of at most `chunk_rows` rows. CSV/TSV cells are
  read as text exactly as written; malformed lines (wrong number of fields, a cell over the size
  limit, invalid JSON) are not scored but recorded in `report.bad_lines` with their line numbers;
  undecodable bytes are replaced (U+FFFD) and counted.
- `TableWriter` — writes chunks to a temporary file that becomes the output only on `commit()`:
  Ctrl-C or a crash leaves no partial output.
- `score_file(model, source, output, ...)` — the whole job; returns a `BatchSummary`.

Scores come from `scoring.score_frame`, the same path as every other caller.
"""

from __future__ import annotations

import csv
import gzip
import heapq
import io
import json
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import IO, Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tppo_screen.model.artifacts import Model
from tppo_screen.batch.contacts import ContactGroups, contact_keys
from tppo_screen.errors import InputError
from tppo_screen.model.scoring import score_frame

Format = Literal["csv", "tsv", "jsonl", "parquet"]
FORMATS: tuple[Format, ...] = ("csv", "tsv", "jsonl", "parquet")
EXTENSIONS: dict[str, Format] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
LEVELS = ("low", "medium", "high")
CHUNK_ROWS = 5_000
MAX_CELL_CHARS = 1_000_000  # a CSV cell longer than this is a broken quote, not an ad
Progress = Callable[[int, int, int], None]  # (rows done, units done, units total)


def detect_format(path: Path, explicit: str | None = None) -> tuple[Format, bool]:
    """(format, gzipped) of `path`: from `explicit` if given, else from the extension."""
    gzipped = path.suffix.lower() == ".gz"
    if explicit is not None:
        if explicit not in FORMATS:
            raise InputError(f"unknown format {explicit!r}; choose one of {', '.join(FORMATS)}")
        fmt: Format = explicit  # type: ignore[assignment]
    else:
        base = path.with_suffix("") if gzipped else path
        found = EXTENSIONS.get(base.suffix.lower())
        if found is None:
            raise InputError(
                f"cannot tell the format of {path.name} from its extension; "
                f"name it .csv/.tsv/.jsonl/.parquet (optionally .gz) or pass --format"
            )
        fmt = found
    if gzipped and fmt == "parquet":
        raise InputError(f"{path.name}: Parquet compresses internally; .parquet.gz is not supported")
    return fmt, gzipped


@dataclass
class ReadReport:
    """What reading noticed: malformed lines (not scored) and lines with undecodable bytes."""

    bad_lines: list[tuple[int, str, str]] = field(default_factory=list)  # (line, reason, raw text)
    undecodable_lines: int = 0
    units_total: int = 0  # bytes of the file (text formats) or rows (Parquet), for progress
    units_done: int = 0


def read_chunks(
    path: Path, fmt: Format, gzipped: bool, report: ReadReport, chunk_rows: int = CHUNK_ROWS
) -> Iterator[pd.DataFrame]:
    """Yield the file's rows as DataFrames of at most `chunk_rows` rows (CSV/TSV: at least one,
    possibly empty, so the header survives)."""
    if not path.is_file():
        raise InputError(f"input file not found: {path}")
    if fmt == "parquet":
        yield from _parquet_chunks(path, report, chunk_rows)
        return
    report.units_total = path.stat().st_size
    with path.open("rb") as raw:
        stream: IO[bytes] = gzip.GzipFile(fileobj=raw) if gzipped else raw
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
    number, and how far into the file (compressed bytes) reading has come."""

    def __init__(self, stream: IO[bytes], raw: IO[bytes], report: ReadReport) -> None:
        self.stream, self.raw, self.report = stream, raw, report
        self.number = 0
        self.pending: list[str] = []

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

    def take(self) -> str:
        """The raw text of the record just read."""
        text = "".join(self.pending)
        self.pending.clear()
        return text


def _delimited_chunks(
    lines: _LineTracker, delimiter: str, path: Path, report: ReadReport, chunk_rows: int
) -> Iterator[pd.DataFrame]:
    csv.field_size_limit(MAX_CELL_CHARS)
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{path} is empty: expected a header row naming the columns") from None
    except csv.Error as exc:
        raise InputError(f"{path}: the header row cannot be read: {exc}") from None
    lines.take()
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise InputError(f"{path}: the header names these columns more than once: {', '.join(repeated)}")
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
            report.bad_lines.append((start_line, f"unreadable: {exc}", lines.take()))
            continue
        raw_text = lines.take()
        if not row:
            rows.append([""] * width)  # a blank line stays, as an empty row (scored as an error)
        elif len(row) != width:
            reason = f"{len(row)} fields but the header has {width}"
            if len(row) > width:
                reason += "; quote cells that contain the delimiter"
            report.bad_lines.append((start_line, reason, raw_text))
            continue
        else:
            rows.append(row)
        if len(rows) >= chunk_rows:
            yield pd.DataFrame(rows, columns=header, dtype=object)
            yielded, rows = True, []
    if rows or not yielded:
        yield pd.DataFrame(rows, columns=header, dtype=object)


def _jsonl_chunks(lines: _LineTracker, report: ReadReport, chunk_rows: int) -> Iterator[pd.DataFrame]:
    records: list[dict[str, Any]] = []
    for line in lines:
        raw_text = lines.take()
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            report.bad_lines.append(
                (lines.number, f"invalid JSON: {exc.msg} at column {exc.colno}", raw_text)
            )
            continue
        if not isinstance(record, dict):
            report.bad_lines.append((lines.number, "not a JSON object", raw_text))
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


class TableWriter:
    """Write chunks in one format to a temporary file beside `path`; `commit()` renames it into
    place, `discard()` (or leaving the `with` block by an exception) removes it."""

    def __init__(self, path: Path, fmt: Format, gzipped: bool) -> None:
        if path.is_dir():
            raise InputError(f"output {path} is a directory; give a file name such as {path / 'scored.csv'}")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path, self.fmt, self.gzipped = path, fmt, gzipped
        self.tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
        self._handle: IO[str] | None = None
        self._parquet: pq.ParquetWriter | None = None
        self._columns: list[str] | None = None

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.discard()

    def write(self, chunk: pd.DataFrame) -> None:
        if self._columns is None:
            self._columns = list(chunk.columns)
        if self.fmt != "jsonl":  # JSONL records may carry keys the first chunk did not have
            chunk = chunk.reindex(columns=self._columns)
        if self.fmt == "parquet":
            self._write_parquet(chunk)
            return
        if self._handle is None:
            opener = gzip.open if self.gzipped else open
            self._handle = opener(self.tmp, "wt", encoding="utf-8", newline="")  # type: ignore[operator]
            header = True
        else:
            header = False
        if self.fmt == "jsonl":
            if len(chunk):
                text = chunk.to_json(orient="records", lines=True, force_ascii=False, double_precision=15)
                self._handle.write(text if text.endswith("\n") else text + "\n")
            return
        flat = chunk.copy()
        for column in ("red_flags", "top_terms"):
            if column in flat.columns:
                flat[column] = flat[column].map(_flatten)
        flat.to_csv(self._handle, index=False, header=header, sep="\t" if self.fmt == "tsv" else ",")

    def _write_parquet(self, chunk: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(chunk, preserve_index=False)
        if self._parquet is None:
            self._schema = _parquet_schema(table)
            self._parquet = pq.ParquetWriter(self.tmp, self._schema)
        self._parquet.write_table(table.cast(self._schema))

    def commit(self, columns_if_empty: list[str] | None = None) -> Path:
        if self._handle is None and self._parquet is None:
            self.write(pd.DataFrame(columns=columns_if_empty or []))
        if self._handle is not None:
            self._handle.close()
        if self._parquet is not None:
            self._parquet.close()
        self.tmp.replace(self.path)
        return self.path

    def discard(self) -> None:
        if self._handle is not None and not self._handle.closed:
            self._handle.close()
        if self._parquet is not None:
            self._parquet.close()
        self.tmp.unlink(missing_ok=True)


_OUTPUT_TYPES = {
    "risk_score": pa.float64(),
    "risk_level": pa.string(),
    "red_flags": pa.list_(pa.string()),
    "top_terms": pa.list_(pa.struct([("term", pa.string()), ("weight", pa.float64())])),
    "error": pa.string(),
}


def _parquet_schema(table: pa.Table) -> pa.Schema:
    """The first chunk's schema with fixed types for our columns and text for all-null ones."""
    fields = []
    for f in table.schema:
        kind = _OUTPUT_TYPES.get(f.name, pa.string() if pa.types.is_null(f.type) else f.type)
        fields.append(pa.field(f.name, kind))
    return pa.schema(fields)


def _flatten(value: object) -> str:
    """A list cell as one CSV field: flags `a;b`, terms `kamboja:+0.177;paspor:+0.155`."""
    if not isinstance(value, list):
        return "" if value is None else str(value)
    return ";".join(f"{v['term']}:{v['weight']:+.3f}" if isinstance(v, dict) else str(v) for v in value)


@dataclass
class BatchSummary:
    """What a batch job did: counts per level, frequent flags, speed, where the output went."""

    rows: int = 0
    written: int = 0
    levels: Counter[str] = field(default_factory=Counter)
    flags: Counter[str] = field(default_factory=Counter)
    riskiest: list[tuple[float, int, str, str, str]] = field(
        default_factory=list
    )  # score, -row, id, level, text
    seconds: float = 0.0
    contact_groups: dict[str, list[float]] = field(default_factory=dict)  # group -> [ads, max score]
    contacts: ContactGroups | None = None
    output: Path | None = None
    errors_file: Path | None = None
    report: ReadReport = field(default_factory=ReadReport)

    @property
    def rows_per_second(self) -> float:
        return self.rows / max(self.seconds, 1e-9)


def score_file(
    model: Model,
    source: Path,
    output: Path,
    *,
    text_column: str = "text",
    id_column: str | None = None,
    input_format: str | None = None,
    output_format: str | None = None,
    min_level: str = "low",
    explain: bool = False,
    errors_file: Path | None = None,
    link_contacts: bool = False,
    workers: int = 1,
    engine: str = "local",
    scheduler: str | None = None,
    scheduler_timeout: float = 30.0,
    chunk_rows: int = CHUNK_ROWS,
    top: int = 5,
    progress: Progress | None = None,
) -> BatchSummary:
    """Score every row of `source` into `output` (rows below `min_level` left out, error rows
    always kept). Malformed lines go to `errors_file` (default: OUTPUT.errors.csv). With
    `link_contacts`, a first pass over the file links ads sharing a phone, handle or e-mail and a
    `contact_group` column names each group. `workers` > 1 scores chunks in that many processes;
    `engine="dask"` sends them to the dask.distributed cluster at `scheduler` (default: a
    LocalCluster of `workers` processes). Either way chunks come back in order and the scores
    are the ones one process gives."""
    if output.is_dir():
        raise InputError(f"output {output} is a directory; give a file name such as {output / 'scored.csv'}")
    in_fmt, in_gz = detect_format(source, input_format)
    out_fmt, out_gz = detect_format(output, output_format)
    if min_level not in LEVELS:
        raise InputError(f"--min-level must be one of {', '.join(LEVELS)}, not {min_level!r}")
    keep = set(LEVELS[LEVELS.index(min_level) :]) | {"error"}
    summary = BatchSummary(output=output)
    report = summary.report
    started = time.perf_counter()
    if link_contacts:
        summary.contacts = _link_contacts(source, in_fmt, in_gz, text_column, chunk_rows)
    columns: list[str] | None = None
    with (
        TableWriter(output, out_fmt, out_gz) as writer,
        _scorer(model, engine, workers, scheduler, scheduler_timeout) as submit,
    ):
        chunks = _checked(read_chunks(source, in_fmt, in_gz, report, chunk_rows), text_column, id_column)
        for chunk, pending in _in_order(
            chunks, lambda c: submit(c, text_column, explain), 2 * max(workers, 1)
        ):
            if columns is None:
                columns = list(chunk.columns)
            scored = pending.result()
            if summary.contacts is not None:
                _add_contact_groups(summary, scored)
            _tally(summary, scored, text_column, id_column, top)
            kept = scored[scored["risk_level"].isin(keep)]
            writer.write(kept)
            summary.written += len(kept)
            if progress is not None:
                progress(summary.rows, report.units_done, report.units_total)
        out_columns = [*(columns or [text_column]), "risk_score", "risk_level", "red_flags"]
        out_columns += ["contact_group"] if link_contacts else []
        out_columns += ["top_terms", "error"] if explain else ["error"]
        if report.bad_lines:
            summary.errors_file = write_bad_lines(report, errors_file or _errors_path(output))
        writer.commit(out_columns)
    summary.seconds = time.perf_counter() - started
    summary.riskiest.sort(reverse=True)
    return summary


def _checked(
    chunks: Iterator[pd.DataFrame], text_column: str, id_column: str | None
) -> Iterator[pd.DataFrame]:
    """The chunks, after checking the first one has the columns the job needs."""
    for n, chunk in enumerate(chunks):
        if n == 0:
            for column, option in ((text_column, "--text-column"), (id_column, "--id-column")):
                if column is not None and column not in chunk.columns:
                    found = ", ".join(map(str, chunk.columns)) or "(none)"
                    raise InputError(
                        f"no column {column!r} in the input; columns found: {found}. Name it with {option}."
                    )
        yield chunk


class _Done:
    """A finished result with the `.result()` of a future."""

    def __init__(self, value: pd.DataFrame) -> None:
        self.value = value

    def result(self) -> pd.DataFrame:
        return self.value


Submit = Callable[[pd.DataFrame, str, bool], Any]


@contextmanager
def _scorer(
    model: Model, engine: str, workers: int, scheduler: str | None, timeout: float
) -> Iterator[Submit]:
    """A function that starts scoring one chunk and returns something with `.result()`."""
    if engine not in ("local", "dask"):
        raise InputError(f"--engine must be local or dask, not {engine!r}")
    if workers < 1:
        raise InputError("--workers must be at least 1")
    if engine == "dask":
        with _dask_client(scheduler, workers, timeout) as client:
            shared = client.scatter(model, broadcast=True)
            yield lambda chunk, column, explain: client.submit(
                score_frame, shared, chunk, column, explain=explain, pure=False
            )
    elif workers == 1:
        yield lambda chunk, column, explain: _Done(score_frame(model, chunk, column, explain=explain))
    else:
        # spawn, not fork: the parent may hold threads (progress bar, server) that fork would copy
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            yield lambda chunk, column, explain: pool.submit(
                score_frame, model, chunk, column, explain=explain
            )


@contextmanager
def _dask_client(scheduler: str | None, workers: int, timeout: float) -> Iterator[Any]:
    from dask.distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        with client:
            yield client
        return
    with LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        with Client(cluster) as client:
            yield client


def _in_order(
    chunks: Iterator[pd.DataFrame], submit: Callable[[pd.DataFrame], Any], window: int
) -> Iterator[tuple[pd.DataFrame, Any]]:
    """(chunk, pending result) in input order, with at most `window` chunks in flight, so memory
    stays bounded however large the file."""
    pending: deque[tuple[pd.DataFrame, Any]] = deque()
    for chunk in chunks:
        pending.append((chunk, submit(chunk)))
        if len(pending) >= window:
            yield pending.popleft()
    while pending:
        yield pending.popleft()


def _link_contacts(
    source: Path, fmt: Format, gzipped: bool, text_column: str, chunk_rows: int
) -> ContactGroups:
    """First pass: the contacts of every row, joined into groups (row numbers as in pass two)."""
    groups = ContactGroups()
    row = 0
    for chunk in read_chunks(source, fmt, gzipped, ReadReport(), chunk_rows):
        if text_column not in chunk.columns:
            break  # score_frame reports the missing column
        for text in chunk[text_column]:
            row += 1
            if isinstance(text, str):
                groups.add(row, contact_keys(text))
    return groups


def _add_contact_groups(summary: BatchSummary, scored: pd.DataFrame) -> None:
    assert summary.contacts is not None
    names = [summary.contacts.group_of(summary.rows + i + 1) for i in range(len(scored))]
    scored.insert(scored.columns.get_loc("red_flags") + 1, "contact_group", names)
    for name, score in zip(names, scored["risk_score"], strict=True):
        if name:
            seen = summary.contact_groups.setdefault(name, [0, 0.0])
            seen[0] += 1
            if score == score:  # not NaN
                seen[1] = max(seen[1], float(score))


def _tally(
    summary: BatchSummary, scored: pd.DataFrame, text_column: str, id_column: str | None, top: int
) -> None:
    offset = summary.rows
    summary.rows += len(scored)
    summary.levels.update(scored["risk_level"])
    for flags in scored["red_flags"]:
        summary.flags.update(flags)
    valid = scored[scored["risk_level"] != "error"]
    columns = zip(valid["risk_score"], valid["risk_level"], valid[text_column], strict=True)
    for position, (score, level, text) in enumerate(columns):
        row = offset + int(valid.index[position]) + 1
        name = str(valid[id_column].iloc[position]) if id_column else str(row)
        item = (float(score), -row, name, str(level), " ".join(str(text).split())[:90])
        if len(summary.riskiest) < top:
            heapq.heappush(summary.riskiest, item)
        elif top:
            heapq.heappushpop(summary.riskiest, item)


def _errors_path(output: Path) -> Path:
    name = output.name.removesuffix(".gz")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return output.with_name(f"{stem}.errors.csv")


def write_bad_lines(report: ReadReport, path: Path) -> Path:
    """The malformed lines as CSV (line, reason, raw), written atomically."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["line", "reason", "raw"])
    for line, reason, raw in report.bad_lines:
        writer.writerow([line, reason, raw.rstrip("\r\n")])
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        tmp.write_text(buffer.getvalue(), encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
