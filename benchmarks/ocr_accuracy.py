"""OCR accuracy on the rendered posters, per degradation and per preprocessing step.

    .venv/bin/python scripts/render_posters.py            # out/posters/ + manifest.csv
    nice -n 10 .venv/bin/python benchmarks/ocr_accuracy.py [--posters out/posters] [--jobs 2]
        [--preprocess none,gray,gray_upscale,threshold]

Each picture is decoded (`images.decode.load_image`) and read (`images.ocr.read_text`) once per
preprocessing step; the text read is then scored through the one scoring path.

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
import re
import time
import unicodedata
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tppo_screen.config import DEFAULT_MODEL
from tppo_screen.images.decode import load_image
from tppo_screen.images.ocr import AUTO, PREPROCESS, read_text
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


def measure(posters: Path, steps: list[str], jobs: int, limit: int | None) -> list[dict[str, object]]:
    with (posters / "manifest.csv").open(encoding="utf-8", newline="") as handle:
        manifest = list(csv.DictReader(handle))
    if limit:
        kept_ads = sorted({row["ad"] for row in manifest}, key=int)[:limit]
        manifest = [row for row in manifest if row["ad"] in kept_ads]
    tasks = [(str(posters / row["poster"]), step) for row in manifest for step in steps]
    with ProcessPoolExecutor(jobs) as pool:
        read = list(pool.map(ocr_one, tasks, chunksize=4))
    model = load_model(DEFAULT_MODEL)
    originals = {row["ad"]: row["text"] for row in manifest}
    ads = list(originals)
    scored = score_texts(model, [originals[ad] for ad in ads], top_k=0)
    original_level = {ad: score.level for ad, score in zip(ads, scored, strict=True)}
    levels = [s.level for s in score_texts(model, [str(r["text"]) for r in read], top_k=0)]
    results = []
    for n, ((_, step), outcome, level) in enumerate(zip(tasks, read, levels, strict=True)):
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
        cells = [_figure(groups[(kind, step)], measure_name) for step in steps]
        lines.append(f"| {kind} | {len(groups[(kind, steps[0])])} | " + " | ".join(cells) + " |")
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
    parser.add_argument("--preprocess", default=",".join(PREPROCESS), help="comma-separated steps to compare")
    parser.add_argument("--jobs", type=int, default=2, help="OCR processes")
    parser.add_argument("--limit", type=int, default=None, help="only the first N ads (each in every kind)")
    args = parser.parse_args()
    steps = args.preprocess.split(",")
    started = time.perf_counter()
    results = measure(args.posters, steps, args.jobs, args.limit)
    pictures = len(results) // len(steps)
    print(f"{pictures} pictures x {len(steps)} preprocessing steps in {time.perf_counter() - started:.0f} s")
    print(f'"auto" is currently {AUTO!r}; failures: {sum(bool(r["error"]) for r in results)}\n')
    for name in ("word accuracy", "recall in order", "level agreement", "seconds per picture"):
        print("\n".join(table(results, steps, name)), end="\n\n")
    with (args.posters / "ocr_results.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(results[0]))
        writer.writeheader()
        writer.writerows(results)


if __name__ == "__main__":
    main()
