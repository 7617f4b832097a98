"""Write files so that a crash or Ctrl-C never leaves a half-written one behind.

Everything is written to a temporary file beside its target (`.NAME.PID.partial`) and renamed
into place only when complete: `AtomicPath` is that one pattern; `atomic_write` uses it for a
file written at once (`write_table`, `write_text`, `write_bad_lines`, model files), `TableWriter`
for a table written chunk by chunk, and `staged_directory` for a set of files (a report).
"""

from __future__ import annotations

import csv
import glob
import gzip
import io
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pandas.api.types import is_string_dtype

from tppo_screen.errors import InputError
from tppo_screen.tables.formats import Format
from tppo_screen.tables.read import ReadReport

if TYPE_CHECKING:
    from tppo_screen.tables.excel import XlsxSheet

Flatten = Callable[[object], str]  # how a list cell becomes one CSV/TSV field
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def neutralise_formula(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula (it starts with =, +, -, @, a tab
    or a carriage return), prefixed with a single quote so that it is shown as text (OWASP's
    advice against CSV injection). A cell that is a plain number ("-5", "+6281234", "1e5")
    stays as it is; anything else is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def as_text(value: object) -> str | None:
    """A cell of any type as text for a string column: nested values (dicts, lists) as JSON,
    missing ones as None."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str):
        return value
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        value = value.tolist()
    return json.dumps(value, ensure_ascii=False, default=str)


def check_output(path: Path, inputs: Iterable[Path] = ()) -> None:
    """An `InputError` when `path` cannot be an output: a directory, something that exists but is
    not a regular file (a device such as /dev/null, a pipe: it would be replaced by a file), or
    the same file as one of `inputs` (also through a symlink or hard link: writing it would
    destroy the input)."""
    if path.is_dir():
        raise InputError(f"output {path} is a directory; give a file name such as {path / 'scored.csv'}")
    if not path.exists():
        return
    if not path.is_file():
        raise InputError(
            f"output {path} exists and is not a regular file (a device, pipe or socket); give a file name"
        )
    for source in inputs:
        if source.exists() and os.path.samefile(path, source):
            raise InputError(
                f"output {path} is the input file {source}; writing it would destroy the input: "
                "give another name"
            )


def _alive(pid: int) -> bool:
    """Whether a process `pid` exists (on this machine)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists but belongs to someone else
        return True
    return True


def clean_stale_partials(path: Path) -> list[Path]:
    """Remove the `.NAME.PID.partial` files beside `path` left by runs that died without cleaning
    up (SIGKILL, a full disk, a power cut): those whose PID is no longer a running process. A
    partial file of a live process (another run writing the same output) is left alone."""
    removed = []
    prefix = f".{path.name}."
    for stale in path.parent.glob(f"{glob.escape(prefix)}*.partial"):
        pid = stale.name[len(prefix) : -len(".partial")]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            stale.unlink(missing_ok=True)
            removed.append(stale)
    return removed


class AtomicPath:
    """A temporary path `tmp` beside `path` (whose folder is created) that becomes `path` on
    `commit()`; `discard()` removes it if it is still there. Partial files of dead runs writing
    the same `path` are removed first (`clean_stale_partials`)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        check_output(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        clean_stale_partials(self.path)
        self.tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.partial")

    def commit(self) -> Path:
        self.tmp.replace(self.path)
        return self.path

    def discard(self) -> None:
        self.tmp.unlink(missing_ok=True)


def atomic_write(path: Path | str, write: Callable[[Path], object]) -> Path:
    """Call `write(tmp)` and rename `tmp` to `path` only if it returns."""
    target = AtomicPath(path)
    try:
        write(target.tmp)
        return target.commit()
    finally:
        target.discard()


def write_table(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write `frame` as CSV atomically: a crash or Ctrl-C leaves no partial file at `path`."""
    return atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False))


def write_text(text: str, path: Path | str) -> Path:
    """Write `text` (UTF-8) atomically."""
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_bad_lines(report: ReadReport, path: Path, keep_formulas: bool = False, bom: bool = False) -> Path:
    """The malformed lines as CSV (line, reason, raw), written atomically; a raw line that looks
    like a formula is neutralised (`neutralise_formula`) unless `keep_formulas`; with `bom` the
    file starts with a UTF-8 byte-order mark, for Excel."""
    buffer = io.StringIO("\ufeff" if bom else "")
    buffer.seek(0, io.SEEK_END)
    writer = csv.writer(buffer)
    writer.writerow(["line", "reason", "raw"])
    for line, reason, raw in report.bad_lines:
        text = raw.rstrip("\r\n")
        writer.writerow([line, reason, text if keep_formulas else neutralise_formula(text)])
    return write_text(buffer.getvalue(), path)


@contextmanager
def staged_directory(directory: Path) -> Iterator[Path]:
    """A temporary directory beside `directory`; what is written into it moves into `directory`
    (created if need be) only when the `with` block ends without an exception."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory.parent, prefix=f".{directory.name}.") as tmp:
        staging = Path(tmp)
        yield staging
        directory.mkdir(exist_ok=True)
        for item in sorted(staging.iterdir()):
            os.replace(item, directory / item.name)


class TableWriter:
    """Write chunks in one format to a temporary file beside `path`; `commit()` renames it into
    place, `discard()` (or leaving the `with` block by an exception) removes it.

    The columns of `flatten` and `types` are the caller's own, written as they are: in CSV/TSV
    the columns of `flatten` are written through it (lists as one field); in Parquet the columns
    of `types` get that type. Every other column is the input's: in CSV/TSV its formula-like text
    cells (and header names) are neutralised (`neutralise_formula`) unless `keep_formulas`; in
    Parquet a column whose values are of mixed types, or nested and mixed, is written as text
    (nested values as JSON), as are all-null columns. The first chunk fixes the columns of a
    CSV/TSV/Parquet file: a later chunk with a new column is an `InputError` (JSONL records
    carry their own keys). An .xlsx file is one sheet (`excel.XlsxSheet`): lists as in CSV, text
    cells always text. With `bom`, CSV/TSV start with a UTF-8 byte-order mark (Excel then reads
    them as UTF-8)."""

    def __init__(
        self,
        path: Path,
        fmt: Format,
        gzipped: bool,
        flatten: Mapping[str, Flatten] | None = None,
        types: Mapping[str, pa.DataType] | None = None,
        keep_formulas: bool = False,
        bom: bool = False,
    ) -> None:
        if bom and fmt not in ("csv", "tsv"):
            raise InputError(f"a byte-order mark (--excel-csv) is for CSV/TSV output, not {fmt}")
        self.target = AtomicPath(path)
        self.path, self.tmp, self.fmt, self.gzipped = path, self.target.tmp, fmt, gzipped
        self.flatten, self.types = dict(flatten or {}), dict(types or {})
        self.keep_formulas, self.bom = keep_formulas, bom
        self.rows = 0  # rows written so far
        self._xlsx: XlsxSheet | None = None
        self._handle: IO[str] | None = None
        self._parquet: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None
        self._columns: list[str] | None = None

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.discard()

    def write(self, chunk: pd.DataFrame) -> None:
        if self._columns is None:
            self._columns = list(chunk.columns)
        if self.fmt != "jsonl":  # JSONL records may carry keys the first chunk did not have
            late = [column for column in chunk.columns if column not in self._columns]
            if late:
                raise InputError(
                    f"column {late[0]!r} first appears after row {self.rows:,} of the output; a "
                    f"{self.fmt} file keeps the columns of its first rows: write JSONL instead"
                )
            chunk = chunk.reindex(columns=self._columns)
        if self.fmt == "parquet":
            self._write_parquet(chunk)
        elif self.fmt == "xlsx":
            self._write_xlsx(chunk)
        else:
            self._write_text(chunk)
        self.rows += len(chunk)

    def _write_text(self, chunk: pd.DataFrame) -> None:
        header = self._handle is None
        if self._handle is None:
            opener = gzip.open if self.gzipped else open
            encoding = "utf-8-sig" if self.bom else "utf-8"
            self._handle = opener(self.tmp, "wt", encoding=encoding, newline="")
        if self.fmt == "jsonl":
            if len(chunk):
                text = chunk.to_json(orient="records", lines=True, force_ascii=False, double_precision=15)
                self._handle.write(text if text.endswith("\n") else text + "\n")
            return
        flat = chunk.copy()
        for column in flat.columns:
            if column in self.flatten:
                flat[column] = flat[column].map(self.flatten[column])
            elif not self.keep_formulas and column not in self.types and is_string_dtype(flat[column].dtype):
                flat[column] = flat[column].map(neutralise_formula)
        if not self.keep_formulas:
            flat.columns = [
                c if c in self.flatten or c in self.types else neutralise_formula(c) for c in flat.columns
            ]
        flat.to_csv(self._handle, index=False, header=header, sep="\t" if self.fmt == "tsv" else ",")

    def _write_xlsx(self, chunk: pd.DataFrame) -> None:
        from tppo_screen.tables.excel import XlsxSheet  # openpyxl only when a workbook is written

        header = self._xlsx is None
        if self._xlsx is None:
            self._xlsx = XlsxSheet(self.tmp, self.keep_formulas)
        columns = [
            chunk[c].map(self.flatten[c]).tolist() if c in self.flatten else chunk[c].tolist()
            for c in chunk.columns
        ]
        rows: list[list[object]] = [[str(c) for c in chunk.columns]] if header else []
        self._xlsx.append(rows + [list(row) for row in zip(*columns, strict=True)])

    def _write_parquet(self, chunk: pd.DataFrame) -> None:
        table = self._arrow(chunk)
        if self._parquet is None or self._schema is None:
            self._schema = self._parquet_schema(table)
            self._parquet = pq.ParquetWriter(self.tmp, self._schema)
        for name in self._changed_types(table, self._schema):
            self._promote_to_text(name)
        self._parquet.write_table(self._cast(chunk, table, self._schema))

    def _changed_types(self, table: pa.Table, schema: pa.Schema) -> list[str]:
        """Input columns whose type in the file cannot hold this chunk's values."""
        changed = []
        for position, want in enumerate(schema):
            got = table.schema.field(position).type
            if got == want.type or pa.types.is_string(want.type) or want.name in self.types:
                continue
            try:
                table.column(position).cast(want.type)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                changed.append(want.name)
        return changed

    def _promote_to_text(self, name: str) -> None:
        """Make column `name` text in the rows already written: they are copied, batch by batch,
        into a file whose schema says text for it, which then takes the place of the first."""
        assert self._parquet is not None and self._schema is not None
        self._parquet.close()
        index = self._schema.get_field_index(name)
        schema = self._schema.set(index, pa.field(name, pa.string()))
        copy = self.tmp.with_name(self.tmp.name + ".retyped")
        writer = pq.ParquetWriter(copy, schema)
        try:
            for batch in pq.ParquetFile(self.tmp).iter_batches():
                column = pa.array([as_text(v) for v in batch.column(index).to_pylist()], pa.string())
                writer.write_batch(batch.set_column(index, schema.field(index), column))
            os.replace(copy, self.tmp)  # the open writer follows the file to its new name
        except BaseException:
            writer.close()
            copy.unlink(missing_ok=True)
            raise
        self._parquet, self._schema = writer, schema

    def _arrow(self, chunk: pd.DataFrame) -> pa.Table:
        """`chunk` as an Arrow table; input columns Arrow cannot type (mixed types) as text."""
        try:
            return pa.Table.from_pandas(chunk, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            pass
        chunk = chunk.copy()
        for name in chunk.columns:
            if name not in self.types and chunk[name].dtype == object and not _arrow_types(chunk[name]):
                chunk[name] = chunk[name].map(as_text)
        return pa.Table.from_pandas(chunk, preserve_index=False)

    def _cast(self, chunk: pd.DataFrame, table: pa.Table, schema: pa.Schema) -> pa.Table:
        """`table` in the file's `schema`: a text column takes any value as text; a column of
        another type that cannot take this chunk's values is an `InputError`."""
        try:
            return table.cast(schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            pass
        for position, want in enumerate(schema):
            got = table.schema.field(position).type
            if got == want.type:
                continue
            try:
                column = table.column(position).cast(want.type)
            except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
                if not pa.types.is_string(want.type):
                    raise InputError(
                        f"column {want.name!r} changes type at row {self.rows + 1:,} of the output "
                        f"({want.type} in the rows before, {got} from there); Parquet holds one type "
                        "per column: write CSV or JSONL, or make the column one type"
                    ) from None
                column = pa.array(chunk[want.name].map(as_text), type=pa.string(), from_pandas=True)
            table = table.set_column(position, want, column)
        return table.cast(schema)

    def _parquet_schema(self, table: pa.Table) -> pa.Schema:
        """The first chunk's schema with `types` for their columns and text for all-null ones."""
        fields = []
        for f in table.schema:
            kind = self.types.get(f.name, pa.string() if pa.types.is_null(f.type) else f.type)
            fields.append(pa.field(f.name, kind))
        return pa.schema(fields)

    def commit(self, columns_if_empty: list[str] | None = None) -> Path:
        if self._handle is None and self._parquet is None and self._xlsx is None:
            self.write(pd.DataFrame(columns=columns_if_empty or []))
        if self._xlsx is not None:
            self._xlsx.save()
        if self._handle is not None:
            self._handle.close()
        if self._parquet is not None:
            self._parquet.close()
        return self.target.commit()

    def discard(self) -> None:
        if self._handle is not None and not self._handle.closed:
            self._handle.close()
        if self._parquet is not None:
            self._parquet.close()
        self.target.discard()


def _arrow_types(values: pd.Series) -> bool:
    """Whether Arrow can give `values` one type."""
    try:
        pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return False
    return True
