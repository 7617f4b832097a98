"""Table formats and how a file name says which one it is."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from tppo_screen.errors import InputError

Format = Literal["csv", "tsv", "jsonl", "parquet", "xlsx"]
FORMATS: tuple[Format, ...] = ("csv", "tsv", "jsonl", "parquet", "xlsx")
EXTENSIONS: dict[str, Format] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}
BINARY: frozenset[Format] = frozenset({"parquet", "xlsx"})  # formats that compress themselves


def detect_format(path: Path, explicit: str | None = None) -> tuple[Format, bool]:
    """(format, gzipped) of `path`: from `explicit` if given, else from the extension."""
    gzipped = path.suffix.lower() == ".gz"
    if explicit is not None:
        if explicit not in FORMATS:
            raise InputError(f"unknown format {explicit!r}; choose one of {', '.join(FORMATS)}")
        fmt: Format = explicit
    else:
        base = path.with_suffix("") if gzipped else path
        found = EXTENSIONS.get(base.suffix.lower())
        if base.suffix.lower() == ".xls":
            raise InputError(
                f"{path.name} is an Excel 97-2003 workbook (.xls), which is not read; "
                "open it in Excel or LibreOffice and save it as .xlsx (or CSV)"
            )
        if found is None:
            raise InputError(
                f"cannot tell the format of {path.name} from its extension; "
                f"name it .csv/.tsv/.jsonl/.parquet/.xlsx (text formats optionally .gz) or pass --format"
            )
        fmt = found
    if gzipped and fmt in BINARY:
        kind = "Parquet" if fmt == "parquet" else "An .xlsx workbook"
        raise InputError(f"{path.name}: {kind} compresses internally; .{fmt}.gz is not supported")
    return fmt, gzipped
