"""Has the input drifted from what the model was trained on? A batch's score and red-flag
distributions against the training corpus's, both scored by the same model.

- **Score**: the population stability index (PSI) over the deciles of the reference scores:
  sum over the ten bins of (new share - reference share) * ln(new share / reference share),
  shares floored at `FLOOR` so that an empty bin stays finite. Read as the usual rule of thumb
  (`interpret`): below 0.1 stable, 0.1 to 0.25 watch, above 0.25 a shift.
- **Red flags**: per catalogue id, the share of texts carrying it in the batch and in the
  reference, and their ratio.

The reference is the training corpus (data/train.csv by default) scored by the model, computed
once per (model, file) and cached as JSON (`reference_profile`): the shipped card stays as it
is, and any model can be checked against any corpus. Those are in-sample scores, slightly more
extreme than on unseen ads of the same kind; on the corpus's own held-out split (data/test.csv)
the shipped model's PSI is near 0 (README, "Drift"), so in-sample is close enough for the
reference.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tppo_screen.errors import DataError
from tppo_screen.model.artifacts import Model, sha256_file
from tppo_screen.model.scoring import score_frame
from tppo_screen.tables.write import write_text

FLOOR = 1e-4  # the smallest share a bin counts with in the PSI
BANDS = ((0.1, "stable"), (0.25, "watch"), (float("inf"), "shift"))
DECILES = np.linspace(0.1, 0.9, 9)


@dataclass(frozen=True)
class Profile:
    """What drift compares: the scores (the reference keeps only its decile edges and shares),
    how many texts carry each red flag, and the share at each risk level."""

    rows: int
    edges: list[float]
    shares: list[float]
    flag_counts: dict[str, int]
    levels: dict[str, float] = field(default_factory=dict)

    def flag_rate(self, flag: str) -> float:
        return self.flag_counts.get(flag, 0) / self.rows if self.rows else 0.0


def bin_shares(scores: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The share of `scores` in each of the len(edges) + 1 bins the edges cut [0, 1] into."""
    counts = np.bincount(np.searchsorted(edges, scores, side="right"), minlength=len(edges) + 1)
    return counts / max(len(scores), 1)


def psi(reference: np.ndarray, new: np.ndarray) -> float:
    """Population stability index of two vectors of bin shares."""
    r, n = np.maximum(reference, FLOOR), np.maximum(new, FLOOR)
    return float(np.sum((n - r) * np.log(n / r)))


def interpret(value: float) -> str:
    """`stable`, `watch` or `shift` for a PSI."""
    return next(name for limit, name in BANDS if value < limit)


def scored(model: Model, frame: pd.DataFrame, text_column: str, where: str) -> pd.DataFrame:
    """The scorable rows of `frame` with risk_score, risk_level and red_flags."""
    result = score_frame(model, frame, text_column)
    result = result[result["risk_level"] != "error"]
    if result.empty:
        raise DataError(f"{where}: no text in column {text_column!r} could be scored")
    return result


def profile_of(result: pd.DataFrame, edges: np.ndarray | None = None) -> Profile:
    """A profile of scored rows; with `edges` None, the edges are the rows' own deciles."""
    scores = result["risk_score"].to_numpy(dtype=float)
    if edges is None:
        edges = np.unique(np.quantile(scores, DECILES))
    counts: dict[str, int] = {}
    for flags in result["red_flags"]:
        for flag in set(flags):
            counts[flag] = counts.get(flag, 0) + 1
    levels = result["risk_level"].value_counts(normalize=True)
    return Profile(
        rows=len(result),
        edges=[float(e) for e in edges],
        shares=[round(float(s), 6) for s in bin_shares(scores, edges)],
        flag_counts=dict(sorted(counts.items())),
        levels={str(k): round(float(v), 4) for k, v in levels.items()},
    )


def reference_profile(model: Model, path: Path, text_column: str, cache_dir: Path | None) -> Profile:
    """The profile of the reference corpus `path` under `model`, cached in `cache_dir` per model
    file and corpus file (their SHA-256), so that a second check costs no scoring."""
    if not path.is_file():
        raise DataError(f"reference corpus not found: {path}; give the training file with --reference")
    key = f"{model.card.artifact.get('sha256', model.card.name)[:12]}-{sha256_file(path)[:12]}"
    cached = cache_dir / f"reference-{key}.json" if cache_dir is not None else None
    if cached is not None and cached.is_file():
        return Profile(**json.loads(cached.read_text(encoding="utf-8")))
    from tppo_screen.tables.read import read_table

    frame, _ = read_table(path)
    result = profile_of(scored(model, frame, text_column, str(path)))
    if cached is not None:
        write_text(json.dumps(asdict(result)) + "\n", cached)
    return result


def compare(reference: Profile, batch: pd.DataFrame, min_count: int = 5) -> dict[str, Any]:
    """The drift report of scored rows `batch` against `reference`: PSI with its reading, the
    shares per reference decile, the risk-level shares, and per red flag (seen at least
    `min_count` times on either side) the two rates, their ratio, and the change in standard
    errors of a batch this size (`change_se`: the order, so that a small batch's noise in a rare
    flag does not come first)."""
    new = profile_of(batch, np.asarray(reference.edges))
    value = psi(np.asarray(reference.shares), np.asarray(new.shares))
    flags: list[dict[str, Any]] = []
    for flag in sorted(set(reference.flag_counts) | set(new.flag_counts)):
        if max(reference.flag_counts.get(flag, 0), new.flag_counts.get(flag, 0)) < min_count:
            continue
        ref_rate, new_rate = reference.flag_rate(flag), new.flag_rate(flag)
        ratio = new_rate / ref_rate if ref_rate else None
        flags.append(
            {"flag": flag, "reference_rate": round(ref_rate, 4), "rate": round(new_rate, 4), "ratio": ratio}
        )
    for f in flags:  # how many standard errors of a batch this size the rate moved
        spread = np.sqrt(max(f["reference_rate"] * (1 - f["reference_rate"]), 1 / new.rows) / new.rows)
        f["change_se"] = round(float(abs(f["rate"] - f["reference_rate"]) / spread), 2)
        f["ratio"] = None if f["ratio"] is None else round(f["ratio"], 3)
    flags.sort(key=lambda f: (-f["change_se"], f["flag"]))
    return {
        "rows": new.rows,
        "reference_rows": reference.rows,
        "psi": round(value, 4),
        "reading": interpret(value),
        "bins": {"edges": reference.edges, "reference": reference.shares, "batch": new.shares},
        "levels": {"reference": reference.levels, "batch": new.levels},
        "flags": flags,
    }


def plot(report: dict[str, Any], path: Path, top: int = 12) -> Path:
    """Two panels into `path` (PNG): the share of texts per decile of the reference scores,
    reference and batch side by side, with the PSI; and the red flags whose rate changed most."""
    from matplotlib.figure import Figure

    from tppo_screen.tables.write import atomic_write

    fig = Figure(figsize=(11.0, 4.5), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=(1, 1.2))
    bins = report["bins"]
    x = np.arange(len(bins["reference"]))
    left.bar(x - 0.2, bins["reference"], width=0.4, color="#95a5a6", label="training corpus")
    left.bar(x + 0.2, bins["batch"], width=0.4, color="#c0392b", label="this batch")
    edges = [0.0, *bins["edges"], 1.0]
    left.set_xticks(
        x, [f"{a:.2g}–{b:.2g}" for a, b in zip(edges, edges[1:], strict=False)], rotation=60, fontsize=7
    )
    left.set(
        xlabel="risk score, in deciles of the training corpus's scores",
        ylabel="share of texts",
        title=f"PSI {report['psi']:.3f}: {report['reading']}",
    )
    left.legend(fontsize=8)
    flags = report["flags"][:top][::-1]
    y = np.arange(len(flags))
    right.barh(
        y - 0.2, [f["reference_rate"] for f in flags], height=0.4, color="#95a5a6", label="training corpus"
    )
    right.barh(y + 0.2, [f["rate"] for f in flags], height=0.4, color="#c0392b", label="this batch")
    right.set_yticks(y, [f["flag"] for f in flags], fontsize=7)
    right.set(
        xlabel="share of texts with the red flag", title=f"red flags that changed most (top {len(flags)})"
    )
    right.legend(fontsize=8)
    return atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
