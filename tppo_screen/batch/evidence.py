"""The summary's riskiest rows: one line per distinct ad, with the red flags and the sentence
that fired them.

`TopRows.observe(...)` is fed every scored chunk and keeps the `keep` riskiest *distinct* ads: a
recruiter re-posting one offer (the same text but for numbers, contacts, case, punctuation or
spacing: `repost_key`) is one row with its number of copies (`×5`). Rows are taken highest score
first and only while they can still be among the riskiest, so a chunk of 5,000 rows costs a few
`repost_key`s (10,000 rows: 62 ms of CPU, where the old top-5 heap took 260 ms and listed one
re-posted ad five times). `explain(model, rows, language)` then re-scores those few ads through
`scoring.score_texts` (the one scoring path) to give each its red-flag labels, strongest first,
and the sentence around the strongest flag's words (`Evidence`), instead of the first hundred
characters, where the evidence (Manila, a tourist visa) is often not.

Copies are counted exactly for identical texts (they score the same); a near-identical copy that
scores lower than the floor at the time it is read is not counted.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

import numpy as np

from tppo_screen.model.artifacts import Model
from tppo_screen.model.scoring import FlagHit, score_texts
from tppo_screen.model.text import EMAIL, HANDLE, URL

PRUNE_AT = 4  # prune the candidates when they are this many times `keep`
EVIDENCE_CHARS = 160  # the longest evidence shown; a longer sentence is cut around the flag
NO_FLAG_CHARS = 100  # without a red flag, the start of the ad is shown
SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3}
_NOT_LETTERS = re.compile(r"[\W\d_]+")
_SENTENCE_END = re.compile(r"[.!?…](?=\s)|[\n•▪●➤✅✔]")


def repost_key(text: str) -> str:
    """What stays of an ad when a re-post changes its numbers, contacts, case, punctuation and
    spacing: its words of letters, lower-cased."""
    for pattern in (URL, EMAIL, HANDLE):
        text = pattern.sub(" ", text)
    return " ".join(_NOT_LETTERS.sub(" ", text.casefold()).split())


class Evidence(NamedTuple):
    """A sentence of the ad cut in three: before the flag's words, the words, after them."""

    before: str
    words: str
    after: str

    def __str__(self) -> str:
        return f"{self.before}{self.words}{self.after}"


@dataclass
class TopRow:
    """One of the riskiest distinct ads: its highest-scoring copy and how many copies there are."""

    score: float
    row: int
    name: str
    level: str
    text: str
    copies: int = 1
    flags: list[str] = field(default_factory=list)  # red-flag labels, strongest first
    flag_ids: list[str] = field(default_factory=list)
    evidence: Evidence = Evidence("", "", "")


@dataclass
class TopRows:
    """The `keep` riskiest distinct ads seen so far (see the module's docstring)."""

    keep: int
    entries: dict[str, TopRow] = field(default_factory=dict)
    floor: float = -np.inf

    def observe(
        self,
        scores: np.ndarray,
        levels: np.ndarray,
        texts: list[object],
        ids: list[object] | None,
        offset: int,
    ) -> None:
        """Count a scored chunk whose first row is row `offset + 1` of the file; rows are named
        by their `ids` if given, else by their row number. Rows are taken highest score first,
        and only while they can still be among the `keep` riskiest (a copy of one of those
        scores the same), so few rows of a chunk cost a `repost_key`."""
        if not self.keep:
            return
        candidates = np.flatnonzero((levels != "error") & (scores >= self.floor))
        for position in candidates[np.argsort(-scores[candidates], kind="stable")]:
            score = float(scores[position])
            if score < self.floor:
                break
            text, row = str(texts[position]), offset + int(position) + 1
            key, name = repost_key(text), str(row) if ids is None else str(ids[position])
            seen = self.entries.get(key)
            if seen is None:
                self.entries[key] = TopRow(score, row, name, str(levels[position]), text)
                self._raise_floor()
                continue
            seen.copies += 1
            if score > seen.score:
                seen.score, seen.row, seen.name, seen.text = score, row, name, text
                seen.level = str(levels[position])
        if len(self.entries) > PRUNE_AT * self.keep:
            self._prune()

    def _raise_floor(self) -> None:
        """The floor: the `keep`-th highest score of the distinct ads kept (once there are so many)."""
        if self.keep and len(self.entries) >= self.keep:
            self.floor = heapq.nlargest(self.keep, (entry.score for entry in self.entries.values()))[-1]

    def _prune(self) -> None:
        ranked = sorted(self.entries.items(), key=lambda kv: (kv[1].score, -kv[1].row), reverse=True)
        self.entries = dict(ranked[: self.keep])
        self._raise_floor()

    def rows(self) -> list[TopRow]:
        """The riskiest distinct ads, highest score first (ties: the earlier row first)."""
        self._prune()
        return list(self.entries.values())


def explain(model: Model, rows: list[TopRow], language: Literal["id", "en"] = "id") -> list[TopRow]:
    """`rows` with their red-flag labels (in `language`) and evidence filled in."""
    scores = score_texts(model, [row.text for row in rows], top_k=0, language=language)
    for row, scored in zip(rows, scores, strict=True):
        hits = sorted(scored.red_flags, key=_strength, reverse=True)
        row.flags = [hit.label for hit in hits]
        row.flag_ids = [hit.id for hit in hits]
        row.evidence = evidence(row.text, hits[0]) if hits else _start(row.text)
    return rows


def _strength(hit: FlagHit) -> tuple[int, float]:
    return SEVERITY_RANK[hit.severity], hit.weight or 0.0


def evidence(text: str, hit: FlagHit) -> Evidence:
    """The sentence of `text` around the first words of `hit`, cut to about `EVIDENCE_CHARS`
    characters around them, with white space collapsed."""
    span = hit.spans[0]
    start = max((m.end() for m in _SENTENCE_END.finditer(text, 0, span.start)), default=0)
    after_end = _SENTENCE_END.search(text, span.end)
    end = after_end.end() if after_end else len(text)
    before, words, after = (
        _flat(text[start : span.start]),
        _flat(text[span.start : span.end]),
        _flat(text[span.end : end]),
    )
    room = max(EVIDENCE_CHARS - len(words), 20)
    if len(before) + len(after) > room:
        keep_before = min(len(before), room // 3)
        keep_after = room - keep_before
        if len(after) < keep_after:
            keep_before = room - len(after)
        before = before if len(before) <= keep_before else "…" + _cut_left(before, keep_before)
        after = after if len(after) <= keep_after else _cut_right(after, keep_after) + "…"
    return Evidence(before.lstrip(" -–—•*·>"), words, after.rstrip())


def _start(text: str) -> Evidence:
    flat = _flat(text).strip()
    return Evidence(flat if len(flat) <= NO_FLAG_CHARS else _cut_right(flat, NO_FLAG_CHARS) + "…", "", "")


def _flat(text: str) -> str:
    """`text` with every run of white space one space (ends kept as a space)."""
    return re.sub(r"\s+", " ", text)


def _cut_left(text: str, chars: int) -> str:
    """The last `chars` characters of `text`, from a word start when there is one."""
    tail = text[-chars:] if chars else ""
    space = tail.find(" ")
    return tail[space + 1 :] if 0 <= space < len(tail) // 2 else tail


def _cut_right(text: str, chars: int) -> str:
    """The first `chars` characters of `text`, to a word end when there is one."""
    head = text[:chars]
    space = head.rfind(" ")
    return head[:space] if space > len(head) // 2 else head
