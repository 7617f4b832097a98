"""Read and write tables (CSV) without losing rows, columns or cell text.

Every column is read as text, exactly as written: nothing is turned into NaN or a number, so a
scored file keeps its input columns byte-for-byte. Undecodable bytes are replaced (U+FFFD),
not fatal. Output goes to a temporary file that is renamed only when complete.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from tppo_screen.errors import InputError


def read_table(path: Path | str) -> pd.DataFrame:
    """Read a CSV file with every cell as a string."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"input file not found: {path}")
    try:
        return pd.read_csv(
            path, dtype=str, keep_default_na=False, encoding="utf-8", encoding_errors="replace"
        )
    except pd.errors.EmptyDataError as exc:
        raise InputError(f"{path} is empty: expected a CSV file with a header row") from exc
    except pd.errors.ParserError as exc:
        raise InputError(f"{path} is not a readable CSV file: {exc}") from exc


def write_table(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write `frame` as CSV atomically: a crash or Ctrl-C leaves no partial file at `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        frame.to_csv(tmp, index=False)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
