"""The model: normalise → (stemmed word TF-IDF ∪ character TF-IDF) → logistic regression.

Module-level functions and small classes only, so a fitted pipeline pickles by reference and
holds no stemmer. Step names are short and stable (`features__words__ngram_range`, `clf__C`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import FunctionTransformer

from tppo_screen.stem import StemTokenizer, load_overrides
from tppo_screen.text import normalize_many

DEFAULT_SEED = 13


def build_pipeline(
    overrides: dict[str, str] | None = None, seed: int = DEFAULT_SEED, **params: Any
) -> Pipeline:
    """An unfitted pipeline. `overrides` defaults to the packaged stem-override file;
    `params` are `set_params` keys such as `clf__C=2.0`."""
    if overrides is None:
        overrides = load_overrides()
    pipeline = Pipeline(
        [
            ("normalize", FunctionTransformer(normalize_many)),
            (
                "features",
                FeatureUnion(
                    [
                        (
                            "words",
                            TfidfVectorizer(
                                tokenizer=StemTokenizer(overrides),
                                token_pattern=None,
                                lowercase=False,
                                ngram_range=(1, 2),
                                min_df=2,
                                max_df=0.9,
                                sublinear_tf=True,
                                dtype=np.float32,
                            ),
                        ),
                        (
                            "chars",
                            TfidfVectorizer(
                                analyzer="char_wb",
                                ngram_range=(3, 4),
                                lowercase=False,
                                min_df=3,
                                max_df=0.9,
                                max_features=100_000,
                                sublinear_tf=True,
                                dtype=np.float32,
                            ),
                        ),
                    ]
                ),
            ),
            (
                "clf",
                LogisticRegression(
                    C=4.0,
                    class_weight="balanced",
                    solver="liblinear",
                    max_iter=1000,
                    random_state=seed,
                ),
            ),
        ]
    )
    return pipeline.set_params(**params) if params else pipeline


def slim(pipeline: Pipeline) -> Pipeline:
    """Prepare a fitted pipeline for saving: drop TF-IDF's introspection-only `stop_words_`
    (it bloats the pickle) and `_stop_words_id` (a memory address, which would make the
    file's bytes differ between otherwise identical runs; transform recomputes it)."""
    for _, vectorizer in pipeline.named_steps["features"].transformer_list:
        vectorizer.stop_words_ = None
        vectorizer.__dict__.pop("_stop_words_id", None)
    return pipeline
