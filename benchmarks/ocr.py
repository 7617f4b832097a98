"""Pictures: how fast OCR + scoring runs, with one and two worker processes, and its peak memory.

    .venv/bin/python scripts/render_posters.py      # out/posters (or --posters DIR of pictures)
    nice -n 10 .venv/bin/python benchmarks/ocr.py [--pictures 48] [--posters out/posters]

The pictures are the first --pictures of the rendered set in path order (every degradation in
turn: clean, rotate, JPEG, noise, blur, screenshot, forwarded). In one run, on the same
pictures, baseline first:
  (a) the one path a picture takes (`decode.load_image` → `ocr.read_text` → `scoring.score_texts`,
      as `images.scoring.score_image` does), one worker: in this process, one picture after the
      other; then two workers: a pool of two spawned processes, the model loaded once in each.
      Printed: pictures/s, p50/p95 seconds per picture, and the ratio two/one.
  (b) the analyst's command, `tppo-screen score FOLDER -o out.csv` with --workers 1 and 2, each in
      a child process whose whole tree (our processes and the Tesseract processes they start)
      is sampled every 50 ms for its summed RSS. Printed: pictures/s, peak RSS, ratios.
Tesseract is a separate process per picture (Debian `tesseract-ocr`), so two workers can at
most double the speed on two free cores; the machine's load average is printed with the figures.

Measured on 2026-12-06 on the 2-core VM shared with other jobs, two sittings:
  48 pictures, load average 1.7 → 1.6:
  (a) 1 worker 1.93 pictures/s, p50 0.40 s, p95 1.23 s; 2 workers 3.69 pictures/s, p50 0.44 s,
      p95 1.21 s (1.90x); this process's peak RSS 270 MB
  (b) --workers 1: 28.1 s, 1.71 pictures/s, peak RSS 351 MB; --workers 2: 21.9 s, 2.19
      pictures/s, peak RSS 941 MB (1.28x pictures/s: starting two workers costs seconds; 2.68x RSS)
  32 pictures, load average 3.7 → 3.1 (cores busy with other jobs):
  (a) 1 worker 1.90 pictures/s, p50 0.50 s, p95 0.74 s; 2 workers 1.45 pictures/s (0.76x)
  (b) --workers 1 1.76 pictures/s, 350 MB; --workers 2 1.29 pictures/s (0.73x), 909 MB
A Tesseract fills a core: a second worker pays off only when a core is free for it.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import psutil  # type: ignore[import-untyped]

from tppo_screen.config import DEFAULT_MODEL
from tppo_screen.images.decode import load_image
from tppo_screen.images.ocr import read_text
from tppo_screen.model.artifacts import Model, load_model
from tppo_screen.model.scoring import score_texts

PICTURE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp"}
_model: Model | None = None  # in a worker process: the model, loaded once


def _load(path: str) -> None:
    global _model
    _model = load_model(path)


def one_picture(path: str) -> float:
    """Seconds to decode, OCR and score one picture (with the model this process loaded)."""
    assert _model is not None
    started = time.perf_counter()
    image = load_image(Path(path).read_bytes())
    score_texts(_model, [read_text(image).text])
    return time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def in_process(pictures: list[str], workers: int, model: Path) -> tuple[float, list[float]]:
    """(wall seconds, seconds per picture) with `workers` processes (1: this one)."""
    if workers == 1:
        _load(str(model))
        one_picture(pictures[0])  # warm: imports, the word caches, Tesseract's files in the page cache
        started = time.perf_counter()
        seconds = [one_picture(p) for p in pictures]
        return time.perf_counter() - started, seconds
    context = get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_load, initargs=(str(model),)) as pool:
        list(pool.map(one_picture, pictures[:workers]))  # warm each worker
        started = time.perf_counter()
        seconds = list(pool.map(one_picture, pictures))
    return time.perf_counter() - started, seconds


def tree_rss(process: psutil.Process) -> int:
    """Summed RSS of `process` and its descendants (0 once it has ended)."""
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            pass
    return total


def command(folder: Path, workers: int, model: Path) -> tuple[float, int]:
    """(wall seconds, peak summed RSS in bytes) of `tppo-screen score FOLDER --workers N`."""
    output = folder.parent / f"scored-{workers}.csv"
    cli = Path(__file__).resolve().parent.parent / "cli.py"
    args = [sys.executable, str(cli), "score", str(folder), "-o", str(output), "--quiet"]
    args += ["--workers", str(workers), "--model", str(model)]
    started = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    watched, peak, done = psutil.Process(child.pid), 0, threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(watched))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = child.wait()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if code != 0:
        raise SystemExit(f"tppo-screen score exited with {code}")
    return seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posters", type=Path, default=Path("out/posters"))
    parser.add_argument("--pictures", type=int, default=48)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    args = parser.parse_args()
    found = sorted(p for p in args.posters.iterdir() if p.suffix.lower() in PICTURE_SUFFIXES)
    pictures = [str(p) for p in found[: args.pictures]]
    if not pictures:
        raise SystemExit(f"no pictures in {args.posters}: run scripts/render_posters.py first")
    print(f"{len(pictures)} pictures from {args.posters}; load average {os.getloadavg()[0]:.1f} at the start")
    print("(a) decode + OCR + score, per picture")
    rates = {}
    for workers in (1, 2):
        wall, seconds = in_process(pictures, workers, args.model)
        rates[workers] = len(pictures) / wall
        print(
            f"  {workers} worker{'s' if workers > 1 else ' '}  {rates[workers]:5.2f} pictures/s  "
            f"p50 {statistics.median(seconds):.2f} s  p95 {percentile(seconds, 0.95):.2f} s"
        )
    print(f"  ratio two/one: {rates[2] / rates[1]:.2f}x pictures/s")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS: this process {own:.0f} MB (one worker, with the model)")
    print("(b) tppo-screen score FOLDER -o out.csv (the whole process tree, Tesseract included)")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "pictures"
        folder.mkdir()
        for path in pictures:
            shutil.copy(path, folder)
        measured = {workers: command(folder, workers, args.model) for workers in (1, 2)}
    for workers, (wall, peak) in measured.items():
        print(
            f"  --workers {workers}  {wall:5.1f} s  {len(pictures) / wall:5.2f} pictures/s  "
            f"peak RSS {peak / 2**20:.0f} MB"
        )
    (one_s, one_rss), (two_s, two_rss) = measured[1], measured[2]
    print(f"  ratios two/one: {one_s / two_s:.2f}x pictures/s, {two_rss / one_rss:.2f}x peak RSS")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
