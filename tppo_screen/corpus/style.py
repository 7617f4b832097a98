"""Style features and the style-only baseline: does the way an ad is written give its label away?

A corpus where real legitimate ads are formal portal text and high-risk ads are hand-written chat
posts teaches a model "portal style = safe". The check: train a classifier on style alone
(length, line count, upper-case, punctuation, emoji and digit ratios) with the same grouped
split as the real model. A high ROC-AUC means style leaks the label. The length-only check is
the same with a gradient-boosted classifier on words, characters and lines alone: a corpus of
long legitimate ads and few short ones teaches "short = safe" (or the reverse).
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterable

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tppo_screen.config import SEED

STYLE_FEATURES = (
    "log_chars",
    "log_words",
    "log_lines",
    "upper_ratio",
    "punctuation_ratio",
    "emoji_ratio",
    "digit_ratio",
)


def _is_emoji(char: str) -> bool:
    return unicodedata.category(char) == "So" or ord(char) >= 0x1F000


def style_vector(text: str) -> list[float]:
    """The STYLE_FEATURES of one text."""
    chars = max(len(text), 1)
    letters = sum(c.isalpha() for c in text) or 1
    return [
        math.log1p(len(text)),
        math.log1p(len(text.split())),
        math.log1p(text.count("\n")),
        sum(c.isupper() for c in text) / letters,
        sum(unicodedata.category(c).startswith("P") for c in text) / chars,
        sum(_is_emoji(c) for c in text) / chars,
        sum(c.isdigit() for c in text) / chars,
    ]


def style_features(texts: Iterable[str]) -> pd.DataFrame:
    """One row of STYLE_FEATURES per text."""
    return pd.DataFrame([style_vector(t) for t in texts], columns=list(STYLE_FEATURES))


def style_only_scores(frame: pd.DataFrame, seed: int = SEED, folds: int = 5) -> np.ndarray:
    """Out-of-fold scores of a logistic regression on style features alone, with folds that keep
    each `group` on one side (the same kind of split the model is evaluated with)."""
    y = (frame["label"] == "high_risk").to_numpy(dtype=int)
    classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    return cross_val_predict(
        classifier,
        style_features(frame["text"]),
        y,
        groups=frame["group"],
        cv=splitter,
        method="predict_proba",
    )[:, 1]


def style_only_auc(frame: pd.DataFrame, seed: int = SEED, folds: int = 5) -> float:
    """Grouped cross-validated ROC-AUC of the style-only classifier (0.5 = style says nothing)."""
    y = (frame["label"] == "high_risk").to_numpy(dtype=int)
    return float(roc_auc_score(y, style_only_scores(frame, seed, folds)))


def length_features(texts: Iterable[str]) -> pd.DataFrame:
    """Words, characters and lines of each text."""
    return pd.DataFrame(
        [(len(t.split()), len(t), t.count("\n") + 1) for t in texts], columns=["words", "chars", "lines"]
    )


def length_only_auc(frame: pd.DataFrame, seed: int = SEED, folds: int = 5) -> float:
    """Grouped cross-validated ROC-AUC of a gradient-boosted classifier on length alone."""
    y = (frame["label"] == "high_risk").to_numpy(dtype=int)
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    scores = cross_val_predict(
        HistGradientBoostingClassifier(random_state=seed),
        length_features(frame["text"]),
        y,
        groups=frame["group"],
        cv=splitter,
        method="predict_proba",
    )[:, 1]
    return float(roc_auc_score(y, scores))
