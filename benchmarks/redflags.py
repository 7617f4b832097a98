"""What red-flag matching adds to scoring time, on Loker.id-length ads.

    .venv/bin/python benchmarks/redflags.py [--rows 10000] [--model models/default.joblib]

The ads are the real Loker.id ads of data/ (train and test), cycled to --rows. In one process:
  (a) score_frame on all rows: fold → TF-IDF words + chars + catalogue features → model;
  (b) the catalogue's share of (a): matching every already-folded ad (`match_folded`), which is
      all the catalogue costs inside the pipeline, since each ad is folded once for everything;
  (c) for comparison, matching from raw text (`match`: fold + match), what a separate
      red-flag pass over the same ads would cost;
  (d) score_texts with explanations (flags with spans, labels, top terms) on 1,000 rows.
Prints ads/s, the matching overhead (b) / ((a) − (b)) — the target is ≤ 30% — and peak RSS.
Cycled rows flatter the word caches equally in every measurement.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import pandas as pd

from tppo_screen.config import DEFAULT_MODEL, ROOT
from tppo_screen.model.artifacts import load_model
from tppo_screen.model.scoring import score_frame, score_texts
from tppo_screen.model.text import fold_many


def timed(function, *args) -> float:  # noqa: ANN001 - a benchmark helper
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    args = parser.parse_args()
    model = load_model(args.model)
    catalogue = model.catalogue
    corpus = pd.concat([pd.read_csv(ROOT / "data" / name) for name in ("train.csv", "test.csv")])
    lokerid = corpus.loc[corpus["source"] == "lokerid", "text"].tolist()
    texts = [lokerid[i % len(lokerid)] for i in range(args.rows)]
    frame = pd.DataFrame({"text": texts})
    words = sum(len(t.split()) for t in texts) / len(texts)
    print(f"{len(texts):,} ads ({len(lokerid):,} distinct Loker.id ads, {words:.0f} words on average)")

    score_frame(model, frame.head(500), "text")  # warm-up: imports, stemmer, caches
    total = timed(score_frame, model, frame, "text")
    folded = fold_many(texts)
    matching = timed(lambda: [catalogue.match_folded(f) for f in folded])
    standalone = timed(lambda: [catalogue.match(t) for t in texts])
    explain_rows = texts[:1000]
    explained = timed(score_texts, model, explain_rows)

    base = total - matching
    print(f"(a) score_frame, catalogue features included: {len(texts) / total:8.0f} ads/s ({total:.2f} s)")
    print(f"(b) catalogue matching inside (a):            {matching:8.2f} s")
    print(f"    overhead of matching on scoring:          {matching / base:8.1%}  (target ≤ 30%)")
    share = standalone / base
    print(f"(c) matching from raw text (fold + match):    {standalone:8.2f} s = {share:.1%} of (a) − (b)")
    print(f"(d) score_texts with explanations:            {len(explain_rows) / explained:8.0f} ads/s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
