"""Connected components: the one helper that joins linked items into groups.

Used by the corpus (near-duplicate groups that must not straddle a split) and by batch scoring
(campaigns of ads). Items are numbered 0..n-1; links are pairs of item numbers.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components


def components(n: int, rows: Iterable[int] | np.ndarray, cols: Iterable[int] | np.ndarray) -> np.ndarray:
    """A component label per item (0..n-1), numbered in order of each component's first item;
    `rows[k]`–`cols[k]` is one undirected link."""
    row = np.fromiter(rows, dtype=np.int64) if not isinstance(rows, np.ndarray) else rows
    col = np.fromiter(cols, dtype=np.int64) if not isinstance(cols, np.ndarray) else cols
    graph = sparse.coo_matrix((np.ones(len(row), dtype=np.int8), (row, col)), shape=(n, n))
    return connected_components(graph, directed=False)[1]
