import pickle

import numpy as np
import pandas as pd

from tests.conftest import TINY
from tppo_screen.model.pipeline import build_pipeline, slim


def test_pipeline_fits_and_ranks_tiny_data() -> None:
    data = pd.read_csv(TINY)
    y = (data["label"] == "high_risk").to_numpy(dtype=int)
    pipeline = build_pipeline().fit(data["text"].tolist(), y)
    scores = pipeline.predict_proba(data["text"].tolist())[:, 1]
    assert scores[y == 1].min() > scores[y == 0].max()  # the training ads themselves: fully ranked


def test_step_names_are_stable_for_set_params() -> None:
    pipeline = build_pipeline(clf__C=0.5, features__words__min_df=1)
    assert list(pipeline.named_steps) == ["fold", "features", "clf"]
    assert pipeline.get_params()["clf__C"] == 0.5
    assert pipeline.get_params()["features__words__min_df"] == 1


def test_fitted_pipeline_pickles_by_reference_without_stemmer() -> None:
    data = pd.read_csv(TINY)
    y = (data["label"] == "high_risk").to_numpy(dtype=int)
    pipeline = slim(build_pipeline().fit(data["text"].tolist(), y))
    blob = pickle.dumps(pipeline)
    assert b"Sastrawi" not in blob
    restored = pickle.loads(blob)
    assert np.allclose(
        restored.predict_proba(data["text"].tolist()), pipeline.predict_proba(data["text"].tolist())
    )


def test_signed_regression_holds_each_signed_weight_to_its_sign() -> None:
    from tppo_screen.model.constrained import SignedLogisticRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5))
    y = (X[:, 0] - X[:, 3] + X[:, 4] + rng.normal(scale=0.5, size=400) > 0).astype(int)
    free = SignedLogisticRegression(C=10.0).fit(X, y).coef_[0]
    assert free[3] < 0 and free[4] > 0  # what the data says, unconstrained
    held = SignedLogisticRegression(signs=(1, -1), C=10.0).fit(X, y).coef_[0]
    assert held[3] == 0.0 and held[4] == 0.0  # column 3 held ≥ 0, column 4 held ≤ 0
    assert held[0] > 0


def test_signed_regression_matches_scikit_learn_without_signs() -> None:
    from sklearn.linear_model import LogisticRegression

    from tppo_screen.model.constrained import SignedLogisticRegression

    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 4))
    y = (X @ [1.0, -2.0, 0.5, 0.0] + rng.normal(size=300) > 0).astype(int)
    weights = rng.uniform(0.5, 2.0, size=300)
    ours = SignedLogisticRegression(C=2.0, class_weight="balanced").fit(X, y, sample_weight=weights)
    theirs = LogisticRegression(C=2.0, class_weight="balanced", tol=1e-10, max_iter=10_000).fit(
        X, y, sample_weight=weights
    )
    assert np.allclose(ours.coef_, theirs.coef_, atol=1e-4)
    assert np.allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-5)


def test_word_features_keep_no_ngram_of_function_words_or_numbers_alone() -> None:
    from tppo_screen.model.pipeline import says_something

    data = pd.read_csv(TINY)
    y = (data["label"] == "high_risk").to_numpy(dtype=int)
    vocabulary = (
        build_pipeline()
        .fit(data["text"].tolist(), y)
        .named_steps["features"]
        .transformer_list[0][1]
        .vocabulary_
    )
    assert vocabulary and all(says_something(term) for term in vocabulary)
    assert not says_something("tidak") and not says_something("boleh 18") and says_something("tanpa biaya")
