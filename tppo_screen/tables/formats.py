"""Table formats and how a file name says which one it is."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from tppo_screen.errors import InputError

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
        if found is None:
            raise InputError(
                f"cannot tell the format of {path.name} from its extension; "
                f"name it .csv/.tsv/.jsonl/.parquet (optionally .gz) or pass --format"
            )
        fmt = found
    if gzipped and fmt == "parquet":
        raise InputError(f"{path.name}: Parquet compresses internally; .parquet.gz is not supported")
    return fmt, gzipped
