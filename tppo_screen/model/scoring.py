"""THE scoring path. CLI, API, batch jobs and notebooks call these; nothing else computes a score.

- `score_texts(model, texts)` → one `Score` per text: its level, the red flags and legitimacy
  cues of the catalogue found in it (with spans on the original text), and the top terms.
- `score_frame(model, frame, text_column)` → the frame with `risk_score`, `risk_level`,
  `red_flags` (with `explain=True` also `top_terms`) and `error` appended; every row kept, in
  order. Rows whose text is empty or not text get `risk_level="error"` and a reason in `error`
  instead of being dropped.

Both go through `model.compiled` (`tppo_screen.model.compiled`): the fitted pipeline's arithmetic
without scikit-learn's per-call overhead, equal to `pipeline.predict_proba` (tested), so one ad
scores in about a millisecond. Each ad is folded and matched against the catalogue once.

`risk_score` is the model's probability of `high_risk` under the training corpus's balanced
class weights: a ranking score, not the real-world share of trafficking ads (that base rate is
unknown). The levels come from thresholds chosen on held-out data and stored in the model card.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field
from scipy import sparse
from sklearn.pipeline import Pipeline

from tppo_screen.errors import InputError
from tppo_screen.model.artifacts import Model, Thresholds
from tppo_screen.model.catalogue import CUE_RULE, Catalogue, Match, Severity, counted
from tppo_screen.model.text import Folded

Level = Literal["low", "medium", "high", "error"]
OUTPUT_COLUMNS = ("risk_score", "risk_level", "red_flags", "error")
CHUNK_ROWS = 1_000  # bounds the size of the sparse feature matrix held at once
MAX_TEXT_CHARS = 100_000  # a job ad is far shorter; longer cells are pasted pages or binary junk


class Term(BaseModel):
    """A word or phrase (stemmed) and its signed contribution: > 0 towards risk, < 0 towards legit."""

    term: str
    weight: float


class SpanOut(BaseModel):
    """Where a flag matched: `text[start:end]` of the ad as submitted (character offsets)."""

    start: int
    end: int
    text: str


class FlagHit(BaseModel):
    """A red flag or legitimacy cue of the catalogue found in the ad, with its evidence."""

    id: str
    severity: Severity
    label: str
    explanation: str
    spans: list[SpanOut]
    weight: float | None = Field(
        None,
        description="the model's weight for this flag: > 0 towards risk, < 0 towards legitimate; "
        f"0 for a cue that does not count ({CUE_RULE}); null when explaining with a catalogue "
        "other than the model's own",
    )


class Reasons(BaseModel):
    """What moved the score, in plain words: the signs and words that raised it and those that
    lowered it, strongest first (their weights are in `red_flags`, `green_flags`, `top_terms`).
    A red flag is only ever listed as raising the score and a cue as lowering it: the model's
    weights are held to that sign in training."""

    raised: list[str] = Field([], description="what pushed the score up, strongest first")
    lowered: list[str] = Field([], description="what pushed the score down, strongest first")


class Score(BaseModel):
    """The score of one ad."""

    score: float | None = Field(description="risk score in [0, 1]; null when the text is unusable")
    level: Level
    red_flags: list[FlagHit] = []
    green_flags: list[FlagHit] = Field(
        [], description="legitimacy cues: accountability signs that lower the risk"
    )
    top_terms: list[Term] = []
    reasons: Reasons = Field(Reasons(), description="what raised and what lowered the score, in plain words")
    warnings: list[str] = Field([], description="why this score may be less reliable than usual")
    error: str | None = None


def text_problem(value: Any) -> str | None:
    """Why `value` cannot be scored, or None when it can."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "empty text"
    if not isinstance(value, str):
        return f"not text ({type(value).__name__})"
    if not value.strip():
        return "empty text"
    if len(value) > MAX_TEXT_CHARS:
        return f"text too long ({len(value):,} characters; the limit is {MAX_TEXT_CHARS:,})"
    if not any(ch.isalpha() for ch in value):
        return "text has no letters"
    return None


SHORT_WORDS = 8  # fewer words than any text the model was trained on (one-line posts of 8+ are)
ENGLISH_SHARE = 0.15  # share of English function words above which an ad reads as English
_ENGLISH = frozenset(
    "the and to of a in for with you we our is are will be your on as this that an or".split()
)
_WARNINGS = {
    "short": {
        "id": "teks sangat pendek ({n} kata): model dilatih dengan teks minimal {limit} kata",
        "en": "very short text ({n} words): the model was trained on texts of {limit} words or more",
    },
    "english": {
        "id": "teks tampaknya berbahasa Inggris: model dilatih dengan iklan berbahasa Indonesia",
        "en": "the text looks English: the model was trained on Indonesian ads",
    },
}


def text_warnings(folded: Folded, language: Literal["id", "en"] = "id") -> list[str]:
    """Why the score of a usable ad may be less reliable: too short, or not Indonesian. (On the
    corpus, the English check fires on 6 of the 6,831 ads, all of them written in English.)"""
    words = folded.words
    if len(words) < SHORT_WORDS:
        return [_WARNINGS["short"][language].format(n=len(words), limit=SHORT_WORDS)]
    if sum(1 for word in words if word in _ENGLISH) / len(words) >= ENGLISH_SHARE:
        return [_WARNINGS["english"][language]]
    return []


REASONS_SHOWN = 5  # lines per side: more than a room can take in
_WORDS_PHRASE = {"id": "kata “{term}”", "en": "the words “{term}”"}


def reasons_in_words(
    red: list[FlagHit],
    green: list[FlagHit],
    terms: list[Term],
    language: Literal["id", "en"] = "id",
    evidence: frozenset[str] = frozenset(),
) -> Reasons:
    """The plain-word summary of a score: each sign as its label and the words that fired it,
    each term as the (stemmed) words, on the side its weight pushes; signs without a weight
    (another catalogue) or with weight 0 (a cue that does not count, `catalogue.cues_count`) are
    left out, and so are terms made only of `evidence` (the stems of the signs' own words: "paspor
    dibantu" is told as its sign, not also as words that pull the other way)."""

    def sign(hit: FlagHit) -> str:
        quoted = ", ".join(f"“{span.text.strip()}”" for span in hit.spans[:2])
        return f"{hit.label}: {quoted}" if quoted else hit.label

    up = [(hit.weight, sign(hit)) for hit in red if hit.weight]
    down = [(-hit.weight, sign(hit)) for hit in green if hit.weight]
    terms = [t for t in terms if not set(t.term.split()) <= evidence]
    up += [(t.weight, _WORDS_PHRASE[language].format(term=t.term)) for t in terms if t.weight > 0]
    down += [(-t.weight, _WORDS_PHRASE[language].format(term=t.term)) for t in terms if t.weight < 0]
    ranked = [
        [line for _, line in sorted(side, key=lambda item: -item[0])][:REASONS_SHOWN] for side in (up, down)
    ]
    return Reasons(raised=ranked[0], lowered=ranked[1])


def _evidence(model: Model, folded: Folded, hits: list[FlagHit]) -> frozenset[str]:
    """The stems of the ad's words that fired these signs (their spans hold whole words)."""
    spans = [(span.start, span.end) for hit in hits for span in hit.spans]
    inside = [
        word
        for word, start, end in zip(folded.words, folded.starts, folded.ends, strict=True)
        if any(low <= start and end <= high for low, high in spans)
    ]
    return frozenset(model.stems(inside))


def risk_levels(scores: np.ndarray, thresholds: Thresholds) -> np.ndarray:
    """Map scores to 'low' / 'medium' / 'high' with the card's thresholds."""
    return np.where(scores >= thresholds.high, "high", np.where(scores >= thresholds.medium, "medium", "low"))


def _features(pipeline: Pipeline, texts: Sequence[str]) -> sparse.csr_matrix:
    return pipeline[:-1].transform(list(texts)).tocsr()


def _probabilities(pipeline: Pipeline, features: sparse.csr_matrix) -> np.ndarray:
    return pipeline.named_steps["clf"].predict_proba(features)[:, 1]


def predict_scores(pipeline: Pipeline, texts: Sequence[str]) -> np.ndarray:
    """Risk scores of valid texts, in chunks; used for held-out folds during training too."""
    scores = np.empty(len(texts))
    for start in range(0, len(texts), CHUNK_ROWS):
        chunk = texts[start : start + CHUNK_ROWS]
        scores[start : start + len(chunk)] = _probabilities(pipeline, _features(pipeline, chunk))
    return scores


def _top_terms(model: Model, features: sparse.csr_matrix, row: int, k: int) -> list[Term]:
    """The `k` word n-grams of row `row` with the largest contributions (value × weight)."""
    names = model.word_feature_names
    coef = model.compiled.coef
    start, end = features.indptr[row], features.indptr[row + 1]
    indices = features.indices[start:end]
    words = np.searchsorted(indices, len(names))  # sorted columns: the word block comes first
    indices = indices[:words]
    contributions = features.data[start : start + words] * coef[indices]
    order = np.argsort(-np.abs(contributions))[:k]
    return [
        Term(term=str(names[indices[i]]), weight=round(float(contributions[i]), 4))
        for i in order
        if contributions[i] != 0
    ]


def _flag_hits(
    matches: list[Match], catalogue: Catalogue, weights: dict[str, float] | None, language: str
) -> list[FlagHit]:
    counts = {m.id for m in counted(matches)}  # a cue that does not count weighs 0
    hits = []
    for match in matches:
        entry = catalogue.entry(match.id)
        weight = None if weights is None else round(weights[match.id], 4) if match.id in counts else 0.0
        hits.append(
            FlagHit(
                id=match.id,
                severity=match.severity,
                label=entry.label[language],
                explanation=entry.explanation[language],
                spans=[SpanOut(start=s.start, end=s.end, text=s.text) for s in match.spans],
                weight=weight,
            )
        )
    return hits


def _chunks(
    model: Model, texts: Sequence[Any], valid: list[int]
) -> Iterator[tuple[list[int], list[Folded], list[list[Match]], sparse.csr_matrix, np.ndarray]]:
    """The rows `valid` of `texts` in chunks: (row numbers, folded ads, catalogue matches,
    feature rows, risk scores). Each ad is folded and matched once."""
    compiled = model.compiled
    for start in range(0, len(valid), CHUNK_ROWS):
        chunk = valid[start : start + CHUNK_ROWS]
        folded = compiled.fold([texts[i] for i in chunk])
        found = [model.catalogue.match_folded(ad) for ad in folded]
        features = compiled.features(folded, found)
        yield chunk, folded, found, features, compiled.probabilities(features)


def score_texts(
    model: Model,
    texts: Sequence[Any],
    top_k: int = 8,
    catalogue: Catalogue | None = None,
    language: Literal["id", "en"] = "id",
) -> list[Score]:
    """Score each text; unusable texts get level 'error' with the reason. Flags are explained
    with `catalogue` (default: the model's own) in `language` ('id' or 'en')."""
    own = catalogue is None or catalogue.sha256 == model.catalogue.sha256
    catalogue = model.catalogue if catalogue is None else catalogue
    weights = model.flag_weights if own else None
    problems = [text_problem(text) for text in texts]
    valid = [i for i, problem in enumerate(problems) if problem is None]
    results: list[Score | None] = [
        None if problem is None else Score(score=None, level="error", error=problem) for problem in problems
    ]
    for chunk, folded, found, features, probabilities in _chunks(model, texts, valid):
        levels = risk_levels(probabilities, model.thresholds)
        for j, i in enumerate(chunk):
            matches = found[j] if own else catalogue.match_folded(folded[j])
            hits = _flag_hits(matches, catalogue, weights, language)
            red = [hit for hit, m in zip(hits, matches, strict=True) if m.kind == "red"]
            green = [hit for hit, m in zip(hits, matches, strict=True) if m.kind == "green"]
            terms = _top_terms(model, features, j, top_k) if top_k else []
            results[i] = Score(
                score=float(probabilities[j]),
                level=str(levels[j]),
                red_flags=red,
                green_flags=green,
                top_terms=terms,
                reasons=reasons_in_words(
                    red, green, terms, language, _evidence(model, folded[j], red + green)
                ),
                warnings=text_warnings(folded[j], language),
            )
    return [result for result in results if result is not None]


def score_frame(
    model: Model,
    frame: pd.DataFrame,
    text_column: str = "text",
    explain: bool = False,
    top_k: int = 8,
    warnings_in: Literal["id", "en"] | None = None,
) -> pd.DataFrame:
    """Return `frame` with `risk_score`, `risk_level`, `red_flags` (list of ids), with `explain`
    also `top_terms` (list of {term, weight}), with `warnings_in` a language also `warnings`
    (the list of `text_warnings` in it: a text too short or English to trust the score), and
    `error` appended (replaced if present)."""
    if text_column not in frame.columns:
        columns = ", ".join(map(str, frame.columns)) or "(none)"
        raise InputError(
            f"no column {text_column!r} in the input; columns found: {columns}. "
            "Name the text column with --text-column."
        )
    texts = frame[text_column].tolist()
    problems = [text_problem(text) for text in texts]
    scores = np.full(len(texts), np.nan)
    flags: list[list[str]] = [[] for _ in texts]
    terms: list[Any] = [[] for _ in texts]  # per row, a list of {term, weight}
    warnings: list[list[str]] = [[] for _ in texts]
    valid = [i for i, problem in enumerate(problems) if problem is None]
    for chunk, folded, found, features, probabilities in _chunks(model, texts, valid):
        scores[chunk] = probabilities
        for j, i in enumerate(chunk):
            flags[i] = [m.id for m in found[j] if m.kind == "red"]
            if warnings_in is not None:
                warnings[i] = text_warnings(folded[j], warnings_in)
            if explain:
                terms[i] = [term.model_dump() for term in _top_terms(model, features, j, top_k)]
    levels = risk_levels(scores, model.thresholds).astype(object)
    levels[[problem is not None for problem in problems]] = "error"
    out = frame.drop(columns=[c for c in (*OUTPUT_COLUMNS, "top_terms", "warnings") if c in frame.columns])
    out["risk_score"] = scores
    out["risk_level"] = levels
    out["red_flags"] = flags
    if explain:
        out["top_terms"] = terms
    if warnings_in is not None:
        out["warnings"] = warnings
    out["error"] = [problem or "" for problem in problems]
    return out
