"""How varied a set of ads is: distinct-n-gram ratios and near-duplicate rates per label.

Hand-written corpora drift into templates; a model then memorises the template. These figures
go in the data card so that drift shows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from tppo_screen.config import SEED
from tppo_screen.corpus.groups import shingle_matrix
from tppo_screen.model.text import normalize_many

SAMPLE = 500


def distinct_ngram_ratio(texts: list[str], n: int) -> float:
    """Distinct word n-grams / all word n-grams over the texts (higher = more varied)."""
    total, distinct = 0, set()
    for text in texts:
        words = text.split()
        grams = list(zip(*(words[i:] for i in range(n)), strict=False))
        total += len(grams)
        distinct.update(grams)
    return len(distinct) / total if total else 0.0


def max_shared_5grams(texts: list[str], families: list[str]) -> tuple[np.ndarray, float]:
    """Per text, the largest share of its word 5-grams found in one other text (ignoring texts
    of the same family, i.e. counterfactual twins and their original), and the overall maximum."""
    shingles = shingle_matrix(texts)
    sizes = np.asarray(shingles.sum(axis=1)).ravel()
    shared = (shingles @ shingles.T).tocoo()
    family = np.asarray(families)
    keep = (shared.row != shared.col) & (family[shared.row] != family[shared.col])
    row, col, data = shared.row[keep], shared.col[keep], shared.data[keep]
    share = data / np.maximum(np.minimum(sizes[row], sizes[col]), 1)
    best = np.zeros(len(texts))
    np.maximum.at(best, row, share)
    return best, float(best.max()) if len(best) else 0.0


def diversity_report(
    corpus: pd.DataFrame, seed: int = SEED, normalized: list[str] | None = None
) -> dict[str, Any]:
    """Per label: distinct-1/2/3-gram ratios on an equal-size sample (ratios fall with corpus
    size, so classes are compared on the same number of ads), the near-duplicate rate (share of
    ads with ≥ 50% of their 5-grams in another ad) and, for the hand-written ads, the largest
    5-gram overlap between two ads outside one twin family. `normalized`: the texts through
    `normalize`, when the caller already has them."""
    if normalized is None:
        normalized = normalize_many(corpus["text"].tolist())
    family = [t or i for i, t in zip(corpus["id"], corpus.get("twin_of", corpus["id"]), strict=True)]
    best, _ = max_shared_5grams(normalized, family)
    report: dict[str, Any] = {}
    by_label = corpus.groupby("label").indices
    size = min(SAMPLE, *(len(idx) for idx in by_label.values()))
    for label, idx in by_label.items():
        rng = np.random.default_rng(seed)
        sample = rng.choice(idx, size=size, replace=False)
        texts = [normalized[i] for i in sample]
        report[str(label)] = {
            "ads": int(len(idx)),
            f"distinct_ngram_ratio_on_{len(sample)}_ads": {
                f"{n}-gram": round(distinct_ngram_ratio(texts, n), 4) for n in (1, 2, 3)
            },
            "near_duplicate_rate": round(float(np.mean(best[idx] >= 0.5)), 4),
        }
    written = corpus["source"].str.startswith(("authored", "twin")).to_numpy()
    written_texts = [normalized[i] for i in np.flatnonzero(written)]
    written_family = [family[i] for i in np.flatnonzero(written)]
    _, worst = max_shared_5grams(written_texts, written_family)
    report["hand_written_max_shared_5grams"] = round(worst, 4)
    return report
