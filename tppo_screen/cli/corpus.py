"""`tppo-screen corpus …`: the offline corpus tooling as sub-commands of the one command line.

    tppo-screen corpus build [--raw ../shared/data/raw] [--out data] [--json]
    tppo-screen corpus stats [--data data] [--json]
    tppo-screen corpus gallery [--listings data/samples/listings.csv] [--out …/web/gallery.json]

Mounted by `tppo_screen.cli.app` (`app.add_typer`). This module imports only typer, rich, `config`,
`errors` and `cli.common` at import time; the corpus modules (pandas, scikit-learn) load inside the
commands, so `tppo-screen --help` stays fast. Messages go to stderr, results to stdout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from tppo_screen.cli.common import err, user_errors
from tppo_screen.config import DATA_DIR, ROOT
from tppo_screen.errors import InputError

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Build the training corpus in data/ and the demo page's gallery (offline tooling).",
)
out = Console()
RAW = ROOT.parent / "shared" / "data" / "raw"


def _shown(path: Path) -> str:
    """`path` relative to the working directory when it lies under it (for help and messages)."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


JsonOption = Annotated[
    bool, typer.Option("--json", help="Print the whole statistics as JSON on stdout (for scripts).")
]


@app.command()
def build(
    raw: Annotated[
        Path,
        typer.Option(
            help="Folder with the raw sources (lokerid_jobs/, maganghub_internships/, dtp_job_postings/; "
            "see its SOURCES.md). Default: ../shared/data/raw beside the project.",
            show_default=False,
        ),
    ] = RAW,
    data: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Data folder: read authored/, real/ and samples/listings.csv from it; write train.csv, "
            "test.csv, real/test.csv, samples/listings.csv and stats.json into it. Default: the "
            "project's data/.",
            show_default=False,
        ),
    ] = DATA_DIR,
    as_json: JsonOption = False,
) -> None:
    """Rebuild the corpus (`make data`): mask, group and split the raw portal ads, the hand-written
    ads and the real-world texts; same inputs, same files, byte for byte."""
    from tppo_screen.corpus.build import build as build_corpus

    with user_errors():
        try:
            stats = build_corpus(raw, data)
        except KeyboardInterrupt:
            err.print(f"interrupted: files under {escape(_shown(data))} may be half rebuilt; run again")
            raise typer.Exit(code=130) from None
    if as_json:
        typer.echo(json.dumps(stats, indent=2))
    else:
        _print_summary(stats, data, err)


@app.command()
def stats(
    data: Annotated[
        Path,
        typer.Option(
            help="Data folder whose stats.json to show (written by `corpus build`). Default: the "
            "project's data/.",
            show_default=False,
        ),
    ] = DATA_DIR,
    as_json: JsonOption = False,
) -> None:
    """Summarise the last build's statistics (rows per split, what was dropped, groups, and
    whether style or length alone give the label away) without rebuilding."""
    path = data / "stats.json"
    with user_errors():
        if not path.is_file():
            raise InputError(f"{_shown(path)}: not found; run `tppo-screen corpus build` first")
        figures = json.loads(path.read_text(encoding="utf-8"))
    if as_json:
        typer.echo(json.dumps(figures, indent=2))
    else:
        _print_summary(figures, data, out)


def _print_summary(stats: dict[str, Any], data: Path, console: Console) -> None:
    rows = stats["rows"]
    dropped = sum(stats["dropped_non_indonesian_or_short"].values())
    duplicates = sum(stats["dropped_exact_duplicates"].values())
    console.print(
        f"corpus in {escape(_shown(data))}: {rows['train']:,} train, {rows['test']:,} test, "
        f"{rows['real_test']:,} real-world test, {rows['samples']:,} demo listings",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        f"  dropped: {dropped:,} non-Indonesian or short, {duplicates:,} exact duplicates, "
        f"{len(stats['heldout_dropped_as_seen'])} held-out real-world texts already seen",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        f"  {stats['groups']:,} groups (largest {stats['largest_group']:,}), "
        f"{stats['twin_pairs']:,} counterfactual twins",
        highlight=False,
        soft_wrap=True,
    )
    console.print(
        f"  style alone: ROC-AUC {stats['style_only_roc_auc']:.3f}; "
        f"length alone: {stats['length_only_roc_auc']:.3f} (0.5 = says nothing about the label)",
        highlight=False,
        soft_wrap=True,
    )
    console.print(f"  all figures: {escape(_shown(data / 'stats.json'))}", highlight=False, soft_wrap=True)


@app.command()
def gallery(
    listings: Annotated[
        Path | None,
        typer.Option(
            help="CSV with columns id, source, text to take the picks from. "
            "Default: data/samples/listings.csv.",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Gallery JSON to write. Default: tppo_screen/serving/web/gallery.json (the demo page's).",
        ),
    ] = None,
) -> None:
    """Rewrite the demo page's gallery from the sample listings: the hand-picked ads (`PICKS` in
    tppo_screen/corpus/gallery.py), texts verbatim."""
    from collections import Counter

    from tppo_screen.corpus.gallery import GALLERY, LISTINGS, build_gallery, write_gallery

    target = output if output is not None else GALLERY
    with user_errors():
        ads = build_gallery(listings if listings is not None else LISTINGS)
        write_gallery(ads, target)
    counts = ", ".join(f"{n} {label}" for label, n in sorted(Counter(ad["label"] for ad in ads).items()))
    err.print(f"{len(ads)} ads ({counts}) → {escape(_shown(target))}", highlight=False)
