import pickle

import numpy as np
import pandas as pd

from tests.conftest import TINY
from tppo_screen.pipeline import build_pipeline, slim


def test_pipeline_fits_and_ranks_tiny_data() -> None:
    data = pd.read_csv(TINY)
    y = (data["label"] == "high_risk").to_numpy(dtype=int)
    pipeline = build_pipeline(seed=1).fit(data["text"].tolist(), y)
    scores = pipeline.predict_proba(data["text"].tolist())[:, 1]
    assert np.all((scores >= 0) & (scores <= 1))
    assert scores[y == 1].mean() > scores[y == 0].mean()


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


def test_same_data_and_seed_give_the_same_coefficients() -> None:
    data = pd.read_csv(TINY)
    y = (data["label"] == "high_risk").to_numpy(dtype=int)
    a = build_pipeline(seed=7).fit(data["text"].tolist(), y).named_steps["clf"].coef_
    b = build_pipeline(seed=7).fit(data["text"].tolist(), y).named_steps["clf"].coef_
    assert np.array_equal(a, b)
