"""Metrics for a risk scorer: ranking quality and behaviour at the card's thresholds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    precision_recall_curve,
    roc_auc_score,
    roc_curve,
)

from tppo_screen.errors import DataError
from tppo_screen.model.artifacts import Model, Thresholds
from tppo_screen.model.scoring import score_frame

LABELS = ("legit", "high_risk")


def labels_to_target(frame: pd.DataFrame, path: str = "data") -> np.ndarray:
    """1 for `high_risk`, 0 for `legit`; any other label is a `DataError`."""
    for column in ("text", "label"):
        if column not in frame.columns:
            raise DataError(f"{path}: a labelled dataset needs a {column!r} column")
    unknown = sorted(set(frame["label"]) - set(LABELS))
    if unknown:
        raise DataError(f"{path}: unknown labels {unknown}; use 'high_risk' or 'legit'")
    y = (frame["label"] == "high_risk").to_numpy(dtype=int)
    if len(set(y)) < 2:
        raise DataError(f"{path}: needs both 'high_risk' and 'legit' rows")
    return y


def _at(y: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float]:
    predicted = scores >= threshold
    tp = int(np.sum(predicted & (y == 1)))
    fp = int(np.sum(predicted & (y == 0)))
    fn = int(np.sum(~predicted & (y == 1)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "threshold": threshold,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "flagged": int(predicted.sum()),
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
    }


def _recall_at_fpr(y: np.ndarray, scores: np.ndarray, fpr_limit: float) -> float:
    fpr, tpr, _ = roc_curve(y, scores)
    return round(float(tpr[fpr <= fpr_limit].max()), 4)


def compute_metrics(y: np.ndarray, scores: np.ndarray, thresholds: Thresholds) -> dict[str, Any]:
    """ROC-AUC, PR-AUC, Brier score, recall at 1%/5% FPR, and precision/recall/F1 per level."""
    return {
        "rows": int(len(y)),
        "high_risk_rows": int(y.sum()),
        "roc_auc": round(float(roc_auc_score(y, scores)), 4),
        "pr_auc": round(float(average_precision_score(y, scores)), 4),
        "brier": round(float(brier_score_loss(y, scores)), 4),
        "recall_at_1pct_fpr": _recall_at_fpr(y, scores, 0.01),
        "recall_at_5pct_fpr": _recall_at_fpr(y, scores, 0.05),
        "at_high": _at(y, scores, thresholds.high),
        "at_medium": _at(y, scores, thresholds.medium),
    }


def _share(mask: np.ndarray) -> float:
    return round(float(np.mean(mask)), 4) if len(mask) else 0.0


LENGTH_BANDS = ((0, 30, "≤ 30 words"), (31, 100, "31–100 words"), (101, 10**9, "> 100 words"))


def length_band(text: str) -> str:
    """The length band of a text: ≤ 30, 31–100 or > 100 words."""
    words = len(str(text).split())
    return next(name for low, high, name in LENGTH_BANDS if low <= words <= high)


def rates_by(keys: pd.Series, y: np.ndarray, scores: np.ndarray, thresholds: Thresholds) -> dict[str, Any]:
    """Per value of `keys`: its high-risk ads and the share of them at `high` and at `medium` or
    above (recall), its legitimate ads and the share of them at `high` (false alarms), and the
    ROC-AUC within the group when it holds both labels. A model that learned style, length or
    register instead of red flags shows it here."""
    rates: dict[str, Any] = {}
    for key, idx in keys.astype(str).groupby(keys.astype(str).to_numpy()).indices.items():
        positives, negatives = idx[y[idx] == 1], idx[y[idx] == 0]
        row: dict[str, Any] = {
            "high_risk_rows": int(len(positives)),
            "recall_at_high": _share(scores[positives] >= thresholds.high),
            "recall_at_medium": _share(scores[positives] >= thresholds.medium),
            "legit_rows": int(len(negatives)),
            "false_positive_rate_at_high": _share(scores[negatives] >= thresholds.high),
        }
        if len(positives) and len(negatives):
            row["roc_auc"] = round(float(roc_auc_score(y[idx], scores[idx])), 4)
        rates[str(key)] = row
    return rates


def per_red_flag_recall(
    frame: pd.DataFrame, y: np.ndarray, scores: np.ndarray, thresholds: Thresholds
) -> dict[str, Any]:
    """For each red-flag id, the high-risk ads that carry it and the share of them the model
    puts at `medium` or above and at `high` (sorted by the weakest recall first)."""
    flags = frame["red_flags"].fillna("").astype(str).str.split(";")
    by_flag: dict[str, list[float]] = {}
    for i in np.flatnonzero(y == 1):
        for flag in filter(None, flags.iloc[i]):
            by_flag.setdefault(flag, []).append(scores[i])
    rows = {
        flag: {
            "ads": len(flag_scores),
            "recall_at_medium": _share(np.asarray(flag_scores) >= thresholds.medium),
            "recall_at_high": _share(np.asarray(flag_scores) >= thresholds.high),
        }
        for flag, flag_scores in by_flag.items()
    }
    return dict(sorted(rows.items(), key=lambda item: (item[1]["recall_at_high"], item[0])))


def twin_pair_accuracy(frame: pd.DataFrame, y: np.ndarray, scores: np.ndarray) -> dict[str, Any]:
    """Counterfactual twins (`twin_of`): the share of pairs where the high-risk side scores above
    its legitimate twin. The pair differs only in the red flags, so this measures exactly
    whether the model reacts to them."""
    position = {ad_id: i for i, ad_id in enumerate(frame["id"].astype(str))}
    wins, pairs = 0, 0
    for i, original in enumerate(frame["twin_of"].fillna("").astype(str)):
        j = position.get(original)
        if not original or j is None or y[i] == y[j]:
            continue
        high, low = (i, j) if y[i] == 1 else (j, i)
        pairs += 1
        wins += scores[high] > scores[low]
    return {"pairs": pairs, "high_risk_twin_scores_higher": round(wins / pairs, 4) if pairs else None}


def breakdowns(
    frame: pd.DataFrame, y: np.ndarray, scores: np.ndarray, thresholds: Thresholds
) -> dict[str, Any]:
    """Whatever breakdowns the frame's columns allow: by source, source kind (`origin`:
    authored, twin, snippet, real), length band, modus and register; per red flag; and
    counterfactual-twin pairs."""
    result: dict[str, Any] = {}
    for column, name in (
        ("source", "by_source"),
        ("origin", "by_origin"),
        ("modus", "by_modus"),
        ("register", "by_register"),
    ):
        if column in frame.columns:
            result[name] = rates_by(frame[column], y, scores, thresholds)
    result["by_length"] = rates_by(frame["text"].map(length_band), y, scores, thresholds)
    if "red_flags" in frame.columns:
        result["by_red_flag"] = per_red_flag_recall(frame, y, scores, thresholds)
    if {"id", "twin_of"} <= set(frame.columns):
        result["twins"] = twin_pair_accuracy(frame, y, scores)
    return result


@dataclass(frozen=True)
class Budget:
    """At most `rate` of the legitimate texts picked by `mask` may score `high` (`name` says
    which texts, in the card)."""

    name: str
    mask: np.ndarray
    rate: float


def _share_at_or_above(scores: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """For each threshold, the share of `scores` at or above it."""
    ordered = np.sort(scores)
    return (len(ordered) - np.searchsorted(ordered, thresholds, side="left")) / max(len(ordered), 1)


def choose_thresholds(
    y: np.ndarray,
    scores: np.ndarray,
    medium_recall: float = 0.97,
    budgets: Sequence[Budget] = (),
    recall_mask: np.ndarray | None = None,
) -> Thresholds:
    """`high`: with `budgets`, of the thresholds that keep every budget, the one that best
    separates the texts of `recall_mask` (the most high-risk ones caught minus the legitimate
    ones flagged, Youden's J); without budgets, the threshold that maximises F1. `medium`: the
    highest threshold that still catches `medium_recall` of the high-risk texts (of those in
    `recall_mask`, when given), never above `high`."""
    mask = np.ones(len(y), dtype=bool) if recall_mask is None else recall_mask
    if budgets:
        candidates = np.unique(scores[(y == 1) & mask])
        feasible = np.ones(len(candidates), dtype=bool)
        for budget in budgets:
            feasible &= _share_at_or_above(scores[budget.mask & (y == 0)], candidates) <= budget.rate
        if not feasible.any():
            raise DataError("no threshold keeps every false-alarm budget; the model cannot be used as is")
        j = _share_at_or_above(scores[mask & (y == 1)], candidates) - _share_at_or_above(
            scores[mask & (y == 0)], candidates
        )
        high = float(candidates[feasible][int(np.argmax(j[feasible]))])
    else:
        precision, recall, cut = precision_recall_curve(y, scores)
        f1 = 2 * precision[:-1] * recall[:-1] / np.maximum(precision[:-1] + recall[:-1], 1e-12)
        high = float(cut[int(np.argmax(f1))])
    positives = np.sort(scores[(y == 1) & mask])
    medium = float(positives[int(np.floor((1 - medium_recall) * len(positives)))]) if len(positives) else high
    return Thresholds(medium=min(medium, high), high=high)


@dataclass(frozen=True)
class Labelled:
    """A labelled frame scored through the one scoring path; unscorable rows left out."""

    frame: pd.DataFrame  # the usable rows, re-indexed from 0
    y: np.ndarray
    scores: np.ndarray
    unscorable: int


def score_labelled(model: Model, frame: pd.DataFrame, path: str = "data") -> Labelled:
    """Score a labelled frame (`text`, `label`); rows that cannot be scored are counted and left out."""
    y = labels_to_target(frame, path)
    scored = score_frame(model, frame, "text")
    usable = (scored["risk_level"] != "error").to_numpy()
    if len(set(y[usable])) < 2:
        raise DataError(
            f"{path}: after leaving out {int((~usable).sum())} unscorable rows, only one label is left; "
            "metrics need both 'high_risk' and 'legit' ads"
        )
    kept = frame[usable].reset_index(drop=True)
    return Labelled(kept, y[usable], scored["risk_score"].to_numpy()[usable], int((~usable).sum()))


def labelled_metrics(labelled: Labelled, thresholds: Thresholds) -> dict[str, Any]:
    """Metrics at `thresholds` and every breakdown the frame's columns allow."""
    metrics = compute_metrics(labelled.y, labelled.scores, thresholds)
    metrics.update(breakdowns(labelled.frame, labelled.y, labelled.scores, thresholds))
    metrics["unscorable_rows"] = labelled.unscorable
    return metrics


def evaluate_model(model: Model, frame: pd.DataFrame, path: str = "data") -> dict[str, Any]:
    """Score a labelled frame through the one scoring path; metrics at the model's thresholds."""
    return labelled_metrics(score_labelled(model, frame, path), model.thresholds)
