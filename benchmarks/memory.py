"""Memory of one scoring process under unseen-word traffic (issue 21).

    .venv/bin/python benchmarks/memory.py [--minutes 10] [--model models/default.joblib]
    .venv/bin/python benchmarks/memory.py --minutes 1      # quick

Feeds synthetic ads made of never-seen words (random letters, a few with digits, mixed with
common ad words) through `score_texts`, as a serving worker would, in one process, and prints
the resident set size (RSS) every 10 s, then the ceiling (the largest RSS seen), the growth
over the last half of the run and the word caches' accounted bytes. With caches bounded in
bytes, RSS levels off once they are full; unbounded, it climbs for as long as new words come.
"""

from __future__ import annotations

import argparse
import random
import string
import time
from pathlib import Path

from tppo_screen.config import DEFAULT_MODEL
from tppo_screen.model.artifacts import load_model
from tppo_screen.model.scoring import score_texts

COMMON = "lowongan kerja gaji besar dicari staf admin kirim cv via wa hubungi segera".split()


def rss_mb() -> float:
    """This process's resident set size now, from /proc (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def unseen_ad(rng: random.Random, words: int = 150) -> str:
    """An ad of mostly never-seen words (4–14 letters; one in ten with a digit)."""
    out = []
    for _ in range(words):
        if rng.random() < 0.2:
            out.append(rng.choice(COMMON))
            continue
        word = "".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 14)))
        if rng.random() < 0.1:
            at = rng.randrange(1, len(word))
            word = word[:at] + rng.choice("0134579") + word[at:]
        out.append(word)
    return " ".join(out)


def cache_bytes() -> int | None:
    """The word caches' accounted bytes, when this version of tppo-screen has them."""
    try:
        from tppo_screen.model.memo import total_bytes
    except ImportError:
        return None
    return total_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--seed", type=int, default=21)
    args = parser.parse_args()
    model = load_model(args.model)
    rng = random.Random(args.seed)
    score_texts(model, [unseen_ad(rng)])
    print(f"after load and one ad: RSS {rss_mb():.0f} MB", flush=True)
    started = time.monotonic()
    end, next_print, ads, samples = started + args.minutes * 60, started + 10, 0, []
    while (now := time.monotonic()) < end:
        score_texts(model, [unseen_ad(rng) for _ in range(8)])
        ads += 8
        if now >= next_print:
            samples.append((now - started, rss_mb()))
            accounted = cache_bytes()
            caches = "" if accounted is None else f", caches {accounted / 2**20:.1f} MB"
            print(f"{now - started:5.0f} s  {ads:7d} ads  RSS {samples[-1][1]:6.0f} MB{caches}", flush=True)
            next_print += 10
    ceiling = max(rss for _, rss in samples) if samples else rss_mb()
    half = [rss for t, rss in samples if t >= args.minutes * 30]
    growth = (half[-1] - half[0]) if len(half) > 1 else float("nan")
    print(f"ceiling: RSS {ceiling:.0f} MB over {args.minutes:g} min, {ads} ads; ", end="")
    print(f"growth over the last half {growth:+.0f} MB")


if __name__ == "__main__":
    main()
