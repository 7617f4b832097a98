"""What a batch report needs, gathered during the one streaming pass over the file.

`ReportTally.observe(scored, offset)` is called with every scored chunk (`score.py` does it when
`--report` is given). It keeps counts and a top-k, never the rows, so memory stays bounded
however long the file: levels per day (when the file has a date column) and per source (when it
has a source column), the contacts found in the ads, and the `keep` riskiest rows with their text
(cut at `TEXT_LIMIT` characters). The red flag counts and levels are the summary's own.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tppo_screen.batch.contacts import contact_keys
from tppo_screen.errors import InputError

DATE_COLUMNS = (
    "date",
    "tanggal",
    "tgl",
    "posted_at",
    "created_at",
    "published_at",
    "date_posted",
    "posted_date",
    "post_date",
    "posted",
    "published",
    "created",
    "timestamp",
    "datetime",
    "waktu",
)
SOURCE_COLUMNS = ("source", "platform", "sumber", "site", "channel")
TEXT_LIMIT = 4_000  # characters of a risky row's text kept for the report
MAX_SOURCES = 200  # further sources are counted as OTHER
MAX_CONTACTS = 50_000  # past this, contacts seen in one ad only are dropped from the tally
OTHER = "(other)"
NO_SOURCE = "(none)"


@dataclass(frozen=True)
class RiskyRow:
    """One of the riskiest rows, as the report shows it."""

    score: float
    row: int
    name: str
    level: str
    text: str
    source: str = ""
    date: str = ""


@dataclass
class ContactSeen:
    """How often a contact appears: in how many ads, how many of them high, the highest score."""

    ads: int = 0
    high: int = 0
    medium: int = 0
    max_score: float = 0.0


@dataclass
class ReportTally:
    """Counts for the report; `date_column`/`source_column`/`id_column` None means: look for a
    usual name (DATE_COLUMNS, SOURCE_COLUMNS, `id`) in the first chunk."""

    text_column: str = "text"
    id_column: str | None = None
    date_column: str | None = None
    source_column: str | None = None
    keep: int = 12
    dates: Counter[tuple[str, str]] = field(default_factory=Counter)  # (YYYY-MM-DD, level)
    undated: int = 0
    sources: Counter[tuple[str, str]] = field(default_factory=Counter)  # (source, level)
    contacts: dict[str, ContactSeen] = field(default_factory=dict)
    contacts_pruned: bool = False
    riskiest: list[tuple[float, int, RiskyRow]] = field(default_factory=list)  # a min-heap
    repeats: dict[str, int] = field(default_factory=dict)  # text of a kept row -> later rows with it
    _resolved: bool = False

    def observe(self, scored: pd.DataFrame, offset: int) -> None:
        """Count the scored chunk whose first row is row `offset + 1` of the file."""
        if not self._resolved:
            self._resolve(list(map(str, scored.columns)))
        levels = scored["risk_level"].astype(str).to_numpy()
        scores = scored["risk_score"].to_numpy(dtype=float, na_value=np.nan)
        if self.date_column is not None:
            self._count_dates(scored[self.date_column], levels)
        if self.source_column is not None:
            self._count_sources(scored[self.source_column], levels)
        texts = scored[self.text_column].tolist()
        self._count_contacts(texts, levels, scores)
        self._keep_riskiest(scored, texts, levels, scores, offset)

    def _resolve(self, columns: list[str]) -> None:
        found = ", ".join(columns) or "(none)"
        for given, option in ((self.date_column, "--date-column"), (self.source_column, "--source-column")):
            if given is not None and given not in columns:
                raise InputError(f"no column {given!r} in the input for {option}; columns found: {found}")
        lower = {column.lower(): column for column in columns if column != self.text_column}
        if self.date_column is None:
            self.date_column = next((lower[n] for n in DATE_COLUMNS if n in lower), None)
        if self.source_column is None:
            self.source_column = next((lower[n] for n in SOURCE_COLUMNS if n in lower), None)
        if self.id_column is None:
            self.id_column = lower.get("id")
        self._resolved = True

    def _count_dates(self, values: pd.Series, levels: np.ndarray) -> None:
        days = parse_dates(values)
        dated = days.notna().to_numpy()
        self.undated += int((~dated).sum())
        self.dates.update(zip(days[dated].dt.strftime("%Y-%m-%d"), levels[dated], strict=True))

    def _count_sources(self, values: pd.Series, levels: np.ndarray) -> None:
        known = {source for source, _ in self.sources}
        for source, level in zip(values.tolist(), levels, strict=True):
            name = (
                NO_SOURCE if source is None or source != source or str(source).strip() == "" else str(source)
            )
            if name not in known:
                if len(known) >= MAX_SOURCES:
                    name = OTHER
                known.add(name)
            self.sources[name, level] += 1

    def _count_contacts(self, texts: list[object], levels: np.ndarray, scores: np.ndarray) -> None:
        """The contacts of the medium and high rows only: finding contacts costs about as much as
        scoring (five regular expressions over the whole ad), and the risky rows are the ones whose
        contacts an analyst follows."""
        for i in np.flatnonzero((levels == "high") | (levels == "medium")):
            text = texts[i]
            if not isinstance(text, str):
                continue
            for key in contact_keys(text):
                seen = self.contacts.setdefault(key, ContactSeen())
                seen.ads += 1
                seen.high += levels[i] == "high"
                seen.medium += levels[i] == "medium"
                seen.max_score = max(seen.max_score, float(scores[i]))
        if len(self.contacts) > MAX_CONTACTS:
            self.contacts = {key: seen for key, seen in self.contacts.items() if seen.ads > 1}
            self.contacts_pruned = True

    def _keep_riskiest(
        self, scored: pd.DataFrame, texts: list[object], levels: np.ndarray, scores: np.ndarray, offset: int
    ) -> None:
        """Merge the chunk's rows into the top-k (ties: the earlier row); an ad whose text is
        already kept is not listed again but counted in `repeats`."""
        if not self.keep:
            return
        valid = np.flatnonzero(levels != "error")
        order = valid[np.lexsort((valid, -scores[valid]))]  # by score desc, then row
        cells = {
            column: scored[column].tolist() if column else None
            for column in (self.id_column, self.source_column, self.date_column)
        }
        for position in order.tolist():
            row = offset + position + 1
            item = (float(scores[position]), -row)
            full = len(self.riskiest) >= self.keep
            if full and item[0] < self.riskiest[0][0]:
                break  # the rest of the chunk scores lower still
            text = str(texts[position])[:TEXT_LIMIT]
            if text in self.repeats:  # the same ad re-posted: listed once, counted
                self.repeats[text] += 1
                continue
            if full and item <= self.riskiest[0][:2]:
                continue
            risky = RiskyRow(
                score=item[0],
                row=row,
                name=_cell(cells[self.id_column], position) or str(row),
                level=str(levels[position]),
                text=text,
                source=_cell(cells[self.source_column], position),
                date=_cell(cells[self.date_column], position),
            )
            if len(self.riskiest) < self.keep:
                heapq.heappush(self.riskiest, (*item, risky))
            else:
                self.repeats.pop(heapq.heapreplace(self.riskiest, (*item, risky))[2].text, None)
            self.repeats[text] = 0

    def riskiest_rows(self) -> list[RiskyRow]:
        """The riskiest rows kept, highest score first (ties: earlier row first)."""
        return [item[2] for item in sorted(self.riskiest, key=lambda item: item[:2], reverse=True)]


def _cell(values: list[object] | None, position: int) -> str:
    value = None if values is None else values[position]
    return "" if value is None or value != value else str(value)


def parse_dates(values: pd.Series) -> pd.Series:
    """Days of `values` (ISO dates, `05/06/2024` read day first as in Indonesia, timestamps with a
    time or a zone); NaT where a cell is no date."""
    text = values.astype("string").str.strip()
    parsed = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True)
    missing = parsed.isna() & text.notna()
    if missing.any():
        parsed[missing] = pd.to_datetime(
            text[missing], errors="coerce", dayfirst=True, format="mixed", utc=True
        )
    return parsed.dt.tz_localize(None).dt.normalize()
