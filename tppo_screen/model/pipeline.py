"""The model: fold → (stemmed word TF-IDF ∪ character TF-IDF ∪ red-flag catalogue) → logistic
regression.

Each ad is folded once (`text.fold`: normalised words with their spans); the TF-IDF branches read
its normalised text, the catalogue branch its words, so matching red flags costs almost nothing
on top of scoring. Every red flag and legitimacy cue of the catalogue is one binary feature, so
the model learns how much each documented sign weighs, next to the words it learns itself; the
classifier holds every red flag's weight ≥ 0 and every cue's ≤ 0 (`constrained`), and the word
block keeps no n-gram made only of function words or numbers ("boleh", "tidak", "18"), which
would otherwise lead the explanations while saying nothing a reader could check.
Module-level functions and small classes only, so a fitted pipeline pickles by reference and
holds no stemmer; the catalogue pickles as its TOML text. Step names are short and stable
(`features__words__ngram_range`, `clf__C`).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer

from tppo_screen.model.catalogue import Catalogue, Match, counted, default_catalogue
from tppo_screen.model.constrained import SignedLogisticRegression
from tppo_screen.model.stem import KnownStems, StemTokenizer, known_stems, load_overrides
from tppo_screen.model.text import Folded, fold_many, normalized_text


def flag_columns(matches: list[Match], catalogue: Catalogue) -> list[int]:
    """The catalogue columns set to 1 for an ad with these `matches`: those of the matches that
    count (`catalogue.counted`, which applies the cue rule `catalogue.cues_count`)."""
    return [catalogue.column(m.id) for m in counted(matches)]


class CatalogueFeatures(TransformerMixin, BaseEstimator):
    """One binary column per catalogue entry: 1 when the red flag or cue is in the ad and counts
    (`flag_columns`)."""

    def __init__(self, catalogue: Catalogue | None = None) -> None:
        self.catalogue = catalogue

    def fit(self, folded: list[Folded], y: Any = None) -> CatalogueFeatures:
        return self

    def __sklearn_is_fitted__(self) -> bool:
        return True  # stateless: the catalogue is given, nothing is learned

    def transform(self, folded: list[Folded]) -> sparse.csr_matrix:
        assert self.catalogue is not None, "CatalogueFeatures needs a catalogue"
        rows, cols = [], []
        for row, ad in enumerate(folded):
            for col in flag_columns(self.catalogue.match_folded(ad), self.catalogue):
                rows.append(row)
                cols.append(col)
        data = np.ones(len(rows), dtype=np.float32)
        return sparse.csr_matrix((data, (rows, cols)), shape=(len(folded), len(self.catalogue.ids)))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        assert self.catalogue is not None, "CatalogueFeatures needs a catalogue"
        return np.asarray([f"flag:{entry_id}" for entry_id in self.catalogue.ids], dtype=object)


@cache
def function_words() -> frozenset[str]:
    """Indonesian function words (PySastrawi's stop-word list, 809 words) plus the forms they take
    after folding (gk → tidak)."""
    from Sastrawi.StopWordRemover.StopWordRemoverFactory import StopWordRemoverFactory

    return frozenset(StopWordRemoverFactory().get_stop_words())


def says_something(term: str) -> bool:
    """Whether a word n-gram carries content: not made only of function words and numbers."""
    words = function_words()
    return not all(token in words or token.isdigit() for token in term.split())


class WordTfidf(TfidfVectorizer):
    """`TfidfVectorizer` whose fitted vocabulary drops the n-grams that say nothing
    (`says_something`); their idf goes with them. Scoring is plain TF-IDF over what is kept."""

    vocabulary_: dict[str, int]  # fitted (annotations only: for the type checker)
    idf_: np.ndarray
    stems_: dict[str, str]  # the stems of the training words that need PySastrawi

    def build_tokenizer(self) -> Any:
        """Fitted, with a `StemTokenizer`: the model's `KnownStems` (PySastrawi for at most
        `STEM_BUDGET` unseen words an ad); while fitting, or for a model saved before it kept
        its stems, the tokenizer itself."""
        stems = getattr(self, "stems_", None)
        if stems is not None and isinstance(self.tokenizer, StemTokenizer):
            return KnownStems(self.tokenizer.overrides, stems)
        return super().build_tokenizer()

    def fit(self, raw_documents: Any, y: Any = None) -> WordTfidf:
        raw_documents = list(raw_documents)
        self.__dict__.pop("stems_", None)  # a refit stems every training word afresh
        super().fit(raw_documents)
        if isinstance(self.tokenizer, StemTokenizer):
            preprocess = self.build_preprocessor()
            self.stems_ = known_stems(map(preprocess, raw_documents), self.tokenizer.overrides)
        old = self.vocabulary_
        kept = sorted(term for term in old if says_something(term))
        idf = self.idf_[[old[term] for term in kept]]
        self.vocabulary_ = {term: i for i, term in enumerate(kept)}
        self.idf_ = idf  # the public setter checks it against the new vocabulary
        self._tfidf.n_features_in_ = len(kept)  # private; pinned scikit-learn, tests/test_compiled.py
        return self

    def fit_transform(self, raw_documents: Any, y: Any = None) -> sparse.csr_matrix:
        return self.fit(raw_documents).transform(raw_documents)


def word_block(overrides: dict[str, str]) -> WordTfidf:
    """The stemmed word uni- and bigrams of the folded text (content n-grams only)."""
    return WordTfidf(
        preprocessor=normalized_text,
        tokenizer=StemTokenizer(overrides),
        token_pattern=None,
        lowercase=False,
        ngram_range=(1, 2),
        min_df=2,
        max_df=0.9,
        sublinear_tf=True,
        dtype=np.float32,
    )


def char_block() -> TfidfVectorizer:
    """Character 3- and 4-grams within the folded words (spellings the stemmer does not know)."""
    return TfidfVectorizer(
        analyzer="char_wb",
        preprocessor=normalized_text,
        ngram_range=(3, 4),
        lowercase=False,
        min_df=3,
        max_df=0.9,
        max_features=100_000,
        sublinear_tf=True,
        dtype=np.float32,
    )


def build_pipeline(
    overrides: dict[str, str] | None = None,
    catalogue: Catalogue | None = None,
    **params: Any,
) -> Pipeline:
    """An unfitted pipeline. `overrides` defaults to the packaged stem-override file and
    `catalogue` to the shipped red-flag catalogue; `params` are `set_params` keys such as
    `clf__C=2.0`."""
    if overrides is None:
        overrides = load_overrides()
    if catalogue is None:
        catalogue = default_catalogue()
    features = FeatureUnion(
        [("words", word_block(overrides)), ("chars", char_block()), ("flags", CatalogueFeatures(catalogue))]
    )
    signs = tuple(1 if entry.kind == "red" else -1 for entry in catalogue.entries)
    pipeline = Pipeline(
        [
            ("fold", FunctionTransformer(fold_many)),
            ("features", features),
            ("clf", SignedLogisticRegression(signs=signs, C=4.0, class_weight="balanced")),
        ]
    )
    return pipeline.set_params(**params) if params else pipeline


def slim(pipeline: Pipeline) -> Pipeline:
    """Prepare a fitted pipeline for saving: drop TF-IDF's introspection-only `stop_words_`
    (it bloats the pickle) and `_stop_words_id` (a memory address, which would make the
    file's bytes differ between otherwise identical runs; transform recomputes it)."""
    for name, vectorizer in pipeline.named_steps["features"].transformer_list:
        if name == "flags":
            continue
        vectorizer.stop_words_ = None
        vectorizer.__dict__.pop("_stop_words_id", None)
    return pipeline


def catalogue_of(pipeline: Pipeline) -> Catalogue:
    """The red-flag catalogue of a pipeline built by `build_pipeline` (its `flags` block)."""
    catalogue = dict(pipeline.named_steps["features"].transformer_list)["flags"].catalogue
    assert isinstance(catalogue, Catalogue), "the pipeline's flags block has no catalogue"
    return catalogue


def flag_weights(pipeline: Pipeline) -> dict[str, float]:
    """Each catalogue entry's coefficient in a fitted pipeline: > 0 pushes towards risk, < 0
    towards legitimate (the catalogue block is the last of the feature union)."""
    coef = pipeline.named_steps["clf"].coef_[0]
    ids = catalogue_of(pipeline).ids
    return {entry_id: float(w) for entry_id, w in zip(ids, coef[-len(ids) :], strict=True)}
