"""Write files so that a crash or Ctrl-C never leaves a half-written one behind.

Everything is written to a temporary file beside its target (`.NAME.PID.partial`) and renamed
into place only when complete: `AtomicPath` is that one pattern; `atomic_write` uses it for a
file written at once (`write_table`, `write_text`, `write_bad_lines`, model files), `TableWriter`
for a table written chunk by chunk, and `staged_directory` for a set of files (a report).
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from tppo_screen.errors import InputError
from tppo_screen.tables.formats import Format
from tppo_screen.tables.read import ReadReport

Flatten = Callable[[object], str]  # how a list cell becomes one CSV/TSV field


def check_output(path: Path) -> None:
    """An `InputError` when `path` is a directory: an output must be a file name."""
    if path.is_dir():
        raise InputError(f"output {path} is a directory; give a file name such as {path / 'scored.csv'}")


class AtomicPath:
    """A temporary path `tmp` beside `path` (whose folder is created) that becomes `path` on
    `commit()`; `discard()` removes it if it is still there."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        check_output(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
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


def write_bad_lines(report: ReadReport, path: Path) -> Path:
    """The malformed lines as CSV (line, reason, raw), written atomically."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["line", "reason", "raw"])
    for line, reason, raw in report.bad_lines:
        writer.writerow([line, reason, raw.rstrip("\r\n")])
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

    In CSV/TSV the columns of `flatten` are written through it (lists as one field); in Parquet
    the columns of `types` get that type and all-null columns are text."""

    def __init__(
        self,
        path: Path,
        fmt: Format,
        gzipped: bool,
        flatten: Mapping[str, Flatten] | None = None,
        types: Mapping[str, pa.DataType] | None = None,
    ) -> None:
        self.target = AtomicPath(path)
        self.path, self.tmp, self.fmt, self.gzipped = path, self.target.tmp, fmt, gzipped
        self.flatten, self.types = dict(flatten or {}), dict(types or {})
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
            chunk = chunk.reindex(columns=self._columns)
        if self.fmt == "parquet":
            self._write_parquet(chunk)
            return
        header = self._handle is None
        if self._handle is None:
            opener = gzip.open if self.gzipped else open
            self._handle = opener(self.tmp, "wt", encoding="utf-8", newline="")
        if self.fmt == "jsonl":
            if len(chunk):
                text = chunk.to_json(orient="records", lines=True, force_ascii=False, double_precision=15)
                self._handle.write(text if text.endswith("\n") else text + "\n")
            return
        flat = chunk.copy()
        for column, flatten in self.flatten.items():
            if column in flat.columns:
                flat[column] = flat[column].map(flatten)
        flat.to_csv(self._handle, index=False, header=header, sep="\t" if self.fmt == "tsv" else ",")

    def _write_parquet(self, chunk: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(chunk, preserve_index=False)
        if self._parquet is None or self._schema is None:
            self._schema = self._parquet_schema(table)
            self._parquet = pq.ParquetWriter(self.tmp, self._schema)
        self._parquet.write_table(table.cast(self._schema))

    def _parquet_schema(self, table: pa.Table) -> pa.Schema:
        """The first chunk's schema with `types` for their columns and text for all-null ones."""
        fields = []
        for f in table.schema:
            kind = self.types.get(f.name, pa.string() if pa.types.is_null(f.type) else f.type)
            fields.append(pa.field(f.name, kind))
        return pa.schema(fields)

    def commit(self, columns_if_empty: list[str] | None = None) -> Path:
        if self._handle is None and self._parquet is None:
            self.write(pd.DataFrame(columns=columns_if_empty or []))
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
