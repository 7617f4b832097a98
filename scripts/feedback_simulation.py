"""Does the corrections loop work? A simulation on the real-world texts of data/.

    nice -n 10 .venv/bin/python scripts/feedback_simulation.py [--rounds 8] [--per-round 50]

Part of the real-world training texts of data/train.csv (source `real_*`: the texts of data/real/
outside its held-out set) is held back, whole near-duplicate groups at a time, with every corpus
row of those groups (a twin or snippet of a held-back text would leak it). Round 0 trains on the
rest; each round then feeds the next `--per-round` held-back texts back as corrections (the
path of `tppo-screen train --with-feedback`: weight and grouping of a correction) and refits the
model at round 0's thresholds; the rounds named by `--full` (texts fed) are also retrained with
the configuration of `make model` (grouped 5-fold cross-validation, thresholds chosen anew).
The README's table: `--full 50 100 150 200 250 300 350 400`. After each round the model is
measured on data/real/test.csv, the real-world held-out set, which is never fed back and tunes
nothing here. Results go to out/feedback-sim/rounds.json
(a run picks up where an interrupted one stopped) and the plot to docs/images/feedback_rounds.png.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from tppo_screen.config import SEED
from tppo_screen.model.artifacts import Thresholds
from tppo_screen.model.catalogue import load_catalogue
from tppo_screen.model.pipeline import build_pipeline
from tppo_screen.model.scoring import predict_scores
from tppo_screen.model.stem import DEFAULT_OVERRIDES, load_overrides
from tppo_screen.tables.write import write_text
from tppo_screen.training.feedback import Corrections, merge_corrections, prepare_corrections
from tppo_screen.training.train import (
    check_training_frame,
    fit_pipeline,
    held_out_metrics,
    read_labelled,
    read_weights,
    split_groups,
    train,
)

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "out" / "feedback-sim"
PLOT = ROOT / "docs" / "images" / "feedback_rounds.png"
REAL_TEST = ROOT / "data" / "real" / "test.csv"


def hold_back(frame: pd.DataFrame, wanted: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the corpus without the held-back groups, the held-back real-world texts in feeding order)."""
    groups = split_groups(frame)
    real = frame["source"].astype(str).str.startswith("real_").to_numpy()
    candidates = np.unique(groups[real])
    np.random.default_rng(seed).shuffle(candidates)
    chosen, count = [], 0
    for group in candidates:
        if count >= wanted:
            break
        chosen.append(group)
        count += int((real & (groups == group)).sum())
    order = {group: rank for rank, group in enumerate(chosen)}
    held = np.isin(groups, chosen)
    pool = frame[held & real].assign(_rank=[order[g] for g in groups[held & real]])
    pool = pool.sort_values("_rank", kind="stable").drop(columns="_rank").head(wanted)
    return frame[~held].reset_index(drop=True), pool.reset_index(drop=True)


def round_row(card_metrics: dict[str, Any], thresholds: Any, fed: int, seconds: float) -> dict[str, Any]:
    test = card_metrics["real_test"]
    legit = test["rows"] - test["high_risk_rows"]
    return {
        "fed": fed,
        "recall_at_high": test["at_high"]["recall"],
        "false_alarms_at_high": round(test["at_high"]["false_positives"] / legit, 4),
        "recall_at_medium": test["at_medium"]["recall"],
        "roc_auc": test["roc_auc"],
        "high": round(thresholds.high, 4),
        "medium": round(thresholds.medium, 4),
        "cv_roc_auc": card_metrics["cv"]["roc_auc"],
        "seconds": round(seconds, 1),
    }


def plot(rounds: list[dict[str, Any]], path: Path, shipped: dict[str, float] | None) -> None:
    """Recall and false alarms at `high` on data/real/test.csv after each round, one panel each:
    refits at round 0's thresholds joined by lines, full retrains (thresholds chosen anew) as
    open markers, the shipped model (trained on every text) dotted."""
    fig = Figure(figsize=(9.0, 3.8), layout="constrained")
    panels = fig.subplots(1, 2, sharex=True)
    refits = [r for r in rounds if r["fed"] == 0 or not r.get("full", True)]
    fulls = [r for r in rounds if r["fed"] > 0 and r.get("full", True)]
    for ax, key, colour, name, low, high in (
        (panels[0], "recall_at_high", "#c0392b", "recall at high (high-risk texts)", 0.6, 1.0),
        (panels[1], "false_alarms_at_high", "#2c3e50", "false alarms at high (legit texts)", 0.0, 0.2),
    ):
        ax.plot(
            [r["fed"] for r in refits], [r[key] for r in refits], "o-", color=colour, label="refit each round"
        )
        if fulls:
            ax.plot(
                [r["fed"] for r in fulls],
                [r[key] for r in fulls],
                "o",
                color=colour,
                markerfacecolor="none",
                markersize=11,
                label="full retrain (thresholds anew)",
            )
        if shipped:
            ax.axhline(shipped[key], color="grey", linestyle=":", label="shipped model (all texts)")
        ax.set(xlabel="real-world texts fed back as corrections", title=name, ylim=(low, high))
        ax.legend(fontsize=7)
    panels[0].set_ylabel("share of data/real/test.csv (226 texts)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def shipped_figures() -> dict[str, float] | None:
    card = json.loads((ROOT / "models" / "default.card.json").read_text(encoding="utf-8"))
    test = card["metrics"].get("real_test")
    if not test:
        return None
    legit = test["rows"] - test["high_risk_rows"]
    return {
        "recall_at_high": test["at_high"]["recall"],
        "false_alarms_at_high": test["at_high"]["false_positives"] / legit,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--per-round", type=int, default=50)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--jobs", type=int, default=1, help="rounds trained at once after round 0")
    parser.add_argument(
        "--full",
        type=int,
        nargs="*",
        default=[],
        help="also retrain these rounds (texts fed) as `make model` does, thresholds chosen anew",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    os.environ.setdefault("OPENBLAS_CORETYPE", "Haswell")
    OUT.mkdir(parents=True, exist_ok=True)
    frame = read_labelled(ROOT / "data" / "train.csv")
    base, pool = hold_back(frame, args.rounds * args.per_round, args.seed)
    base_path = OUT / "base.csv"
    base.to_csv(base_path, index=False)
    results_path = OUT / "rounds.json"
    results = json.loads(results_path.read_text()) if results_path.is_file() else {"rounds": []}
    results.update(
        corpus_rows=len(frame),
        base_rows=len(base),
        left_out_with_groups=len(frame) - len(base) - len(pool),
        pool=len(pool),
        pool_high_risk=int((pool["label"] == "high_risk").sum()),
    )
    if "pool_scores" not in results:  # round 0: the model before any correction
        results["rounds"] = [row for row in results["rounds"] if row["fed"] != 0]
        pool_scores, row0 = run_round(base_path, pool, 0, None, None, True)
        results.update(pool_scores=[round(float(x), 6) for x in pool_scores], round0_high=row0["high"])
        save(results, [row0], results_path)
    if "round0_thresholds" not in results:
        row0 = next(row for row in results["rounds"] if row["fed"] == 0)
        results["round0_thresholds"] = {"medium": row0["medium"], "high": results["round0_high"]}
        save(results, [], results_path)
    wanted = [(r * args.per_round, False) for r in range(1, args.rounds + 1)] + [
        (fed, True) for fed in args.full
    ]
    todo = [
        (fed, full) for fed, full in wanted if not any(_same(row, fed, full) for row in results["rounds"])
    ]
    scores = np.asarray(results["pool_scores"])
    with ProcessPoolExecutor(max_workers=args.jobs) as workers:
        futures = [
            workers.submit(run_round, base_path, pool, fed, scores, results["round0_high"], full)
            for fed, full in todo
        ]
        for future in as_completed(futures):
            save(results, [future.result()[1]], results_path)


def _same(row: dict[str, Any], fed: int, full: bool) -> bool:
    return row["fed"] == fed and (fed == 0 or row.get("full", False) == full)


def run_round(
    base_path: Path, pool: pd.DataFrame, fed: int, scores: np.ndarray | None, high: float | None, full: bool
) -> tuple[np.ndarray, dict[str, Any]]:
    """Train with the first `fed` held-back texts as corrections; the held-back texts' scores
    under this model and the round's row. `full`: as `make model` (cross-validation chooses the
    thresholds anew); otherwise one fit, read at round 0's thresholds (`high`, and `medium`)."""
    corrections = None
    if fed:
        assert scores is not None and high is not None
        fixes = pool.head(fed).assign(
            ad_id=pool["id"].head(fed), sender="simulation", model_score=scores[:fed]
        )
        corrections = prepare_corrections(fixes, "simulation", high)
    started = time.perf_counter()
    if full or corrections is None:
        pipeline, card = train(base_path, name=f"sim{fed}", real_test_path=REAL_TEST, feedback=corrections)
        metrics, thresholds, data = card.metrics, card.thresholds, card.data
    else:
        pipeline, metrics, thresholds, data = refit(base_path, corrections)
    row = round_row(metrics, thresholds, fed, time.perf_counter() - started)
    row["full"] = full or corrections is None
    if corrections is not None:
        row["kinds"] = data["feedback"]["kinds"]
        row["corpus_rows_overruled"] = data["feedback"]["corpus_rows_overruled"]
    return predict_scores(pipeline, pool["text"].tolist()), row


def refit(
    base_path: Path, corrections: Corrections
) -> tuple[Any, dict[str, Any], Thresholds, dict[str, Any]]:
    """One fit on the base plus the corrections (the pipeline of `make model`), measured at the
    thresholds round 0's cross-validation chose (`ROUND0`)."""
    frame, facts = merge_corrections(read_labelled(base_path), corrections)
    y = check_training_frame(frame, "simulation")
    pipeline = fit_pipeline(
        build_pipeline(load_overrides(DEFAULT_OVERRIDES), load_catalogue(None)),
        frame["text"].tolist(),
        y,
        read_weights(frame, "simulation"),
    )
    thresholds = Thresholds(**json.loads((OUT / "rounds.json").read_text())["round0_thresholds"])
    metrics = {"real_test": held_out_metrics(pipeline, REAL_TEST, thresholds), "cv": {"roc_auc": None}}
    return pipeline, metrics, thresholds, {"feedback": facts}


def save(results: dict[str, Any], rows: list[dict[str, Any]], path: Path) -> None:
    """Add `rows` to the results, write them and redraw the plot."""
    kept = [
        r for r in results["rounds"] if not any(_same(r, row["fed"], row.get("full", True)) for row in rows)
    ]
    results["rounds"] = sorted(kept + rows, key=lambda r: (r["fed"], r.get("full", True)))
    write_text(json.dumps(results, indent=2) + "\n", path)
    for row in rows:
        logging.info("fed %d: %s", row["fed"], row)
    plot(results["rounds"], PLOT, shipped_figures())


if __name__ == "__main__":
    main()
