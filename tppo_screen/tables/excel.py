"""Excel workbooks (.xlsx) in and out, streamed with openpyxl.

- `xlsx_chunks(path, report, chunk_rows, sheet)` reads one sheet in read-only mode, row by row,
  as DataFrames of at most `chunk_rows` rows. The first non-empty row is the header (an empty
  header cell is named after its column letter: `column C`); cells keep their types (text,
  numbers, dates; formulas give the value Excel saved); an empty cell is missing. A row with
  values beyond the header's last column is a bad line (in `report.bad_lines`, numbered as Excel
  numbers rows), as in CSV; empty rows inside the data stay as empty rows, those at the end (left
  by formatting) are dropped.
- `XlsxSheet` writes a sheet in write-only mode (rows go to a temporary file as they come, so
  memory stays flat). Every text cell is written as text: a cell starting with `=` is not run as
  a formula unless `keep_formulas`. Characters a workbook cannot hold (control characters) become
  U+FFFD, and a cell over Excel's 32,767 characters is cut there (openpyxl's limit).
"""

from __future__ import annotations

import datetime
import math
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from tppo_screen.errors import InputError
from tppo_screen.tables.read import BadLine, ReadReport
from tppo_screen.tables.write import as_text

MAX_ROWS = 1_048_576  # rows of an Excel sheet, the header included


def xlsx_chunks(
    path: Path, report: ReadReport, chunk_rows: int, sheet: str | None = None
) -> Iterator[pd.DataFrame]:
    """Yield the rows of `sheet` (a name or a 1-based number; default the first) of workbook
    `path` as DataFrames of at most `chunk_rows` rows (at least one, so the header survives)."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise InputError(f"{path} is not a readable .xlsx workbook: {exc}") from None
    try:
        worksheet = _worksheet(book, sheet, path)
        report.units_total = worksheet.max_row or 0
        rows = enumerate(worksheet.iter_rows(values_only=True), start=1)
        header = _header(rows, path)
        report.columns = list(header)
        yield from _chunks(rows, header, report, chunk_rows)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read the workbook past row {report.units_done}: {exc}") from None
    finally:
        book.close()


def _worksheet(book: Any, wanted: str | None, path: Path) -> Any:
    """The worksheet `wanted` names (by name, else by 1-based number), or an `InputError` listing
    the sheets."""
    names: list[str] = list(book.sheetnames)
    if wanted is None:
        name = names[0]
    elif wanted in names:
        name = wanted
    elif wanted.strip().isdigit() and 1 <= int(wanted) <= len(names):
        name = names[int(wanted) - 1]
    else:
        listed = ", ".join(repr(n) for n in names)
        raise InputError(
            f"no sheet {wanted!r} in {path.name}; its sheets are {listed} "
            f"(--sheet takes a name or a number from 1 to {len(names)})"
        )
    found = book[name]
    if not hasattr(found, "iter_rows"):
        raise InputError(f"sheet {name!r} of {path.name} is a chart, not a table; choose one with --sheet")
    return found


def _header(rows: Iterator[tuple[int, tuple[Any, ...]]], path: Path) -> list[str]:
    """The first non-empty row as column names (trailing empty cells dropped)."""
    from openpyxl.utils import get_column_letter

    for _, values in rows:
        if any(_filled(value) for value in values):
            cells = list(values)
            while cells and not _filled(cells[-1]):
                cells.pop()
            header = [
                str(value).strip() if _filled(value) else f"column {get_column_letter(i + 1)}"
                for i, value in enumerate(cells)
            ]
            repeated = sorted({name for name in header if header.count(name) > 1})
            if repeated:
                raise InputError(
                    f"{path}: the header names these columns more than once: {', '.join(repeated)}"
                )
            return header
    raise InputError(f"{path} is empty: expected a header row naming the columns")


def _chunks(
    rows: Iterator[tuple[int, tuple[Any, ...]]], header: list[str], report: ReadReport, chunk_rows: int
) -> Iterator[pd.DataFrame]:
    width = len(header)
    chunk: list[list[Any]] = []
    blanks: list[list[Any]] = []  # empty rows, kept only if a row with values follows
    yielded = False
    for number, values in rows:
        report.units_done = number
        cells = [None if not _filled(value) else value for value in values]
        if len(cells) > width and any(v is not None for v in cells[width:]):
            last = max(i for i, v in enumerate(cells) if v is not None) + 1
            reason = f"{last} cells but the header has {width}"
            raw = "\t".join("" if v is None else str(v) for v in cells)
            report.bad_lines.append(BadLine(number, reason, raw))
            continue
        cells = (cells + [None] * width)[:width]
        if all(v is None for v in cells):
            blanks.append(cells)
            continue
        chunk += blanks + [cells]
        blanks = []
        while len(chunk) >= chunk_rows:
            yield pd.DataFrame(chunk[:chunk_rows], columns=header, dtype=object)
            yielded, chunk = True, chunk[chunk_rows:]
    report.units_total = report.units_done = max(report.units_total, report.units_done)
    if chunk or not yielded:
        yield pd.DataFrame(chunk, columns=header, dtype=object)


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


class XlsxSheet:
    """One sheet written row by row to `path` (call `save()` once, at the end)."""

    def __init__(self, path: Path, keep_formulas: bool = False) -> None:
        from openpyxl import Workbook

        self.path, self.keep_formulas = path, keep_formulas
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet("scored")
        self.rows = 0  # the header included

    def append(self, rows: Sequence[Sequence[Any]]) -> None:
        """Write `rows` (lists of cell values; the first call's first row is the header)."""
        if self.rows + len(rows) > MAX_ROWS:
            raise InputError(
                f"an .xlsx sheet holds at most {MAX_ROWS - 1:,} rows and its header; this output has "
                "more: write CSV or Parquet (-o NAME.csv)"
            )
        for row in rows:
            self.sheet.append([self._cell(value) for value in row])
        self.rows += len(rows)

    def _cell(self, value: Any) -> Any:
        """`value` as something openpyxl writes: text as text, never run as a formula."""
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE

        value = cell_value(value)
        if not isinstance(value, str):
            return value
        value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
        if (value.startswith("=") and not self.keep_formulas) or value in ERROR_CODES:
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.data_type = "s"  # shown as written, never calculated
            return cell
        return value

    def save(self) -> None:
        self.book.save(self.path)


def cell_value(value: Any) -> Any:
    """A DataFrame cell as a value openpyxl takes: missing → None, NumPy scalars → Python ones,
    dates with a time zone → ISO text (Excel has no time zones), lists and dicts → JSON text."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        if isinstance(value, pd.Timestamp):
            value = value.to_pydatetime()
        if getattr(value, "tzinfo", None) is not None:
            return value.isoformat()
        return value
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:  # NumPy scalars
        return cell_value(value.item())
    return as_text(value)
