"""An analyst's corrections from a table: a scored file (CSV, Parquet, xlsx: `tppo-screen score`'s
output) in which a `label` column was filled in. `corrections_from_table` reads it row by row:
rows without a label are skipped and counted, rows whose label (or text, flags) cannot be used
are reported with their row number as a spreadsheet shows it (the header is row 1), every other
row becomes a `Correction`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from tppo_screen.errors import InputError
from tppo_screen.feedback.store import Correction, problems

LABEL_WORDS = {"high_risk": "high_risk", "highrisk": "high_risk", "legit": "legit"}
SCORE_COLUMNS = ("risk_score", "score", "model_score")  # what `score` writes, what the API says


@dataclass
class TableCorrections:
    """What a table holds: the usable corrections (with their row numbers), the rows without a
    label, and the rows refused, as (row, what is wrong)."""

    corrections: list[Correction] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    unlabelled: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)


def cell(value: Any) -> str | None:
    """A cell as text, None when empty (NaN, None, only spaces); 7.0 reads as "7"."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def label_of(value: str) -> str | None:
    """`high_risk` or `legit` from how an analyst may type them (High-Risk, high risk, LEGIT)."""
    return LABEL_WORDS.get(value.lower().replace("-", "_").replace(" ", "_").replace("__", "_"))


def _columns(frame: pd.DataFrame, text_column: str, id_column: str | None, label_column: str) -> None:
    found = ", ".join(map(str, frame.columns)) or "none"
    for name, what in ((text_column, "--text-column"), (label_column, "--label-column")):
        if name not in frame.columns:
            raise InputError(f"no column {name!r} ({what}); the file has: {found}")
    if id_column is not None and id_column not in frame.columns:
        raise InputError(f"no column {id_column!r} (--id-column); the file has: {found}")


def corrections_from_table(
    frame: pd.DataFrame,
    known_flags: frozenset[str],
    text_column: str = "text",
    id_column: str | None = None,
    label_column: str = "label",
) -> TableCorrections:
    """The corrections in `frame` (see the module). `id_column` None: an `id` column if there is
    one, else each ad's id is the SHA-256 of its text. Flags come from a `flags` column
    (comma- or semicolon-separated ids), the score corrected from `risk_score`, the reason from
    `reason` and the model version from `model_version`, when the table has them."""
    _columns(frame, text_column, id_column, label_column)
    id_column = id_column or ("id" if "id" in frame.columns else None)
    score_column = next((c for c in SCORE_COLUMNS if c in frame.columns), None)
    found = TableCorrections()
    for n, row in enumerate(frame.to_dict("records")):
        number = n + 2  # the header is row 1
        given = cell(row[label_column])
        if given is None:
            found.unlabelled += 1
            continue
        label = label_of(given)
        if label is None:
            found.refused.append((number, f"label {given!r} is not high_risk or legit"))
            continue
        try:
            correction = _correction(row, label, text_column, id_column, score_column)
        except ValueError as exc:
            found.refused.append((number, str(exc)))
            continue
        wrong = problems(correction, known_flags)
        if wrong:
            found.refused.append((number, "; ".join(f"{f}: {why}" for f, why in wrong)))
            continue
        found.corrections.append(correction)
        found.rows.append(number)
    return found


def _correction(
    row: dict[Any, Any], label: str, text_column: str, id_column: str | None, score_column: str | None
) -> Correction:
    flags = cell(row.get("flags")) or ""
    score = cell(row.get(score_column)) if score_column else None
    try:
        model_score = float(score) if score is not None else None
    except ValueError:
        raise ValueError(f"{score_column} {score!r} is not a number") from None
    return Correction(
        text=_text(row[text_column]),
        label=label,
        ad_id=cell(row[id_column]) if id_column else None,
        reason=cell(row.get("reason")),
        flags=tuple(f.strip() for f in flags.replace(";", ",").split(",") if f.strip()),
        model_version=cell(row.get("model_version")),
        model_score=model_score,
    )


def _text(value: Any) -> str:
    """The ad's text as written (not stripped: its id is the SHA-256 of the text as scored)."""
    return "" if cell(value) is None else str(value)
