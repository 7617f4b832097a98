"""How the red-flag catalogue behaves on the corpus: examples, firing rates, agreement.

Usage: python scripts/redflag_report.py [--catalogue FILE] [--data data] [--sources lokerid]

For each entry: its severity, the share of real legitimate ads it fires on (the chosen
portal sources; a red flag above 2% must be severity "low"), the share of high-risk ads it
fires on, and — for red flags — recall against the hand annotations (`red_flags` column of the
authored and twin ads). Failing `fires`/`quiet` examples are listed first. Exit code 1 when an
example fails or a medium/high flag fires on more than 2% of real legit ads.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from tppo_screen.model.catalogue import example_failures, load_catalogue

MAX_LEGIT_RATE = 0.02


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalogue", type=Path, default=None, help="catalogue TOML (default: shipped)")
    parser.add_argument("--data", type=Path, default=Path("data"))
    parser.add_argument(
        "--sources", default="lokerid", help="comma-separated real sources for the legit rate"
    )
    args = parser.parse_args()
    catalogue = load_catalogue(args.catalogue)
    failures = example_failures(catalogue)
    for failure in failures:
        print("EXAMPLE", failure)
    corpus = pd.concat(
        [
            pd.read_csv(args.data / name, dtype=str, keep_default_na=False)
            for name in ("train.csv", "test.csv")
        ]
    )
    legit = corpus[corpus["source"].isin(args.sources.split(","))]
    risky = corpus[corpus["label"] == "high_risk"]
    fired_legit = [{m.id for m in catalogue.match(t)} for t in legit["text"]]
    fired_risky = [{m.id for m in catalogue.match(t)} for t in risky["text"]]
    annotated = [set(filter(None, f.split(";"))) for f in risky["red_flags"]]
    too_common = []
    print(f"{len(legit)} real legit ads ({args.sources}), {len(risky)} high-risk ads")
    print(f"{'id':34} {'kind':5} {'sev':6} {'legit%':>7} {'risky%':>7} {'recall':>7}")
    for entry in catalogue.entries:
        legit_rate = sum(entry.id in f for f in fired_legit) / max(len(legit), 1)
        risky_rate = sum(entry.id in f for f in fired_risky) / max(len(risky), 1)
        having = [f for f, a in zip(fired_risky, annotated, strict=True) if entry.id in a]
        recall = f"{sum(entry.id in f for f in having) / len(having):7.1%}" if having else "      -"
        print(f"{entry.id:34} {entry.kind:5} {entry.severity:6} {legit_rate:7.2%} {risky_rate:7.1%} {recall}")
        if entry.kind == "red" and entry.severity != "low" and legit_rate > MAX_LEGIT_RATE:
            too_common.append(entry.id)
    if too_common:
        print(
            f"medium/high flags firing on > {MAX_LEGIT_RATE:.0%} of real legit ads: {', '.join(too_common)}"
        )
    return 1 if failures or too_common else 0


if __name__ == "__main__":
    sys.exit(main())
