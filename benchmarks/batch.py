"""Batch scoring speed and memory on Loker.id-length ads with fresh vocabulary.

    .venv/bin/python benchmarks/batch.py [--rows 50000] [--novel 0.05] [--baseline-rows 30] [--workers 1]

Ads are built from the real Loker.id ads of data/: each keeps a real ad's length and layout,
with a share of its words (--novel, default 5%) replaced by invented words ("karumesa",
"pelitoran"), so the stem cache keeps meeting new vocabulary as on a fresh scrape. For scale: the
4,606 real portal ads of data/ hold 16,485 distinct words; 4,606 ads built with 2% novel words
hold about 17,800, with 5% about 25,700 — 5% is a harsher vocabulary than real ads. In one run:
  (a) the full pipeline: `tppo-screen score` (streaming, fold → PySastrawi stems + cache →
      TF-IDF + catalogue → model) on all rows, in a child process whose peak RSS is measured;
  (b) the ceiling: the same features without stemming (words as folded), trained on data/train.csv
      in this process and scored on the same rows through the same `score_frame`, in the CLI's
      chunks but without reading or writing a file;
  (c) the naive baseline many projects use: the old `Sastrawi` 1.0.1 package's `stem()` on each
      whole ad, in its own virtual environment (benchmarks/.venv-sastrawi101, created on first
      run), on --baseline-rows ads (it is slow).
Prints ads/s and peak RSS of each and the ratios a/b and a/c (targets: a ≥ 0.5 × b, a ≥ 50 × c).
With --rss-rows 50000,200000 it also scores those sizes and compares peak RSS (target: within 20%).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
BASELINE_VENV = ROOT / "benchmarks" / ".venv-sastrawi101"
SYLLABLES = "ka ru me sa pe li to ran ba du ni go la si ta mu ke wa ri no ha pu de".split()


def fresh_ads(rows: int, novel: float = 0.05, seed: int = 7) -> pd.DataFrame:
    corpus = pd.concat([pd.read_csv(ROOT / "data" / name) for name in ("train.csv", "test.csv")])
    lokerid = corpus.loc[corpus["source"] == "lokerid", "text"].tolist()
    rng = random.Random(seed)
    texts = []
    for i in range(rows):
        words = lokerid[i % len(lokerid)].split(" ")
        for j in range(len(words)):
            if words[j].isalpha() and rng.random() < novel:
                words[j] = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        texts.append(" ".join(words))
    return pd.DataFrame({"id": [f"ad-{i}" for i in range(rows)], "text": texts})


CHILD = """
import re, sys, time
from typer.main import get_command
from tppo_screen.cli import app
started = time.perf_counter()
try:
    get_command(app)(sys.argv[1:])
except SystemExit as exc:
    if exc.code:
        raise
elapsed = time.perf_counter() - started
status = open("/proc/self/status").read()  # VmHWM: this process's own peak RSS (ru_maxrss
hwm = int(re.search(r"VmHWM:\\s+(\\d+)", status).group(1))  # would include the parent's at fork)
print(elapsed, hwm / 1024, file=sys.stderr)
"""


def cli_score(path: Path, out: Path, workers: int) -> tuple[float, float]:
    """(ads/s, peak RSS MB) of `tppo-screen score` in a child process."""
    args = ["score", str(path), "-o", str(out), "--quiet", "--top", "0", "--workers", str(workers)]
    done = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True, check=True)
    elapsed, peak = map(float, done.stderr.strip().splitlines()[-1].split())
    return len(pd.read_csv(path, usecols=["id"])) / elapsed, peak


def ceiling(frame: pd.DataFrame) -> float:
    """ads/s of the same features without stemming (this process)."""
    from tppo_screen.model.artifacts import Model, ModelCard, Thresholds
    from tppo_screen.model.pipeline import build_pipeline
    from tppo_screen.model.scoring import score_frame

    train = pd.read_csv(ROOT / "data" / "train.csv")
    pipeline = build_pipeline().set_params(features__words__tokenizer=str.split)
    pipeline.fit(train["text"].tolist(), (train["label"] == "high_risk").astype(int))
    card = ModelCard.model_construct(name="no-stemming", thresholds=Thresholds(medium=0.5, high=0.9))
    model = Model(pipeline, card)
    started = time.perf_counter()
    for start in range(0, len(frame), 5_000):  # the CLI's chunks, without reading and writing
        score_frame(model, frame.iloc[start : start + 5_000])
    return len(frame) / (time.perf_counter() - started)


def naive_baseline(frame: pd.DataFrame, rows: int) -> float:
    """ads/s of Sastrawi 1.0.1 `stem()` per ad, in its own virtual environment."""
    python = BASELINE_VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {BASELINE_VENV} with Sastrawi==1.0.1 …", file=sys.stderr)
        venv.create(BASELINE_VENV, with_pip=True)
        subprocess.run([python, "-m", "pip", "install", "-q", "Sastrawi==1.0.1"], check=True)
    code = (
        "import json, sys, time\n"
        "from Sastrawi.Stemmer.StemmerFactory import StemmerFactory\n"
        "texts = json.load(sys.stdin)\n"
        "stemmer = StemmerFactory().create_stemmer()\n"
        "started = time.perf_counter()\n"
        "for text in texts: stemmer.stem(text)\n"
        "print(len(texts) / (time.perf_counter() - started))\n"
    )
    texts = frame["text"].head(rows).tolist()
    done = subprocess.run(
        [python, "-c", code], input=json.dumps(texts), capture_output=True, text=True, check=True
    )
    return float(done.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--baseline-rows", type=int, default=30)
    parser.add_argument("--novel", type=float, default=0.05, help="share of words replaced by invented ones")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--rss-rows", default="", help="comma-separated sizes for the RSS check, e.g. 50000,200000"
    )
    args = parser.parse_args()
    frame = fresh_ads(args.rows, args.novel)
    words = frame["text"].str.split().str.len().mean()
    distinct = len({w for t in frame["text"] for w in t.split()})
    print(f"{len(frame):,} ads, {words:.0f} words each on average, {distinct:,} distinct words", end=" ")
    print(f"({args.novel:.0%} of words novel)")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "ads.csv"
        frame.to_csv(source, index=False)
        a, a_rss = cli_score(source, Path(tmp) / "scored.csv", args.workers)
        print(f"(a) full pipeline, tppo-screen score, {args.workers} worker(s): {a:7.0f} ads/s", end=" ")
        print(f"(peak RSS {a_rss:.0f} MB)")
        b = ceiling(frame)
        print(f"(b) same features without stemming (ceiling):      {b:7.0f} ads/s")
        c = naive_baseline(frame, args.baseline_rows)
        print(f"(c) Sastrawi 1.0.1 stem() per ad, {args.baseline_rows} ads:          {c:7.2f} ads/s")
        print(f"a/b = {a / b:.2f} (target ≥ 0.5)   a/c = {a / c:,.0f}× (target ≥ 50×)")
        sizes = [int(n) for n in args.rss_rows.split(",") if n]
        peaks = []
        for n in sizes:
            path = Path(tmp) / f"ads{n}.csv"
            fresh_ads(n, args.novel).to_csv(path, index=False)
            speed, rss = cli_score(path, Path(tmp) / f"scored{n}.csv", args.workers)
            peaks.append(rss)
            size = path.stat().st_size / 1e6
            print(f"{n:,} rows ({size:.0f} MB CSV): {speed:.0f} ads/s, peak RSS {rss:.0f} MB")
        if len(peaks) > 1:
            change = peaks[-1] / peaks[0] - 1
            print(f"peak RSS {sizes[-1]:,} vs {sizes[0]:,} rows: {change:+.0%} (target within ±20%)")
    print(f"this process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
