"""OCR accuracy on the rendered posters, per degradation and per preprocessing step.

    .venv/bin/python scripts/render_posters.py            # out/posters/ + manifest.csv
    nice -n 10 .venv/bin/python benchmarks/ocr_accuracy.py [--posters out/posters] [--jobs 2]
        [--preprocess auto,none,gray,gray_upscale,threshold]

Each picture is decoded (`images.decode.load_image`) and read (`images.ocr.read_text`) once per
preprocessing step; the text read is then scored through the one scoring path. Readings are
cached in POSTERS/ocr_cache.jsonl (keyed by picture and step name: delete it after changing
what a step does) and taken in an order that makes a run stopped early still
useful: the first step (default: what "auto" means) on the first 32 ads, the other steps on the
first 8, then the rest. Tables: every step on the pictures read with all of them; the first step
on every picture read with it.

Word accuracy = 1 - WER over words: the truth (the text drawn, see the manifest) and the OCR
text are split into words (maximal runs of letters and digits, case folded, after NFKC: "Gaji:"
and "gaji" are one word, "Rp4.500.000" is three), WER = word-level edit distance (substitutions
+ deletions + insertions) / words of the truth, summed over the pictures of a row (micro
average), floored at 0. "recall" is the share of the truth's words found in order (longest
common subsequence / words of the truth), which extra words read from the frame do not lower.
Level agreement = share of pictures whose OCR text gets the risk level of the ad's text (the
trimmed ad as in data/, emoji included). Targets: clean >= 95%, each degradation >= 80%,
agreement >= 90%. Prints one table per measure and writes every picture's figures to
POSTERS/ocr_results.csv.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import time
import unicodedata
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tppo_screen.config import DEFAULT_MODEL
from tppo_screen.images.decode import load_image
from tppo_screen.images.ocr import PREPROCESS, read_text
from tppo_screen.model.artifacts import load_model
from tppo_screen.model.scoring import score_texts

WORD = re.compile(r"[^\W_]+")
TARGETS = {"words": 0.95, "recall": 0.95, "agreement": 0.90}  # clean; degraded word accuracy: 0.80


def words(text: str) -> list[str]:
    return WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def edit_distance(truth: list[str], read: list[str]) -> int:
    """Word-level Levenshtein distance (one row of the table at a time)."""
    previous = list(range(len(read) + 1))
    for i, word in enumerate(truth, 1):
        current = [i]
        for j, other in enumerate(read, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != other)))
        previous = current
    return previous[-1]


def common_in_order(truth: list[str], read: list[str]) -> int:
    """Length of the longest common subsequence of the two word lists."""
    previous = [0] * (len(read) + 1)
    for word in truth:
        current = [0]
        for j, other in enumerate(read, 1):
            current.append(previous[j - 1] + 1 if word == other else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def ocr_one(task: tuple[str, str]) -> dict[str, object]:
    """Read one picture with one preprocessing step (runs in a worker process)."""
    path, preprocess = task
    started = time.perf_counter()
    try:
        result = read_text(load_image(Path(path).read_bytes()), preprocess=preprocess)
        text, confidence, error = result.text, result.confidence, ""
    except Exception as exc:  # noqa: BLE001 - a failed picture is a row of the table, not the end of the run
        text, confidence, error = "", 0.0, f"{type(exc).__name__}: {exc}"
    return {"text": text, "confidence": confidence, "error": error, "seconds": time.perf_counter() - started}


def _urgency(task: tuple[str, str], steps: list[str]) -> tuple[int, int, int]:
    """Reading order, so that a run stopped early still answers both questions: the first step
    on the first 32 ads, then the other steps on the first 8, then the rest."""
    ad, step = int(Path(task[0]).name.split("_")[0]), steps.index(task[1])
    rank = (0 if ad < 32 else 2) if step == 0 else (1 if ad < 8 else 3)
    return rank, ad, step


def read_all(
    tasks: list[tuple[str, str]], steps: list[str], jobs: int, cache: Path, cached_only: bool
) -> list[dict[str, object] | None]:
    """What OCR read for every (picture, step), in `jobs` processes, step by step in the order of
    `steps`; each result is also appended to `cache` (JSON lines keyed by file name, its size and
    the step), so a run that is stopped carries on where it was and a rerun on the same pictures
    costs nothing. With `cached_only` nothing is read: None where the cache has no reading."""
    done: dict[str, dict[str, object]] = {}
    if cache.exists():
        for line in cache.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            done[record.pop("key")] = record
    keys = [f"{Path(path).name}:{Path(path).stat().st_size}:{step}" for path, step in tasks]
    todo = [(task, key) for task, key in zip(tasks, keys, strict=True) if key not in done]
    todo = [] if cached_only else sorted(todo, key=lambda item: _urgency(item[0], steps))
    print(f"{len(tasks) - len(todo)} of {len(tasks)} readings cached; reading {len(todo)}", flush=True)
    with ProcessPoolExecutor(jobs) as pool, cache.open("a", encoding="utf-8") as out:
        results = pool.map(ocr_one, [task for task, _ in todo], chunksize=2)
        for n, ((_, key), result) in enumerate(zip(todo, results, strict=True), 1):
            done[key] = result
            out.write(json.dumps({"key": key, **result}, ensure_ascii=False) + "\n")
            out.flush()
            if n % 50 == 0:
                print(f"  {n} of {len(todo)} read", flush=True)
    return [done.get(key) for key in keys]


def measure(
    posters: Path, steps: list[str], jobs: int, limit: int | None, cached_only: bool = False
) -> list[dict[str, object]]:
    with (posters / "manifest.csv").open(encoding="utf-8", newline="") as handle:
        manifest = list(csv.DictReader(handle))
    if limit:
        kept_ads = sorted({row["ad"] for row in manifest}, key=int)[:limit]
        manifest = [row for row in manifest if row["ad"] in kept_ads]
    tasks = [(str(posters / row["poster"]), step) for row in manifest for step in steps]
    found = read_all(tasks, steps, jobs, posters / "ocr_cache.jsonl", cached_only)
    kept = [n for n, outcome in enumerate(found) if outcome is not None]
    tasks, read = [tasks[n] for n in kept], [found[n] or {} for n in kept]
    model = load_model(DEFAULT_MODEL)
    originals = {row["ad"]: row["text"] for row in manifest}
    ads = list(originals)
    scored = score_texts(model, [originals[ad] for ad in ads], top_k=0)
    original_level = {ad: score.level for ad, score in zip(ads, scored, strict=True)}
    levels = [s.level for s in score_texts(model, [str(r["text"]) for r in read], top_k=0)]
    results = []
    for n, (_, step), outcome, level in zip(kept, tasks, read, levels, strict=True):
        row = manifest[n // len(steps)]
        truth, got = words(row["truth"]), words(str(outcome["text"]))
        results.append({
            "poster": row["poster"], "degradation": row["degradation"], "label": row["label"],
            "register": row["register"], "font": row["font"], "preprocess": step,
            "truth_words": len(truth), "edits": edit_distance(truth, got),
            "found": common_in_order(truth, got),
            "confidence": outcome["confidence"], "seconds": round(float(str(outcome["seconds"])), 3),
            "level": level, "original_level": original_level[row["ad"]], "error": outcome["error"],
        })  # fmt: skip
    return results


def table(results: list[dict[str, object]], steps: list[str], measure_name: str) -> list[str]:
    """Markdown: a row per degradation (and all degraded, all), a column per step."""
    groups: dict[tuple[str, str], list[dict[str, object]]] = defaultdict(list)
    order: list[str] = []
    for row in results:
        kind = str(row["degradation"])
        order += [] if kind in order else [kind]
        for name in (kind, "all degraded" if kind != "clean" else "", "all"):
            if name:
                groups[(name, str(row["preprocess"]))].append(row)
    lines = [f"| {measure_name} | pictures | " + " | ".join(steps) + " |", "|---" * (len(steps) + 2) + "|"]
    for kind in [*order, "all degraded", "all"]:
        counts = {len(groups[(kind, step)]) for step in steps}
        cells = [
            _figure(groups[(kind, step)], measure_name)
            + ("" if len(counts) == 1 else f" (n={len(groups[(kind, step)])})")
            for step in steps
        ]
        lines.append(f"| {kind} | {max(counts)} | " + " | ".join(cells) + " |")
    return lines


def _figure(rows: list[dict[str, object]], measure_name: str) -> str:
    if not rows:
        return "-"
    truth = sum(int(str(r["truth_words"])) for r in rows)
    if measure_name == "word accuracy":
        value = max(0.0, 1 - sum(int(str(r["edits"])) for r in rows) / max(truth, 1))
    elif measure_name == "recall in order":
        value = sum(int(str(r["found"])) for r in rows) / max(truth, 1)
    elif measure_name == "level agreement":
        value = sum(r["level"] == r["original_level"] for r in rows) / len(rows)
    else:  # seconds per picture
        return f"{sum(float(str(r['seconds'])) for r in rows) / len(rows):.2f}"
    return f"{value:.1%}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posters", type=Path, default=Path("out/posters"))
    parser.add_argument(
        "--preprocess",
        default=",".join(sorted(PREPROCESS, key=lambda step: step != "auto")),
        help="comma-separated steps to compare, read in this order",
    )
    parser.add_argument("--cached-only", action="store_true", help="tables from the cached readings only")
    parser.add_argument("--jobs", type=int, default=2, help="OCR processes")
    parser.add_argument("--limit", type=int, default=None, help="only the first N ads (each in every kind)")
    args = parser.parse_args()
    steps = args.preprocess.split(",")
    started = time.perf_counter()
    results = measure(args.posters, steps, args.jobs, args.limit, args.cached_only)
    print(
        f"{len(results)} readings ({len(steps)} preprocessing steps) in {time.perf_counter() - started:.0f} s"
    )
    print(f"failures: {sum(bool(r['error']) for r in results)}\n")
    per_picture: dict[str, int] = defaultdict(int)
    for row in results:
        per_picture[str(row["poster"])] += 1
    same = [row for row in results if per_picture[str(row["poster"])] == len(steps)]
    print(f"## Every step on the same {len(same) // len(steps)} pictures\n")
    for name in ("word accuracy", "recall in order", "level agreement", "seconds per picture"):
        print("\n".join(table(same, steps, name)), end="\n\n")
    first = [row for row in results if row["preprocess"] == steps[0]]
    print(f"## {steps[0]} on every picture read with it ({len(first)})\n")
    for name in ("word accuracy", "recall in order", "level agreement"):
        print("\n".join(table(first, steps[:1], name)), end="\n\n")
    with (args.posters / "ocr_results.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(results[0]))
        writer.writeheader()
        writer.writerows(results)


if __name__ == "__main__":
    main()
