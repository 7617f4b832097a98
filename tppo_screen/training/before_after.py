"""What a round of corrections buys, measured before shipping it: before and after on the
corrections themselves, by grouped cross-validation.

`before` is the model in use, scoring every correction. `after` is, for each fold of the
corrections (near-duplicate groups, `corpus.groups`, never split), a model trained as
`tppo-screen train --with-feedback` would train it on the corpus plus the corrections of the
other folds, scoring the fold it never saw. Both are read at the thresholds of the model in use
(re-choosing them would need a full cross-validation per fold); ROC-AUC needs no threshold.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold, StratifiedGroupKFold

from tppo_screen.config import SEED
from tppo_screen.errors import DataError
from tppo_screen.model.artifacts import Model, Thresholds
from tppo_screen.model.pipeline import build_pipeline
from tppo_screen.model.scoring import predict_scores
from tppo_screen.model.stem import DEFAULT_OVERRIDES, load_overrides
from tppo_screen.training.feedback import FEEDBACK_SOURCE, Corrections, merge_corrections
from tppo_screen.training.train import check_training_frame, fit_pipeline, read_weights, split_groups


def correction_folds(
    corpus: pd.DataFrame, corrections: Corrections, folds: int, seed: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(train, test) positions into `corrections.frame`, whole near-duplicate groups (with the
    corpus's texts, as training groups them) on one side; stratified when each label has enough
    groups."""
    merged, _ = merge_corrections(corpus, corrections)
    groups = split_groups(merged)[(merged["source"] == FEEDBACK_SOURCE).to_numpy()]
    y = (corrections.frame["label"] == "high_risk").to_numpy(dtype=int)
    distinct = len(set(groups))
    if distinct < 2:
        raise DataError(
            f"the corrections fall in {distinct} near-duplicate group; cross-validation needs at least 2"
        )
    per_label = [len(set(groups[y == label])) for label in (0, 1)]
    if min(per_label) >= folds:
        splitter: Any = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    else:  # one label (e.g. only false alarms overturned) or few groups: plain grouped folds
        splitter = GroupKFold(n_splits=min(folds, distinct))
    yield from splitter.split(np.zeros(len(y)), y, groups)


def side_metrics(y: np.ndarray, scores: np.ndarray, thresholds: Thresholds) -> dict[str, Any]:
    """Recall at `high` and `medium` (high-risk corrections), false alarms at `high` (legitimate
    corrections scored high), ROC-AUC when both labels are there; None where undefined."""
    positives, negatives = scores[y == 1], scores[y == 0]

    def share(values: np.ndarray, cut: float) -> float | None:
        return round(float(np.mean(values >= cut)), 4) if len(values) else None

    return {
        "recall_at_high": share(positives, thresholds.high),
        "recall_at_medium": share(positives, thresholds.medium),
        "false_alarms_at_high": share(negatives, thresholds.high),
        "roc_auc": round(float(roc_auc_score(y, scores)), 4) if len(positives) and len(negatives) else None,
    }


def before_after(
    model: Model,
    corpus: pd.DataFrame,
    corrections: Corrections,
    *,
    folds: int = 5,
    seed: int = SEED,
) -> dict[str, Any]:
    """Before (the model) and after (trained with the other folds' corrections) on each
    correction it did not train on; see the module docstring."""
    fixes = corrections.frame
    texts = fixes["text"].tolist()
    y = (fixes["label"] == "high_risk").to_numpy(dtype=int)
    before = predict_scores(model.pipeline, texts)
    after = np.empty(len(texts))
    overrides = load_overrides(DEFAULT_OVERRIDES)
    used = 0
    for train_idx, test_idx in correction_folds(corpus, corrections, folds, seed):
        subset = Corrections(
            fixes.iloc[train_idx].reset_index(drop=True), corrections.facts, corrections.weight
        )
        frame, _ = merge_corrections(corpus, subset) if len(train_idx) else (corpus, None)
        target = check_training_frame(frame, "corpus with corrections")
        pipeline = fit_pipeline(
            build_pipeline(overrides, model.catalogue),
            frame["text"].tolist(),
            target,
            read_weights(frame, "corpus"),
        )
        after[test_idx] = predict_scores(pipeline, [texts[i] for i in test_idx])
        used += 1
    high = model.thresholds.high
    return {
        "corrections": len(fixes),
        "high_risk": int(y.sum()),
        "legit": int(len(y) - y.sum()),
        "folds": used,
        "thresholds": model.thresholds.model_dump(),
        "before": side_metrics(y, before, model.thresholds),
        "after": side_metrics(y, after, model.thresholds),
        "now_right": int((((after >= high) == (y == 1)) & ((before >= high) != (y == 1))).sum()),
        "now_wrong": int((((after >= high) != (y == 1)) & ((before >= high) == (y == 1))).sum()),
    }
