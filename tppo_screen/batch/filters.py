"""Which scored rows a batch job writes: `--min-level` and `--flags`.

`check_flags(model, wanted)` refuses an id that is not a red flag of the model's catalogue, with
the list of those that are; `kept(scored, levels, flags)` is the mask of the rows to write: at
or above the level, and, when flags are given, with at least one of them. Error rows (empty text,
no letters) are always written, as with `--min-level`, so that no input row disappears silently.
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd

from tppo_screen.errors import InputError
from tppo_screen.model.artifacts import Model


def delimiter_hint(columns: list[str]) -> str:
    """The end of a missing-column message: '.' or, when the one column read holds a delimiter
    (a file not split as it should be), which `--delimiter` to pass."""
    if len(columns) == 1:
        for char, name in ((";", "';'"), ("\t", "tab"), ("|", "'|'"), (",", "','")):
            if char in columns[0]:
                return f", or if the file is split by {name}, pass --delimiter {name}."
    return "."


def parse_flags(value: str | None) -> tuple[str, ...]:
    """`--flags a,b` as ids (blanks and repeats dropped, order kept)."""
    if not value:
        return ()
    return tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))


def check_flags(model: Model, wanted: Collection[str]) -> None:
    """An `InputError` naming the ids of `wanted` that are not red flags of the model's catalogue."""
    known = [entry.id for entry in model.catalogue.entries if entry.kind == "red"]
    unknown = [flag for flag in wanted if flag not in known]
    if unknown:
        raise InputError(
            f"unknown red flag{'s' if len(unknown) > 1 else ''} for --flags: {', '.join(unknown)}; "
            f"the catalogue's red flags are: {', '.join(sorted(known))} (tppo-screen red-flags lists them)"
        )


def kept(scored: pd.DataFrame, levels: Collection[str], flags: Collection[str]) -> pd.Series:
    """The rows to write: level in `levels` and, if `flags`, one of them raised (errors always)."""
    mask = scored["risk_level"].isin(levels)
    if flags:
        wanted = frozenset(flags)
        has = scored["red_flags"].map(lambda found: not wanted.isdisjoint(found))
        mask &= has | (scored["risk_level"] == "error")
    return mask
