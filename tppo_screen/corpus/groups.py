"""Group near-duplicate ads so that a split never puts copies on both sides.

Two ads are linked when they share at least `threshold` of the shorter ad's word 5-grams (after
normalisation), when their normalised texts are identical, or when they carry the same non-empty
`key` (e.g. the advertiser, or a counterfactual twin's group). Groups are the connected components.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer

from tppo_screen.graph import components
from tppo_screen.model.text import normalize_many


def shingle_matrix(normalized: Sequence[str]) -> sparse.csr_matrix:
    """Binary ads × hashed word-5-gram matrix of already-normalised texts."""
    return HashingVectorizer(
        analyzer="word",
        token_pattern=r"\S+",
        ngram_range=(5, 5),
        n_features=1 << 22,
        alternate_sign=False,
        norm=None,
        binary=True,
    ).transform(normalized)


def near_duplicate_groups(
    texts: Sequence[str],
    keys: Sequence[str] | None = None,
    threshold: float = 0.5,
    normalized: Sequence[str] | None = None,
    linkable: Sequence[bool] | None = None,
) -> np.ndarray:
    """An integer group id per text; equal ids must stay on the same side of a split.
    Pass `normalized` (the texts through `normalize`) when the caller already has it. Texts
    that are not `linkable` (snippets of an ad: one shared boilerplate sentence would chain
    unrelated ads together) join groups only through their key."""
    normalized = normalize_many(texts) if normalized is None else normalized
    rows, cols = shingle_links(normalized, threshold, linkable)
    whole = [text if linkable is None or linkable[i] else "" for i, text in enumerate(normalized)]
    for labels in (whole, keys):
        if labels is not None:
            label_rows, label_cols = label_links(labels)
            rows, cols = np.concatenate([rows, label_rows]), np.concatenate([cols, label_cols])
    return components(len(texts), rows, cols)


def shingle_links(
    normalized: Sequence[str], threshold: float, linkable: Sequence[bool] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i < j) of texts sharing at least `threshold` of the shorter text's word 5-grams;
    texts that are not `linkable` take part in none."""
    shingles = shingle_matrix(normalized)
    if linkable is not None:
        shingles = sparse.diags(np.asarray(linkable, dtype=float)) @ shingles
    sizes = np.asarray(shingles.sum(axis=1)).ravel()
    shared = (shingles @ shingles.T).tocoo()
    smaller = np.minimum(sizes[shared.row], sizes[shared.col])
    linked = (shared.row < shared.col) & (smaller > 0) & (shared.data >= threshold * smaller)
    return shared.row[linked], shared.col[linked]


def label_links(labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Pairs linking each text to the first text with the same non-empty label."""
    first: dict[str, int] = {}
    pairs = [(first.setdefault(label, i), i) for i, label in enumerate(labels) if label]
    linked = [(j, i) for j, i in pairs if j != i]
    return np.array([j for j, _ in linked], dtype=np.int64), np.array([i for _, i in linked], dtype=np.int64)
