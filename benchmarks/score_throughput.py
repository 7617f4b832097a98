"""Throughput of the scoring path on the demo listings repeated to N rows.

    .venv/bin/python benchmarks/score_throughput.py [--rows 20000] [--model models/default.joblib]

Prints, from one process:
  (a) score_frame on N rows (the path `tppo-screen score` runs), cold token cache at start;
  (b) the baseline: the same model with the stem cache bypassed, so every token goes through
      PySastrawi (what an uncached pipeline pays), on a smaller slice;
  the ratio a/b, single-ad latency percentiles of score_texts (with explanations), and peak RSS.
Repeated rows flatter the token cache in (a); issue #5's benchmark uses fresh vocabulary.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd

from tppo_screen.config import DEFAULT_MODEL, ROOT
from tppo_screen.model import stem
from tppo_screen.model.artifacts import load_model
from tppo_screen.model.scoring import score_frame, score_texts


def ads_per_second(model, frame: pd.DataFrame) -> tuple[float, float]:
    started = time.perf_counter()
    score_frame(model, frame, "text")
    elapsed = time.perf_counter() - started
    return len(frame) / elapsed, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--baseline-rows", type=int, default=1_000)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--sample", type=Path, default=ROOT / "data" / "samples" / "listings.csv")
    args = parser.parse_args()

    model = load_model(args.model)
    sample = pd.read_csv(args.sample, dtype=str, keep_default_na=False)
    frame = pd.concat([sample] * (args.rows // len(sample) + 1), ignore_index=True).head(args.rows)
    words = frame["text"].str.split().str.len()
    print(
        f"model {model.version}; {len(frame):,} rows from {args.sample.name} "
        f"({len(sample)} distinct ads, median {int(words.median())} words)"
    )

    stem.stem_word.cache_clear()
    full_rate, full_time = ads_per_second(model, frame)

    cached = stem.stem_word
    stem.stem_word = cached.__wrapped__  # the baseline: every token through PySastrawi
    try:
        base_rate, base_time = ads_per_second(model, frame.head(args.baseline_rows))
    finally:
        stem.stem_word = cached

    latencies = []
    for text in sample["text"].tolist() * 2:
        started = time.perf_counter()
        score_texts(model, [text])
        latencies.append((time.perf_counter() - started) * 1000)
    p50, p95, p99 = np.percentile(latencies, [50, 95, 99])
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    rows, base_rows = f"{len(frame):,} rows", f"{args.baseline_rows:,} rows"
    print(f"(a) score_frame, token cache      {full_rate:10,.0f} ads/s  ({rows} in {full_time:.2f}s)")
    print(f"(b) baseline, no token cache      {base_rate:10,.0f} ads/s  ({base_rows} in {base_time:.2f}s)")
    print(f"ratio a/b                         {full_rate / base_rate:10.1f}x")
    print(f"single ad, score_texts + terms    p50 {p50:.1f} ms  p95 {p95:.1f} ms  p99 {p99:.1f} ms")
    print(f"peak RSS                          {peak_mb:10,.0f} MB")


if __name__ == "__main__":
    main()
