"""Thresholds and breakdowns: false-alarm budgets hold, and every group of texts is measured."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tppo_screen.errors import DataError
from tppo_screen.training.evaluate import Budget, breakdowns, choose_thresholds, length_band


def test_high_keeps_every_false_alarm_budget_and_separates_best_within_them() -> None:
    rng = np.random.default_rng(0)
    y = np.r_[np.ones(200, dtype=int), np.zeros(800, dtype=int)]
    scores = np.r_[rng.beta(5, 2, 200), rng.beta(2, 5, 800)]
    portal = np.r_[np.zeros(200, dtype=bool), np.arange(800) < 400]
    budgets = [Budget("portal", portal, 0.01), Budget("all legit", np.ones(1000, dtype=bool), 0.05)]
    chosen = choose_thresholds(y, scores, 0.95, budgets, recall_mask=np.ones(1000, dtype=bool))
    assert np.mean(scores[portal & (y == 0)] >= chosen.high) <= 0.01
    assert np.mean(scores[y == 0] >= chosen.high) <= 0.05
    # a lower threshold would break a budget; the chosen one maximises recall minus false alarms
    lower = np.sort(scores[y == 1])[np.searchsorted(np.sort(scores[y == 1]), chosen.high) - 1]
    assert np.mean(scores[portal & (y == 0)] >= lower) > 0.01 or np.mean(scores[y == 0] >= lower) > 0.05
    assert chosen.medium <= chosen.high
    assert np.mean(scores[y == 1] >= chosen.medium) >= 0.95


def test_budgets_no_threshold_can_keep_are_an_error() -> None:
    y = np.array([1, 1, 0, 0])
    scores = np.array([0.2, 0.3, 0.9, 0.8])  # every legit text above every high-risk one
    with pytest.raises(DataError, match="budget"):
        choose_thresholds(y, scores, budgets=[Budget("legit", np.ones(4, dtype=bool), 0.0)])


def test_breakdowns_cover_source_kind_length_modus_and_register() -> None:
    frame = pd.DataFrame(
        {
            "text": ["kata " * 10, "kata " * 50, "kata " * 150, "kata " * 12],
            "origin": ["real", "authored", "real", "snippet"],
            "modus": ["phishing", "portal", "portal", "fishing"],
            "register": ["informal", "formal", "formal", "informal"],
        }
    )
    y = np.array([1, 0, 0, 1])
    scores = np.array([0.9, 0.1, 0.6, 0.4])
    from tppo_screen.model.artifacts import Thresholds

    result = breakdowns(frame, y, scores, Thresholds(medium=0.3, high=0.5))
    assert set(result) >= {"by_origin", "by_length", "by_modus", "by_register"}
    assert set(result["by_length"]) == {"≤ 30 words", "31–100 words", "> 100 words"}
    real = result["by_origin"]["real"]
    assert (
        real["recall_at_high"] == 1.0
        and real["false_positive_rate_at_high"] == 1.0
        and real["roc_auc"] == 1.0
    )
    assert result["by_length"]["≤ 30 words"]["recall_at_medium"] == 1.0
    assert length_band("a " * 30) == "≤ 30 words" and length_band("a " * 31) == "31–100 words"
