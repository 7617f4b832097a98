"""A fitted pipeline's scoring arithmetic without scikit-learn's per-call overhead.

For one ad, `pipeline.predict_proba` spends three quarters of its time in checks and
dispatch (parameter validation, `FeatureUnion`'s joblib loop, output wrappers), not in the
features. `Compiled.of(pipeline)` reads the fitted parts — each TF-IDF's analyzer, vocabulary
and idf, the catalogue, the coefficients — and applies the same operations in the same float
types, so its probabilities equal the pipeline's (tested on the whole test split). Character
n-grams are looked up once per distinct word (a bounded cache): ads reuse most words.

Training, cross-validation and anything that changes the pipeline use scikit-learn; only the
scoring of a fitted model (`tppo_screen.scoring`) goes through here. A pipeline whose parts
this module does not know is refused with `ModelError`, never approximated.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import sparse
from scipy.special import expit
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline

from tppo_screen.errors import ModelError
from tppo_screen.pipeline import CatalogueFeatures, flag_columns
from tppo_screen.redflags import Match
from tppo_screen.text import Folded

WORD_CACHE = 1 << 17  # distinct words whose character n-gram ids are kept (~20 MB at most)


@dataclass(frozen=True)
class _Tfidf:
    """One fitted `TfidfVectorizer`: tokens of a folded ad → feature ids → tf-idf values."""

    tokens: Callable[[Folded], Sequence[int]]
    idf: np.ndarray
    sublinear: bool
    dtype: Any

    @classmethod
    def of(cls, vectorizer: TfidfVectorizer) -> _Tfidf:
        if vectorizer.norm != "l2" or vectorizer.binary or not vectorizer.use_idf:
            raise ModelError("compiled scoring supports TF-IDF with norm='l2', binary=False, use_idf=True")
        get = vectorizer.vocabulary_.get
        if vectorizer.analyzer == "char_wb":
            grams = vectorizer._char_wb_ngrams  # the analyzer's n-grams of a single word

            @lru_cache(maxsize=WORD_CACHE)
            def word_ids(word: str) -> array[int]:  # compact: 4 bytes per id
                return array("i", (j for j in map(get, grams(word)) if j is not None))

            preprocess = vectorizer.build_preprocessor()

            def tokens(folded: Folded) -> array[int]:
                ids = array("i")
                for word in preprocess(folded).split():
                    ids.extend(word_ids(word))
                return ids

        elif vectorizer.analyzer == "word":
            analyze = vectorizer.build_analyzer()

            def tokens(folded: Folded) -> list[int]:
                return [j for j in map(get, analyze(folded)) if j is not None]

        else:
            raise ModelError(f"compiled scoring does not support analyzer={vectorizer.analyzer!r}")
        return cls(tokens, vectorizer.idf_, vectorizer.sublinear_tf, vectorizer.dtype)

    def entries(self, folded: Sequence[Folded]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, feature id, value) of every non-zero tf-idf value of the ads, sorted by row and
        id; the vectorizer's order of operations: counts → 1 + log → × idf → ÷ row l2 norm."""
        tokens = [self.tokens(ad) for ad in folded]
        n_features = len(self.idf)
        rows = np.repeat(np.arange(len(tokens), dtype=np.int64), [len(t) for t in tokens])
        ids = np.concatenate([np.asarray(t, dtype=np.int64) for t in tokens]) if tokens else rows
        keys, counts = np.unique(rows * n_features + ids, return_counts=True)
        rows, ids = np.divmod(keys, n_features)
        values = counts.astype(self.dtype)
        if self.sublinear:
            np.log(values, out=values)
            values += 1
        values *= self.idf[ids]
        squares = np.zeros(len(tokens))  # float64 sum of float32 squares, as scikit-learn
        np.add.at(squares, rows, values * values)
        values /= np.sqrt(squares)[rows]
        return rows, ids, values


@dataclass(frozen=True)
class Compiled:
    """`fold(texts)`, `features(folded, matches)` and `probabilities(features)` of a fitted
    pipeline."""

    fold: Callable[[Sequence[str]], list[Folded]]
    blocks: tuple[_Tfidf, ...]
    flags: CatalogueFeatures
    coef: np.ndarray
    intercept: float

    @classmethod
    def of(cls, pipeline: Pipeline) -> Compiled:
        """Compile a fitted fold → (TF-IDF…, catalogue) → logistic-regression pipeline."""
        fold = pipeline.named_steps["fold"]
        if fold.kw_args or fold.validate:
            raise ModelError("compiled scoring expects a plain folding step")
        union = pipeline.named_steps["features"]
        parts = [part for name, part in union.transformer_list if part != "drop"]
        if union.transformer_weights or not isinstance(parts[-1], CatalogueFeatures):
            raise ModelError("compiled scoring expects TF-IDF blocks followed by the catalogue block")
        clf = pipeline.named_steps["clf"]
        blocks = tuple(_Tfidf.of(part) for part in parts[:-1])
        return cls(fold.func, blocks, parts[-1], clf.coef_[0], float(clf.intercept_[0]))

    def features(self, folded: Sequence[Folded], matches: Sequence[list[Match]]) -> sparse.csr_matrix:
        """The feature rows of folded ads whose catalogue `matches` are already known: each
        block's columns side by side, as `FeatureUnion` stacks them."""
        catalogue = self.flags.catalogue
        assert catalogue is not None
        flag_cells = [(n, col) for n, found in enumerate(matches) for col in flag_columns(found, catalogue)]
        flag_rows, flag_cols = np.asarray(flag_cells, dtype=np.int64).reshape(-1, 2).T
        parts = [*(block.entries(folded) for block in self.blocks)]
        parts.append((flag_rows, flag_cols, np.ones(len(flag_rows), dtype=np.float32)))
        offsets = np.cumsum([0, *(len(block.idf) for block in self.blocks)])
        rows = np.concatenate([part[0] for part in parts])
        cols = np.concatenate([part[1] + offset for part, offset in zip(parts, offsets, strict=True)])
        values = np.concatenate([part[2] for part in parts])
        order = np.argsort(rows, kind="stable")  # row by row, blocks in union order
        indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=len(folded)))])
        shape = (len(folded), offsets[-1] + len(catalogue.ids))
        return sparse.csr_matrix((values[order], cols[order], indptr), shape=shape)

    def probabilities(self, features: sparse.csr_matrix) -> np.ndarray:
        """P(high_risk) of each feature row, as `LogisticRegression.predict_proba(...)[:, 1]`."""
        return expit(features @ self.coef + self.intercept)
