"""Corrections (`tppo_screen.feedback`) as training rows: checked, merged into the corpus, counted.

A correction is a person's decision about an ad that was actually posted, so it trains like the
real-world texts of `data/real/`: source `real_feedback` (the threshold budgets and the recall
that sets `medium` count it as a real-world text), weight `FEEDBACK_WEIGHT` (that of a real-world
text, see data/README.md). The rules, as the model card states them:

- Corrections of the same text (after normalisation; several senders, or one ad sent twice) are
  one row, labelled by majority; a tie is left out and counted.
- Each correction joins the near-duplicate group of the corpus texts it resembles
  (`corpus.groups`, the grouping of the corpus itself), so no group straddles folds.
- A corpus text that is a near-duplicate of a correction (the same normalised text, or at least
  half of the shorter text's word 5-grams) and carries the other label is left out: the
  correction wins. It is newer and about a real ad; keeping both would teach the same words
  under both labels. Snippets (`snippet_of`) never count as contradicting: a shared sentence is
  not a verdict on the ad.
- Counts by label x what the correction did to the verdict of the model that scored it (at
  `verdict_threshold`, the `high` threshold of the model being replaced): `flipped` (the model
  said high risk and the person said legit, or the reverse), `confirmed`, or `unscored` (no model
  score sent).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from tppo_screen.corpus.groups import shingle_matrix
from tppo_screen.corpus.privacy import mask_sent_ad
from tppo_screen.errors import DataError
from tppo_screen.model.scoring import text_problem
from tppo_screen.model.text import normalize_many
from tppo_screen.training.evaluate import LABELS

FEEDBACK_SOURCE = "real_feedback"
FEEDBACK_WEIGHT = 16.0  # that of a real-world text of data/real/ (data/README.md, "weight")
NEAR_DUPLICATE = 0.5  # share of the shorter text's word 5-grams, as in corpus.groups


@dataclass(frozen=True)
class Corrections:
    """Corrections ready to train on (one row per distinct text) and what was done to get them."""

    frame: pd.DataFrame  # text, label, ad_id, sender, model_score, kind
    facts: dict[str, Any]
    weight: float = FEEDBACK_WEIGHT  # how much each counts in training


def _true(value: Any) -> bool:
    return str(value).strip().lower() in ("true", "1", "yes")


def check_corrections(raw: pd.DataFrame, where: str) -> pd.DataFrame:
    """The corrections with `text` and `label` checked (a `DataError` names the first bad rows),
    unmasked texts masked, and the optional columns filled."""
    for column in ("text", "label"):
        if column not in raw.columns:
            raise DataError(
                f"{where}: corrections need a {column!r} column (found: {', '.join(map(str, raw.columns))})"
            )
    frame = raw.reset_index(drop=True).copy()
    problems = [
        (i + 1, problem or f"label {label!r} is not 'high_risk' or 'legit'")
        for i, (problem, label) in enumerate(
            zip(map(text_problem, frame["text"]), frame["label"], strict=True)
        )
        if problem or label not in LABELS
    ]
    if problems:
        listed = ", ".join(f"row {row} ({problem})" for row, problem in problems[:5])
        raise DataError(f"{where}: {len(problems)} corrections cannot be trained on: {listed}")
    if "masked" in frame.columns:
        unmasked = ~frame["masked"].map(_true)
        frame.loc[unmasked, "text"] = frame.loc[unmasked, "text"].map(mask_sent_ad)
    for column, default in (("ad_id", None), ("sender", ""), ("model_score", np.nan)):
        if column not in frame.columns:
            frame[column] = default
    frame["ad_id"] = frame["ad_id"].where(frame["ad_id"].notna(), pd.Series(range(len(frame))).astype(str))
    frame["model_score"] = pd.to_numeric(frame["model_score"], errors="coerce")
    frame["sender"] = frame["sender"].fillna("").astype(str)
    return frame


def verdict_kind(label: str, model_score: float, threshold: float | None) -> str:
    """`flipped`, `confirmed` or `unscored`: what a correction says about the model's verdict."""
    if threshold is None or not np.isfinite(model_score):
        return "unscored"
    said_high = model_score >= threshold
    return "confirmed" if said_high == (label == "high_risk") else "flipped"


def prepare_corrections(raw: pd.DataFrame, where: str, verdict_threshold: float | None) -> Corrections:
    """One row per distinct normalised text, labelled by majority (ties left out), with its kind."""
    frame = check_corrections(raw, where)
    frame["normalized"] = normalize_many(frame["text"].tolist())
    rows, tied = [], 0
    for _, same in frame.groupby("normalized", sort=False):
        votes = same["label"].value_counts()
        if len(votes) > 1 and votes.iloc[0] == votes.iloc[1]:
            tied += 1
            continue
        label = str(votes.index[0])
        first = same[same["label"] == label].iloc[0]
        scores = same["model_score"].dropna()
        score = float(scores.iloc[0]) if len(scores) else float("nan")
        rows.append(
            {
                "text": first["text"],
                "label": label,
                "ad_id": str(first["ad_id"]),
                "sender": ",".join(sorted(set(same["sender"]) - {""})),
                "model_score": score,
                "kind": verdict_kind(label, score, verdict_threshold),
                "normalized": first["normalized"],
            }
        )
    kept = pd.DataFrame(
        rows, columns=["text", "label", "ad_id", "sender", "model_score", "kind", "normalized"]
    )
    facts = {
        "received": len(frame),
        "distinct_texts": len(kept) + tied,
        "tied_left_out": tied,
        "verdict_threshold": verdict_threshold,
        "kinds": {
            label: {kind: int(((kept["label"] == label) & (kept["kind"] == kind)).sum()) for kind in KINDS}
            for label in LABELS
        },
        "by_sender": {
            str(k): int(v) for k, v in frame["sender"].replace("", "(none)").value_counts().items()
        },
    }
    return Corrections(kept, facts)


KINDS = ("flipped", "confirmed", "unscored")


def near_duplicate_pairs(corrections: list[str], corpus: list[str], linkable: np.ndarray) -> np.ndarray:
    """(correction, corpus row) pairs of near-duplicates among the normalised texts: the same text,
    or at least `NEAR_DUPLICATE` of the shorter text's word 5-grams shared. Corpus rows that are
    not `linkable` take part in none."""
    left, right = shingle_matrix(corrections), shingle_matrix(corpus)
    right = sparse.diags(linkable.astype(float)) @ right
    left_sizes = np.asarray(left.sum(axis=1)).ravel()
    right_sizes = np.asarray(right.sum(axis=1)).ravel()
    shared = (left @ right.T).tocoo()
    smaller = np.minimum(left_sizes[shared.row], right_sizes[shared.col])
    linked = (smaller > 0) & (shared.data >= NEAR_DUPLICATE * smaller)
    pairs = set(zip(shared.row[linked].tolist(), shared.col[linked].tolist(), strict=True))
    position = {text: i for i, text in enumerate(corrections)}
    pairs |= {(position[text], j) for j, text in enumerate(corpus) if linkable[j] and text in position}
    return np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2)


def merge_corrections(corpus: pd.DataFrame, corrections: Corrections) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The corpus with the corrections appended (source `real_feedback`, their own group keys
    `feedback:<ad id>`) and the corpus rows they overrule left out; and the card's facts."""
    fixes, weight = corrections.frame, corrections.weight
    linkable = np.ones(len(corpus), dtype=bool)
    if "snippet_of" in corpus.columns:
        linkable = (corpus["snippet_of"].fillna("").astype(str) == "").to_numpy()
    pairs = near_duplicate_pairs(
        fixes["normalized"].tolist(), normalize_many(corpus["text"].tolist()), linkable
    )
    if len(pairs):
        contradicts = corpus["label"].to_numpy()[pairs[:, 1]] != fixes["label"].to_numpy()[pairs[:, 0]]
    else:
        contradicts = np.zeros(0, dtype=bool)
    overruled = np.unique(pairs[contradicts, 1]) if len(pairs) else np.zeros(0, dtype=np.int64)
    added = pd.DataFrame(
        {
            "text": fixes["text"],
            "label": fixes["label"],
            "source": FEEDBACK_SOURCE,
            "origin": "feedback",
            "group": "feedback:" + fixes["ad_id"].astype(str),
            "weight": weight,
            "snippet_of": "",
        }
    )
    kept = corpus.drop(index=corpus.index[overruled])
    merged = pd.concat([kept, added], ignore_index=True)
    merged["group"] = merged["group"].fillna("").astype(str)
    if "weight" not in corpus.columns:  # a corpus row without a weight counts 1 (read_weights)
        merged["weight"] = merged["weight"].fillna(1.0)
    facts = {
        **corrections.facts,
        "trained_on": len(fixes),
        "weight": weight,
        "with_corpus_near_duplicates": int(len(np.unique(pairs[:, 0]))) if len(pairs) else 0,
        "corpus_rows_overruled": len(overruled),
        "rule": "a corpus text that is a near-duplicate of a correction with the other label is left out "
        "(the correction wins); corrections join their near-duplicates' groups",
    }
    return merged, facts
