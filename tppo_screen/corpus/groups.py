"""Group near-duplicate ads so that a split never puts copies on both sides.

Two ads are linked when they share at least `threshold` of the shorter ad's word 5-grams (after
normalisation), when their normalised texts are identical, or when they carry the same non-empty
`key` (e.g. the advertiser, or a counterfactual twin's group). Groups are the connected components.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import HashingVectorizer

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
    n = len(texts)
    normalized = normalize_many(texts) if normalized is None else normalized
    shingles = shingle_matrix(normalized)
    if linkable is not None:
        shingles = sparse.diags(np.asarray(linkable, dtype=float)) @ shingles
    sizes = np.asarray(shingles.sum(axis=1)).ravel()
    shared = (shingles @ shingles.T).tocoo()
    smaller = np.minimum(sizes[shared.row], sizes[shared.col])
    linked = (shared.row < shared.col) & (smaller > 0) & (shared.data >= threshold * smaller)
    rows, cols = [shared.row[linked]], [shared.col[linked]]
    whole = [text if linkable is None or linkable[i] else "" for i, text in enumerate(normalized)]
    for labels in (whole, keys):
        if labels is None:
            continue
        first: dict[str, int] = {}
        for i, label in enumerate(labels):
            if not label:
                continue
            j = first.setdefault(label, i)
            if j != i:
                rows.append(np.array([j]))
                cols.append(np.array([i]))
    row, col = np.concatenate(rows), np.concatenate(cols)
    graph = sparse.coo_matrix((np.ones(len(row)), (row, col)), shape=(n, n))
    return connected_components(graph, directed=False)[1]
