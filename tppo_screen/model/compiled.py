"""A fitted pipeline's scoring arithmetic without scikit-learn's per-call overhead.

For one ad, `pipeline.predict_proba` spends three quarters of its time in checks and
dispatch (parameter validation, `FeatureUnion`'s joblib loop, output wrappers), not in the
features. `Compiled.of(pipeline)` reads the fitted parts — each TF-IDF's analyzer, vocabulary
and idf, the catalogue, the coefficients — and applies the same operations in the same float
types, so its probabilities equal the pipeline's (tested on the whole test split). Character
n-grams are looked up once per distinct word (a cache bounded in bytes: `WORD_IDS_BYTES` and
`WORD_STEMS_BYTES`, 24 + 8 MiB per loaded model and process): ads reuse most words.

Training, cross-validation and anything that changes the pipeline use scikit-learn; only the
scoring of a fitted model (`tppo_screen.model.scoring`) goes through here. A pipeline whose parts
this module does not know is refused with `ModelError`, never approximated.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from scipy import sparse
from scipy.special import expit
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import Pipeline

from tppo_screen.errors import ModelError
from tppo_screen.model.catalogue import Match
from tppo_screen.model.memo import word_cache
from tppo_screen.model.pipeline import CatalogueFeatures, flag_columns
from tppo_screen.model.stem import TOKEN, KnownStems, StemTokenizer
from tppo_screen.model.text import Folded, normalized_text

WORD_IDS_BYTES = 24 << 20  # the character n-gram ids of recent words, per model
WORD_STEMS_BYTES = 8 << 20  # the stems of recent words, per model


def _stems_words_alone(vectorizer: TfidfVectorizer) -> bool:
    """Whether the word analyzer is the pipeline's own: the folded words joined by spaces, cut
    by `StemTokenizer` (which never matches across a space), no stop words, no lower-casing."""
    return (
        vectorizer.preprocessor is normalized_text
        and isinstance(vectorizer.tokenizer, StemTokenizer)
        and vectorizer.stop_words is None
        and not vectorizer.lowercase
    )


Tokens = Callable[[Folded], "Sequence[int] | np.ndarray"]  # a folded ad → its feature ids, repeated


def _char_tokens(vectorizer: TfidfVectorizer) -> Tokens:
    """The ids of a `char_wb` vectorizer's n-grams, looked up once per distinct word."""
    get = vectorizer.vocabulary_.get
    # the analyzer's n-grams of a single word (private: tests/test_compiled.py checks it)
    grams = vectorizer._char_wb_ngrams

    @word_cache(WORD_IDS_BYTES)
    def word_ids(word: str) -> array[int]:  # compact: 4 bytes per id
        return array("i", (j for j in map(get, grams(word)) if j is not None))

    preprocess = vectorizer.build_preprocessor()

    def tokens(folded: Folded) -> np.ndarray:
        # each word's ids are a C int array: their bytes join without a Python loop
        return np.frombuffer(b"".join(map(word_ids.__getitem__, preprocess(folded).split())), dtype=np.intc)

    return tokens


def _stem_tokens(vectorizer: TfidfVectorizer) -> Tokens:
    """The ids of the pipeline's own word analyzer's n-grams (`_stems_words_alone`), each word
    stemmed once; a word the model has not seen that needs PySastrawi is stemmed per ad, within
    the ad's budget (`stem.KnownStems`), exactly as the analyzer does."""
    get = vectorizer.vocabulary_.get
    stemmer = vectorizer.build_tokenizer()
    budgeted = isinstance(stemmer, KnownStems)
    low, high = vectorizer.ngram_range

    @word_cache(WORD_STEMS_BYTES)
    def word_stems(word: str) -> tuple[str, ...] | None:
        """The word's stems, or None when one takes a PySastrawi call that counts against the
        ad's budget."""
        if not budgeted:
            return tuple(stemmer(word))
        stems = [stemmer.free(token) for token in TOKEN.findall(word)]
        return tuple(stem for stem in stems if stem is not None) if None not in stems else None

    def stems_of(folded: Folded) -> list[str]:
        spent: set[str] = set()  # the ad's words stemmed by PySastrawi so far
        stems: list[str] = []
        for word in folded.words:
            known = word_stems[word]
            stems += stemmer.stems(TOKEN.findall(word), spent) if known is None else known
        return stems

    def tokens(folded: Folded) -> list[int]:
        # the analyzer's n-grams: stemming never joins two words, so the stems of the
        # joined text are the stems of each word in turn
        stems = stems_of(folded)
        ids = [j for j in map(get, stems) if j is not None] if low == 1 else []
        for n in range(max(low, 2), high + 1):
            grams = map(" ".join, zip(*(stems[k:] for k in range(n)), strict=False))  # shifted copies
            ids += [j for j in map(get, grams) if j is not None]
        return ids

    return tokens


def _analyzer_tokens(vectorizer: TfidfVectorizer) -> Tokens:
    """The ids of any other word analyzer's tokens, through the analyzer itself."""
    get = vectorizer.vocabulary_.get
    analyze = vectorizer.build_analyzer()

    def tokens(folded: Folded) -> list[int]:
        return [j for j in map(get, analyze(folded)) if j is not None]

    return tokens


@dataclass(frozen=True)
class _Tfidf:
    """One fitted `TfidfVectorizer`: tokens of a folded ad → feature ids → tf-idf values."""

    tokens: Tokens
    idf: np.ndarray
    sublinear: bool
    dtype: Any

    @classmethod
    def of(cls, vectorizer: TfidfVectorizer) -> _Tfidf:
        if vectorizer.norm != "l2" or vectorizer.binary or not vectorizer.use_idf:
            raise ModelError("compiled scoring supports TF-IDF with norm='l2', binary=False, use_idf=True")
        if vectorizer.analyzer == "char_wb":
            tokens = _char_tokens(vectorizer)
        elif vectorizer.analyzer == "word" and _stems_words_alone(vectorizer):
            tokens = _stem_tokens(vectorizer)
        elif vectorizer.analyzer == "word":
            tokens = _analyzer_tokens(vectorizer)
        else:
            raise ModelError(f"compiled scoring does not support analyzer={vectorizer.analyzer!r}")
        return cls(tokens, vectorizer.idf_, vectorizer.sublinear_tf, vectorizer.dtype)


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
        if len({(block.dtype, block.idf.dtype) for block in blocks}) > 1:
            raise ModelError("compiled scoring expects every TF-IDF block in the same float type")
        return cls(fold.func, blocks, parts[-1], clf.coef_[0], float(clf.intercept_[0]))

    @cached_property
    def _columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Per column of the union (TF-IDF blocks, then the catalogue's): its idf, its block,
        whether its tf is sublinear; and each block's first column. The catalogue's columns
        are a block of their own with idf 1, so its 1s pass the TF-IDF arithmetic unchanged
        (log 1 + 1 = 1, × 1) and only its l2 norm has to be skipped."""
        catalogue = self.flags.catalogue
        assert catalogue is not None
        sizes = [len(block.idf) for block in self.blocks]
        offsets = np.cumsum([0, *sizes])
        idf = np.concatenate([*(block.idf for block in self.blocks), np.ones(len(catalogue.ids))])
        block_of = np.repeat(np.arange(len(sizes) + 1), [*sizes, len(catalogue.ids)])
        all_sublinear = all(block.sublinear for block in self.blocks)
        sublinear = np.repeat(
            [*(block.sublinear for block in self.blocks), all_sublinear], [*sizes, len(catalogue.ids)]
        )
        return idf.astype(self.blocks[0].idf.dtype), block_of, sublinear, offsets

    def features(self, folded: Sequence[Folded], matches: Sequence[list[Match]]) -> sparse.csr_matrix:
        """The feature rows of folded ads whose catalogue `matches` are already known: each
        block's columns side by side, as `FeatureUnion` stacks them. Each TF-IDF block follows
        its vectorizer's order of operations — counts → 1 + log → × idf → ÷ the l2 norm of the
        block's part of the row (a float64 sum of float32 squares, in column order, as
        scikit-learn) — for all blocks and ads at once."""
        catalogue = self.flags.catalogue
        assert catalogue is not None
        idf, block_of, sublinear, offsets = self._columns
        width, n_blocks = len(idf), len(self.blocks) + 1  # the catalogue's block is the last
        ids, per_ad = [], []
        for ad, found in zip(folded, matches, strict=True):
            total = 0
            for block, offset in zip(self.blocks, offsets, strict=False):
                tokens = np.asarray(block.tokens(ad), dtype=np.int64)
                ids.append(tokens + offset)
                total += len(tokens)
            flags = flag_columns(found, catalogue)
            ids.append(np.asarray(flags, dtype=np.int64) + offsets[-1])
            per_ad.append(total + len(flags))
        # count each (ad, column): scipy sorts each row's columns and sums repeats (in C++, and
        # row by row: twice as fast as sorting all (row, column) keys at once)
        counts = sparse.csr_matrix(
            (
                np.ones(sum(per_ad), dtype=np.int32),
                np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64),
                np.concatenate([[0], np.cumsum(per_ad)]),
            ),
            shape=(len(folded), width),
        )
        counts.sum_duplicates()
        cols = counts.indices.astype(np.int64)
        rows = np.repeat(np.arange(len(folded), dtype=np.int64), np.diff(counts.indptr))
        values = counts.data.astype(self.blocks[0].dtype)
        if sublinear.all():
            np.log(values, out=values)
            values += 1
        elif sublinear.any():
            logged = sublinear[cols]
            values[logged] = np.log(values[logged]) + 1
        values *= idf[cols]
        segments = rows * n_blocks + block_of[cols]  # one l2 norm per ad and block
        squares = np.bincount(segments, weights=values * values, minlength=len(folded) * n_blocks)
        norms = np.sqrt(squares).reshape(len(folded), n_blocks)
        norms[:, -1] = 1  # the catalogue's 1s are not normalised
        values /= norms.ravel()[segments]
        return sparse.csr_matrix((values, cols, counts.indptr), shape=(len(folded), width))

    def probabilities(self, features: sparse.csr_matrix) -> np.ndarray:
        """P(high_risk) of each feature row, as `LogisticRegression.predict_proba(...)[:, 1]`."""
        return expit(features @ self.coef + self.intercept)
