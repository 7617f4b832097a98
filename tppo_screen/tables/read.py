"""Read and write tables (CSV) without losing rows, columns or cell text.

Every column is read as text, exactly as written: nothing is turned into NaN or a number, so a
scored file keeps its input columns byte-for-byte. Undecodable bytes are replaced (U+FFFD),
not fatal. Output goes to a temporary file that is renamed only when complete.
"""

from __future__ import annotations

import csv
import os
import warnings
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from tppo_screen.errors import InputError


def read_table(path: Path | str) -> pd.DataFrame:
    """Read a CSV file with every cell as a string; blank lines are kept as empty rows.

    A row with more fields than the header, or a header naming a column twice, is an
    `InputError` that says where: scoring the wrong column silently would be worse.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"input file not found: {path}")
    header = _header(path)
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise InputError(f"{path}: the header names these columns more than once: {', '.join(repeated)}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(
                path,
                dtype=str,
                keep_default_na=False,
                skip_blank_lines=False,
                index_col=False,
                encoding="utf-8",
                encoding_errors="replace",
            )
    except pd.errors.EmptyDataError as exc:
        raise InputError(f"{path} is empty: expected a CSV file with a header row") from exc
    except pd.errors.ParserWarning as exc:
        raise InputError(f"{path}: {_first_long_row(path, len(header))}") from exc
    except pd.errors.ParserError as exc:
        raise InputError(f"{path} is not a readable CSV file: {exc}") from exc


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        return next(csv.reader(handle), [])


def _first_long_row(path: Path, width: int) -> str:
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        reader = csv.reader(handle)
        for row in reader:
            if len(row) > width:
                return (
                    f"line {reader.line_num} has {len(row)} fields but the header has {width}; "
                    "quote cells that contain commas"
                )
    return f"some rows have more fields than the header's {width}"


def write_table(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write `frame` as CSV atomically: a crash or Ctrl-C leaves no partial file at `path`."""
    return _atomic(path, lambda tmp: frame.to_csv(tmp, index=False))


def write_text(text: str, path: Path | str) -> Path:
    """Write `text` (UTF-8) atomically."""
    return _atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _atomic(path: Path | str, write: Callable[[Path], object]) -> Path:
    path = Path(path)
    if path.is_dir():
        raise InputError(f"output {path} is a directory; give a file name such as {path / 'scored.csv'}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        write(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
