"""Evaluation plots drawn on a matplotlib `Axes` you pass in: the report and the notebooks use
the same functions. Nothing here touches pyplot's global state; `figure()` makes a standalone
figure for files."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from sklearn.calibration import calibration_curve
from sklearn.metrics import ConfusionMatrixDisplay, average_precision_score, precision_recall_curve

from tppo_screen.model.artifacts import Thresholds

LEVEL_COLOURS = {"medium": "#d99a00", "high": "#c0392b"}


def figure(width: float = 6.0, height: float = 4.5) -> tuple[Figure, Axes]:
    """A figure with one axes, independent of pyplot (safe in servers and tests)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def pr_curve(ax: Axes, y: np.ndarray, scores: np.ndarray, thresholds: Thresholds) -> None:
    """Precision against recall, with the card's two thresholds marked."""
    precision, recall, _ = precision_recall_curve(y, scores)
    ax.plot(recall, precision, color="#2c3e50", label=f"PR-AUC {average_precision_score(y, scores):.3f}")
    for level in ("medium", "high"):
        cut = getattr(thresholds, level)
        flagged = scores >= cut
        r = (flagged & (y == 1)).sum() / max((y == 1).sum(), 1)
        p = (flagged & (y == 1)).sum() / max(flagged.sum(), 1)
        ax.scatter(
            [r], [p], color=LEVEL_COLOURS[level], zorder=3, label=f"{level} ≥ {cut:.3f}: P {p:.2f}, R {r:.2f}"
        )
    ax.axhline(y.mean(), color="grey", linestyle=":", label=f"base rate {y.mean():.2f}")
    ax.set(
        xlabel="recall (high-risk ads caught)",
        ylabel="precision (flags that are right)",
        xlim=(0, 1.01),
        ylim=(0, 1.02),
    )
    ax.set_title("Precision–recall")
    ax.legend(loc="lower left", fontsize="small")


def calibration(ax: Axes, y: np.ndarray, scores: np.ndarray, bins: int = 10) -> None:
    """Reliability diagram: observed share of high-risk ads per score bin (quantile bins)."""
    observed, predicted = calibration_curve(y, scores, n_bins=bins, strategy="quantile")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfectly calibrated")
    ax.plot(predicted, observed, marker="o", color="#2c3e50", label="model")
    ax.set(xlabel="mean risk score in bin", ylabel="share of high-risk ads in bin", xlim=(0, 1), ylim=(0, 1))
    ax.set_title(f"Calibration ({bins} equal-count bins)")
    ax.legend(loc="upper left", fontsize="small")


def confusion(ax: Axes, y: np.ndarray, scores: np.ndarray, threshold: float, level: str) -> None:
    """Counts of ads flagged (score ≥ threshold) against their label."""
    ConfusionMatrixDisplay.from_predictions(
        y,
        (scores >= threshold).astype(int),
        labels=[0, 1],
        display_labels=["legit", "high_risk"],
        ax=ax,
        colorbar=False,
        cmap="Blues",
    )
    ax.set(xlabel=f"flagged at {level} (score ≥ {threshold:.3f})", ylabel="label")
    ax.set_title(f"Confusion at {level}")


def threshold_tradeoff(ax: Axes, y: np.ndarray, scores: np.ndarray, thresholds: Thresholds) -> None:
    """Precision and recall as the threshold moves, with the card's thresholds marked."""
    precision, recall, cuts = precision_recall_curve(y, scores)
    ax.plot(cuts, precision[:-1], label="precision", color="#2980b9")
    ax.plot(cuts, recall[:-1], label="recall", color="#27ae60")
    for level in ("medium", "high"):
        ax.axvline(getattr(thresholds, level), color=LEVEL_COLOURS[level], linestyle="--", label=level)
    ax.set(xlabel="threshold on the risk score", ylabel="share", xlim=(0, 1), ylim=(0, 1.02))
    ax.set_title("Moving the threshold")
    ax.legend(loc="lower center", fontsize="small")
