"""An evaluation report people can read: `write_report(model, frame, directory)` writes

    metrics.json      every figure of `evaluate_model` (the same JSON `tppo-screen evaluate` prints)
    report.md         headline metrics, the plots, breakdowns and the worst errors with evidence
    pr_curve.png      precision–recall with the card's thresholds marked
    calibration.png   reliability diagram
    confusion.png     confusion matrices at `medium` and `high`

Scores come from `tppo_screen.model.scoring` through `evaluate_model`; excerpts of ads in the report
are masked (phone numbers, e-mails, names after honorifics) in case the data is not. Files are
written to a temporary directory beside `directory` and moved in only when all are done.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from tppo_screen.corpus.privacy import mask_people, mask_personal_data
from tppo_screen.model.artifacts import Model
from tppo_screen.model.scoring import score_texts
from tppo_screen.tables.write import staged_directory
from tppo_screen.training import plots
from tppo_screen.training.evaluate import labelled_metrics, score_labelled

FILES = ("metrics.json", "report.md", "pr_curve.png", "calibration.png", "confusion.png")


def _excerpt(text: str, limit: int = 220) -> str:
    flat = " ".join(mask_people(mask_personal_data(text)).split())
    flat = flat.replace("|", "/")  # keep Markdown tables intact
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def worst_errors(
    model: Model, frame: pd.DataFrame, scores: np.ndarray, y: np.ndarray, k: int = 5
) -> dict[str, list]:
    """The `k` legitimate ads with the highest scores (false alarms) and the `k` high-risk ads
    with the lowest (misses), each with the red flags and terms that explain its score."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name, label, order in (("false_positives", 0, -1), ("false_negatives", 1, 1)):
        candidates = np.flatnonzero(y == label)
        chosen = candidates[np.argsort(order * scores[candidates], kind="stable")[:k]]
        explained = score_texts(model, frame["text"].iloc[chosen].tolist(), top_k=4, language="en")
        out[name] = [
            {
                "row": int(i),
                "id": str(frame["id"].iloc[i]) if "id" in frame.columns else str(i),
                "source": str(frame["source"].iloc[i]) if "source" in frame.columns else "",
                "score": round(float(scores[i]), 4),
                "red_flags": [hit.id for hit in result.red_flags],
                "green_flags": [hit.id for hit in result.green_flags],
                "top_terms": [f"{t.term} ({t.weight:+.2f})" for t in result.top_terms],
                "excerpt": _excerpt(str(frame["text"].iloc[i])),
            }
            for i, result in zip(chosen, explained, strict=True)
        ]
    return out


GROUP_TABLES = (
    ("by_source", "By source"),
    ("by_origin", "By source kind (authored, twin, snippet, real)"),
    ("by_length", "By length"),
    ("by_register", "By register"),
    ("by_modus", "By modus"),
)


def _group_table(rates: dict[str, Any]) -> list[str]:
    """A Markdown table of `evaluate.rates_by` rows."""
    lines = [
        "| group | high-risk | recall at `high` | recall at `medium` | legit | false alarms at `high` "
        "| ROC-AUC |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for group, row in rates.items():
        recall = (
            (f"{row['recall_at_high']:.3f}", f"{row['recall_at_medium']:.3f}")
            if row["high_risk_rows"]
            else ("–", "–")
        )
        alarms = f"{row['false_positive_rate_at_high']:.3f}" if row["legit_rows"] else "–"
        auc = f"{row['roc_auc']:.3f}" if "roc_auc" in row else "–"
        lines.append(
            f"| {group} | {row['high_risk_rows']:,} | {recall[0]} | {recall[1]} | "
            f"{row['legit_rows']:,} | {alarms} | {auc} |"
        )
    return lines


def _save(fig: Figure, path: Path) -> None:
    fig.savefig(path, dpi=110)


def _markdown(model: Model, data_name: str, metrics: dict[str, Any], errors: dict[str, list]) -> str:
    lines = _headline(model, data_name, metrics)
    for key, title in GROUP_TABLES:
        if key in metrics:
            lines += ["", f"## {title}", "", *_group_table(metrics[key])]
    lines += _red_flag_table(metrics.get("by_red_flag", {}))
    if "twins" in metrics and metrics["twins"]["pairs"]:
        share = metrics["twins"]["high_risk_twin_scores_higher"]
        lines += [
            "",
            f"Counterfactual twin pairs: the high-risk side scores higher in {share:.1%} of "
            f"{metrics['twins']['pairs']} pairs.",
        ]
    for name, rows in errors.items():
        lines += _error_table(ERROR_TITLES[name], rows)
    return "\n".join(lines) + "\n"


def _headline(model: Model, data_name: str, metrics: dict[str, Any]) -> list[str]:
    high, medium = metrics["at_high"], metrics["at_medium"]
    unscorable = metrics.get("unscorable_rows")
    return [
        f"# Evaluation report: `{model.version}` on `{data_name}`",
        "",
        f"{metrics['rows']:,} ads, {metrics['high_risk_rows']:,} of them labelled high-risk"
        + (f"; {unscorable} unscorable rows left out" if unscorable else "")
        + ". Thresholds from the model card: "
        f"`medium` ≥ {model.thresholds.medium:.4f}, `high` ≥ {model.thresholds.high:.4f}.",
        "",
        "| metric | value |",
        "|---|---|",
        f"| ROC-AUC | {metrics['roc_auc']:.4f} |",
        f"| PR-AUC (average precision) | {metrics['pr_auc']:.4f} |",
        f"| precision at `high` | {high['precision']:.4f} "
        f"({high['true_positives']} of {high['flagged']} flagged) |",
        f"| recall at `high` | {high['recall']:.4f} ({high['false_negatives']} high-risk ads missed) |",
        f"| F1 at `high` | {high['f1']:.4f} |",
        f"| recall at `medium` | {medium['recall']:.4f} |",
        f"| recall at 1% / 5% false-positive rate | {metrics['recall_at_1pct_fpr']:.4f} / "
        f"{metrics['recall_at_5pct_fpr']:.4f} |",
        f"| Brier score | {metrics['brier']:.4f} |",
        "",
        "The risk score ranks ads; it is not the probability that an ad is trafficking (the model "
        "was trained with balanced classes, and the real share of such ads is unknown).",
        "",
        "![Precision–recall curve](pr_curve.png)",
        "![Calibration](calibration.png)",
        "![Confusion matrices](confusion.png)",
    ]


def _red_flag_table(by_flag: dict[str, dict[str, Any]]) -> list[str]:
    if not by_flag:
        return []
    lines = [
        "",
        "## Per red flag (weakest first)",
        "",
        "Among the high-risk ads annotated with each red flag, the share the model puts at each level.",
        "",
        "| red flag | ads | recall at `medium` | recall at `high` |",
        "|---|---|---|---|",
    ]
    for flag, row in by_flag.items():
        lines.append(
            f"| {flag} | {row['ads']} | {row['recall_at_medium']:.3f} | {row['recall_at_high']:.3f} |"
        )
    return lines


ERROR_TITLES = {
    "false_positives": "Worst false alarms (legitimate ads with the highest scores)",
    "false_negatives": "Worst misses (high-risk ads with the lowest scores)",
}


def _error_table(title: str, rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        "",
        f"## {title}",
        "",
        "| id | source | score | red flags / cues found | top terms | excerpt |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        found = ", ".join(row["red_flags"] + [f"cue:{g}" for g in row["green_flags"]]) or "none"
        lines.append(
            f"| {row['id']} | {row['source']} | {row['score']:.3f} | {found} | "
            f"{', '.join(row['top_terms'])} | {row['excerpt']} |"
        )
    return lines


def write_report(
    model: Model,
    frame: pd.DataFrame,
    directory: Path | str,
    data_name: str = "data",
    skipped_lines: list[dict[str, int | str]] | None = None,
) -> dict[str, Any]:
    """Evaluate `model` on the labelled `frame` and write the report files into `directory`;
    return the metrics. `skipped_lines` (the malformed lines reading left out) go in them."""
    directory = Path(directory)
    labelled = score_labelled(model, frame, data_name)
    metrics = labelled_metrics(labelled, model.thresholds)
    metrics["skipped_lines"] = skipped_lines or []
    y, scores = labelled.y, labelled.scores
    errors = worst_errors(model, labelled.frame, scores, y)
    metrics["worst_errors"] = errors

    with staged_directory(directory) as staging:
        fig, ax = plots.figure()
        plots.pr_curve(ax, y, scores, model.thresholds)
        _save(fig, staging / "pr_curve.png")
        fig, ax = plots.figure(5.0, 4.5)
        plots.calibration(ax, y, scores)
        _save(fig, staging / "calibration.png")
        fig = Figure(figsize=(9.0, 4.0), layout="constrained")
        for ax, level in zip(fig.subplots(1, 2), ("medium", "high"), strict=True):
            plots.confusion(ax, y, scores, getattr(model.thresholds, level), level)
        _save(fig, staging / "confusion.png")
        (staging / "metrics.json").write_text(
            json.dumps({"model": model.version, "data": data_name, **metrics}, indent=2, ensure_ascii=False)
            + "\n",
            encoding="utf-8",
        )
        (staging / "report.md").write_text(_markdown(model, data_name, metrics, errors), encoding="utf-8")
    return metrics
