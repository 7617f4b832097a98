"""The `tppo-screen` command line: parse, call the library, print. No scoring logic here."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.panel import Panel
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from tppo_screen.cli_errors import user_errors
from tppo_screen.config import DEFAULT_MODEL, Settings
from tppo_screen.corpus.cli import app as corpus_app
from tppo_screen.errors import InputError
from tppo_screen.model.catalogue import SEVERITIES

if TYPE_CHECKING:
    from tppo_screen.batch.score import BatchSummary
    from tppo_screen.model.scoring import FlagHit, Score

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Score Indonesian job ads for human-trafficking (TPPO) recruitment red flags.\n\n"
    "Scores are a screening aid for analysts and trainers, not a verdict: always check the "
    "evidence and the employer (SISKOP2MI, BP3MI, Disnaker).",
)
app.add_typer(corpus_app, name="corpus", help="Build the training corpus and the demo gallery (offline).")
out = Console()
err = Console(stderr=True)
LEVEL_STYLE = {"low": "green", "medium": "yellow", "high": "bold red", "error": "magenta"}

ModelOption = Annotated[
    Path | None,
    typer.Option(
        "--model",
        "-m",
        help="Model file (.joblib with its .card.json). "
        f"Default: $TPPO_MODEL_PATH or {DEFAULT_MODEL.relative_to(DEFAULT_MODEL.parents[1])}.",
    ),
]


def _model_path(model: Path | None) -> Path:
    return model if model is not None else Settings().model_path


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


CatalogueOption = Annotated[
    Path | None,
    typer.Option(
        "--catalogue",
        "-c",
        help="Red-flag catalogue TOML to explain with (default: the model's own, which is the "
        "shipped tppo_screen/model/redflags.toml). Your own file needs no code change.",
    ),
]
LanguageOption = Annotated[
    str, typer.Option("--lang", help="Language of labels and explanations: id or en.", case_sensitive=False)
]
SEVERITY_STYLE = {"high": "bold white on red", "medium": "black on yellow", "low": "underline yellow"}
GREEN_STYLE = "black on green"


def _language(lang: str) -> Literal["id", "en"]:
    lang = lang.lower()
    if lang not in ("id", "en"):
        raise InputError(f"--lang must be 'id' or 'en', not {lang!r}")
    return lang  # type: ignore[return-value]


@app.command()
def check(
    text: Annotated[str, typer.Argument(help="The ad text, or '-' to read it from stdin.")],
    model: ModelOption = None,
    catalogue: CatalogueOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the whole score as JSON (for scripts).")
    ] = False,
    top: Annotated[int, typer.Option(min=0, help="How many contributing terms to show.")] = 8,
    lang: LanguageOption = "id",
) -> None:
    """Score one ad and show the evidence: the ad with its red flags (red/yellow) and
    legitimacy cues (green) highlighted, what each sign means, and the terms that pushed the
    score up or down."""
    from tppo_screen.model.artifacts import load_model
    from tppo_screen.model.catalogue import load_catalogue
    from tppo_screen.model.scoring import score_texts

    with user_errors():
        language = _language(lang)
        if text == "-":
            text = sys.stdin.read()
        loaded = load_model(_model_path(model))
        explain_with = load_catalogue(catalogue) if catalogue is not None else None
        result = score_texts(loaded, [text], top_k=top, catalogue=explain_with, language=language)[0]
    if as_json:
        out.print_json(result.model_dump_json())
        raise typer.Exit(code=1 if result.level == "error" else 0)
    if result.level == "error":
        err.print(f"[bold red]error:[/] cannot score this text: {result.error}")
        raise typer.Exit(code=1)
    style = LEVEL_STYLE[result.level]
    out.print(
        f"risk score [bold]{result.score:.4f}[/]  level [{style}]{result.level}[/]  "
        f"(medium ≥ {loaded.thresholds.medium:.4f}, high ≥ {loaded.thresholds.high:.4f}; "
        f"model {loaded.version})"
    )
    for warning in result.warnings:
        err.print(f"[yellow]warning:[/] {escape(warning)}")
    out.print(Panel(_highlighted(text, result), title="the ad", title_align="left"))
    _print_reasons(result, language)
    _print_flags(result)
    if result.top_terms:
        table = Table(
            "term (stemmed)", "weight", "pushes towards", box=None, title="top terms", title_justify="left"
        )
        for term in result.top_terms:
            towards = "[red]risk[/]" if term.weight > 0 else "[green]legit[/]"
            table.add_row(escape(term.term), f"{term.weight:+.3f}", towards)
        out.print(table)


def _highlighted(text: str, result: Score) -> Text:
    """The ad as written, with every span of a red flag or cue styled."""
    rendered = Text(text)
    for hit in result.green_flags:
        for span in hit.spans:
            rendered.stylize(GREEN_STYLE, span.start, span.end)
    for hit in sorted(result.red_flags, key=lambda h: SEVERITIES.index(h.severity)):
        for span in hit.spans:
            rendered.stylize(SEVERITY_STYLE[hit.severity], span.start, span.end)
    return rendered


_REASON_TITLES = {
    "id": ("Menaikkan skor", "Menurunkan skor", "tidak ada"),
    "en": ("Raised the score", "Lowered the score", "nothing"),
}


def _print_reasons(result: Score, language: str) -> None:
    """What raised and what lowered the score, in plain words (`Score.reasons`)."""
    up, down, nothing = _REASON_TITLES[language]
    for title, lines, style in ((up, result.reasons.raised, "red"), (down, result.reasons.lowered, "green")):
        out.print(
            f"[bold {style}]{title}:[/] " + (escape("; ".join(lines)) if lines else f"[dim]{nothing}[/]")
        )


def _print_flags(result: Score) -> None:
    """One block per sign: badge, label, the model's weight, the evidence, then what it means."""
    if not result.red_flags and not result.green_flags:
        out.print("no red flag or legitimacy cue of the catalogue found")
        return
    red = sorted(result.red_flags, key=lambda h: -SEVERITIES.index(h.severity))
    for hit in [*red, *result.green_flags]:
        badge = Text(f" {hit.severity if hit in red else 'cue'} ", style=_hit_style(hit, hit in red))
        weight = "" if hit.weight is None else f"  [dim]weight {hit.weight:+.2f}[/]"
        evidence = " · ".join(f"“{span.text}”" for span in hit.spans)
        out.print(badge, f"[bold]{escape(hit.label)}[/] [dim]({hit.id})[/]{weight}")
        out.print(Padding(Text(evidence, style="italic"), (0, 0, 0, 3)))
        out.print(Padding(Text(hit.explanation, style="dim"), (0, 0, 0, 3)))


def _hit_style(hit: FlagHit, red: bool) -> str:
    return SEVERITY_STYLE[hit.severity] if red else GREEN_STYLE


@app.command("red-flags")
def red_flags(
    entry_id: Annotated[
        str | None, typer.Argument(help="Show one entry in full (e.g. passport_handling).")
    ] = None,
    catalogue: CatalogueOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the catalogue entries as JSON.")] = False,
    verify: Annotated[
        bool,
        typer.Option(
            "--check", help="Check that every entry fires on its `fires` and not on its `quiet` examples."
        ),
    ] = False,
    lang: LanguageOption = "id",
) -> None:
    """List the red-flag catalogue: the documented warning signs and legitimacy cues, their
    severity, what they mean and where they are documented."""
    from dataclasses import asdict

    from tppo_screen.model.catalogue import example_failures, load_catalogue

    with user_errors():
        language = _language(lang)
        loaded = load_catalogue(catalogue)
        entries = list(loaded.entries)
        if entry_id is not None:
            entries = [e for e in entries if e.id == entry_id]
            if not entries:
                raise InputError(
                    f"no entry {entry_id!r} in {loaded.source}; run `tppo-screen red-flags` for the list"
                )
    if verify:
        failures = example_failures(loaded)
        for failure in failures:
            err.print(f"[red]✗[/] {escape(failure)}", highlight=False)
        examples = sum(len(e.fires) + len(e.quiet) for e in loaded.entries)
        out.print(f"{examples - len(failures)} of {examples} examples behave as stated ({loaded.source})")
        raise typer.Exit(code=1 if failures else 0)
    if as_json:
        out.print_json(json.dumps([asdict(e) for e in entries], ensure_ascii=False))
        return
    if entry_id is not None:
        entry = entries[0]
        title = f"[bold]{escape(entry.label[language])}[/] ({entry.id})"
        out.print(f"{title} — {entry.kind} flag, severity {entry.severity}")
        out.print(escape(entry.explanation[language]))
        if entry.ilo_indicator:
            out.print(f"ILO forced-labour indicator: {escape(entry.ilo_indicator)}")
        for source in entry.sources:
            out.print(f"source: {escape(source)}", soft_wrap=True)
        for sentence in entry.fires:
            out.print(f"[red]fires[/]  {escape(sentence)}")
        for sentence in entry.quiet:
            out.print(f"[green]quiet[/]  {escape(sentence)}")
        return
    table = Table("id", "kind", "severity", "label", title=f"{len(entries)} entries from {loaded.source}")
    for entry in entries:
        severity = Text(
            entry.severity, style=SEVERITY_STYLE[entry.severity] if entry.kind == "red" else GREEN_STYLE
        )
        table.add_row(entry.id, entry.kind, severity, escape(entry.label[language]))
    out.print(table)


ScoreInput = Annotated[
    Path, typer.Argument(help="Listings file: .csv, .tsv, .jsonl or .parquet (text formats may be .gz).")
]
ScoreOutput = Annotated[
    Path, typer.Option("--output", "-o", help="Where to write the scored rows; format from its extension.")
]
TextColumnOption = Annotated[str, typer.Option(help="Column holding the ad text.")]
IdColumnOption = Annotated[str | None, typer.Option(help="Column to name rows by in the summary.")]
InputFormatOption = Annotated[
    str | None,
    typer.Option("--format", help="Input format when the extension does not say: csv, tsv, jsonl, parquet."),
]
OutputFormatOption = Annotated[
    str | None, typer.Option("--output-format", help="Output format when the extension does not say.")
]
MinLevelOption = Annotated[
    str,
    typer.Option(
        help="Write only rows at or above this level (low, medium, high); error rows are always kept."
    ),
]
ExplainOption = Annotated[
    bool, typer.Option("--explain", help="Add top_terms: the terms that moved each score.")
]
ErrorsOption = Annotated[
    Path | None,
    typer.Option("--errors", help="Where malformed lines go (default: OUTPUT.errors.csv beside the output)."),
]
LinkContactsOption = Annotated[
    bool,
    typer.Option(
        "--link-contacts",
        help="Add contact_group: ads sharing a phone/WhatsApp number, Telegram handle or e-mail "
        "(recruiters re-post one offer with new wording). Reads the input twice.",
    ),
]
WorkersOption = Annotated[int, typer.Option(min=1, help="Processes to score with on this machine.")]
EngineOption = Annotated[
    str, typer.Option(help="local (this machine) or dask (a dask.distributed cluster; see --scheduler).")
]
SchedulerOption = Annotated[
    str | None,
    typer.Option(
        help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 "
        "(default with --engine dask: a local cluster of --workers processes)."
    ),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
TopRowsOption = Annotated[int, typer.Option(min=0, help="How many of the riskiest rows to list.")]


@app.command()
def score(
    input_file: ScoreInput,
    output: ScoreOutput,
    text_column: TextColumnOption = "text",
    id_column: IdColumnOption = None,
    model: ModelOption = None,
    input_format: InputFormatOption = None,
    output_format: OutputFormatOption = None,
    min_level: MinLevelOption = "low",
    explain: ExplainOption = False,
    errors: ErrorsOption = None,
    link_contacts: LinkContactsOption = False,
    workers: WorkersOption = 1,
    engine: EngineOption = "local",
    scheduler: SchedulerOption = None,
    quiet: QuietOption = False,
    top: TopRowsOption = 5,
) -> None:
    """Score every row of INPUT_FILE, streaming in chunks (constant memory), and write it with
    risk_score, risk_level, red_flags (;-joined in CSV/TSV, a list in JSONL/Parquet), top_terms
    with --explain, and error appended.

    Every input row and column is kept, in order. Rows whose text is empty or has no letters get
    risk_level=error and a reason in the error column. Malformed lines (wrong number of fields,
    invalid JSON) are not scored: they go to an errors file with their line numbers. The output
    file appears only when the job is complete, so Ctrl-C leaves nothing half-written.
    """
    from tppo_screen.batch.options import BatchOptions
    from tppo_screen.batch.score import score_file
    from tppo_screen.model.artifacts import load_model

    with user_errors():
        options = BatchOptions(
            text_column=text_column,
            id_column=id_column,
            input_format=input_format,
            output_format=output_format,
            min_level=min_level.lower(),
            explain=explain,
            errors_file=errors,
            link_contacts=link_contacts,
            workers=workers,
            engine=engine.lower(),
            scheduler=scheduler,
            top=top,
        )
        loaded = load_model(_model_path(model))
        with _progress(not quiet and err.is_terminal) as advance:
            summary = score_file(loaded, input_file, output, options, advance)
    _print_batch_summary(summary, loaded.version, id_column)


@contextmanager
def _progress(show: bool) -> Iterator[Callable[[int, int, int], None] | None]:
    """A progress bar on stderr (rows, rows/s, ETA from the share of the file read)."""
    if not show:
        yield None
        return
    columns = (
        TextColumn("scoring"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[rows]:,} rows · {task.fields[speed]:,.0f} rows/s"),
        TimeRemainingColumn(),
    )
    started = time.perf_counter()
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("scoring", total=None, rows=0, speed=0.0)

        def advance(rows: int, done: int, total: int) -> None:
            speed = rows / max(time.perf_counter() - started, 1e-9)
            bar.update(task, completed=done, total=total or None, rows=rows, speed=speed)

        yield advance


def _print_batch_summary(summary: BatchSummary, version: str, id_column: str | None) -> None:
    out.print(
        f"{summary.rows:,} rows scored in {summary.seconds:.1f}s ({summary.rows_per_second:,.0f} ads/s) "
        f"with model {version} → {escape(str(summary.output))}"
        + (f" ({summary.written:,} rows written)" if summary.written != summary.rows else ""),
        soft_wrap=True,
    )
    table = Table(box=None)
    for level in ("high", "medium", "low", "error"):
        table.add_column(f"[{LEVEL_STYLE[level]}]{level}[/]", justify="right")
    table.add_row(*(f"{summary.levels.get(level, 0):,}" for level in ("high", "medium", "low", "error")))
    out.print(table)
    if summary.flags:
        common = ", ".join(f"{flag} {count:,}" for flag, count in summary.flags.most_common(5))
        out.print(f"most frequent red flags: {common}", soft_wrap=True)
    _warn_about_reading(summary)
    _print_contact_groups(summary)
    _print_riskiest(summary, id_column)


def _warn_about_reading(summary: BatchSummary) -> None:
    """Undecodable bytes and malformed lines, in the words of the errors file."""
    report = summary.report
    if report.undecodable_lines:
        err.print(
            f"[yellow]warning:[/] {report.undecodable_lines:,} lines had undecodable bytes (replaced with �)"
        )
    if report.bad_lines:
        where = escape(str(summary.errors_file))
        err.print(f"[yellow]warning:[/] {escape(report.describe())}; they are in {where}", soft_wrap=True)


def _print_contact_groups(summary: BatchSummary) -> None:
    if not summary.contact_groups or summary.contacts is None:
        return
    groups = sorted(summary.contact_groups.items(), key=lambda kv: (-kv[1][0], -kv[1][1]))[:5]
    table = Table(
        "contact_group", "ads", "highest risk", "shared contacts", title="largest contact groups", box=None
    )
    for name, (ads, highest) in groups:
        shared = ", ".join(summary.contacts.contacts_of_group(name)[:3])
        table.add_row(name, f"{int(ads):,}", f"{highest:.3f}", escape(shared))
    out.print(table)


def _print_riskiest(summary: BatchSummary, id_column: str | None) -> None:
    if not summary.riskiest:
        return
    name_column = "row" if id_column is None else escape(id_column)
    riskiest = Table(name_column, "score", "level", "text", title="riskiest rows", box=None)
    for score_value, _, name, level, snippet in summary.riskiest:
        style = LEVEL_STYLE[level]
        riskiest.add_row(escape(name), f"{score_value:.3f}", f"[{style}]{level}[/]", escape(snippet))
    out.print(riskiest)


@app.command()
def train(
    data: Annotated[
        Path,
        typer.Argument(
            help="Labelled CSV: text, label (high_risk|legit); optional group, source, register, weight "
            "(how much a row counts), snippet_of."
        ),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Model file to write (.joblib); the card goes beside it.")
    ],
    test: Annotated[
        Path | None, typer.Option(help="Held-out labelled CSV whose metrics go in the card.")
    ] = None,
    real_test: Annotated[
        Path | None,
        typer.Option(help="The real-world test split (data/real/test.csv): its metrics go in the card too."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed: same data and seed give the same model.")] = 13,
    folds: Annotated[int, typer.Option(min=2, help="Grouped cross-validation folds.")] = 5,
    stem_overrides: Annotated[Path | None, typer.Option(help="Stem-override file (word<TAB>stem).")] = None,
    catalogue: Annotated[
        Path | None,
        typer.Option(
            "--catalogue", "-c", help="Red-flag catalogue whose entries become features (default: shipped)."
        ),
    ] = None,
) -> None:
    """Train a model with grouped cross-validation; save it with its model card. The red-flag
    catalogue becomes part of the model: each flag and cue is a feature with a learned weight,
    a red flag's held ≥ 0 and a cue's ≤ 0. With `source` and `register` columns the thresholds
    keep false alarms within a budget per kind of legitimate text (see the card's notes)."""
    from tppo_screen.model.artifacts import save_model
    from tppo_screen.model.stem import DEFAULT_OVERRIDES
    from tppo_screen.training.train import train as train_model

    with user_errors():
        pipeline, card = train_model(
            data,
            name=output.stem,
            test_path=test,
            real_test_path=real_test,
            seed=seed,
            folds=folds,
            overrides_path=stem_overrides or DEFAULT_OVERRIDES,
            catalogue_path=catalogue,
        )
        saved = save_model(pipeline, output, card)
    _print_metrics(card.metrics)
    out.print(f"thresholds: medium ≥ {card.thresholds.medium:.4f}, high ≥ {card.thresholds.high:.4f}")
    out.print(f"saved {escape(str(output))} (sha256 {saved.card.artifact['sha256'][:12]}…) and its card")


@app.command()
def evaluate(
    data: Annotated[Path, typer.Argument(help="Labelled CSV (text, label) the model has not seen.")],
    model: ModelOption = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the metrics JSON here too.")
    ] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Also write a readable report into this directory: report.md, metrics.json, "
            "pr_curve.png, calibration.png, confusion.png, with the worst errors explained.",
        ),
    ] = None,
) -> None:
    """Evaluate a model on labelled data at the thresholds in its card; print metrics JSON."""
    from tppo_screen.model.artifacts import load_model, sha256_file
    from tppo_screen.tables.read import read_table
    from tppo_screen.tables.write import write_text
    from tppo_screen.training.evaluate import evaluate_model

    with user_errors():
        loaded = load_model(_model_path(model))
        frame, read = read_table(data)
        if read.bad_lines:  # skipped as `score` skips them, and said in the same words
            err.print(f"[yellow]warning:[/] {escape(str(data))}: {escape(read.describe())}", soft_wrap=True)
        if report is not None:
            from tppo_screen.training.report import write_report

            metrics = write_report(loaded, frame, report, str(data), skipped_lines=read.skipped())
            metrics.pop("worst_errors")
            err.print(f"report written to {report / 'report.md'}")
        else:
            metrics = {**evaluate_model(loaded, frame, str(data)), "skipped_lines": read.skipped()}
        if sha256_file(data) == loaded.card.data.get("sha256"):
            err.print(
                "[yellow]warning:[/] this is the model's training data: these metrics are "
                "in-sample; the card's 'cv' and 'test' metrics are the honest ones"
            )
        text = json.dumps({"model": loaded.version, "data": str(data), **metrics}, indent=2, allow_nan=False)
        if output is not None:
            write_text(text + "\n", output)
    typer.echo(text)


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on (0.0.0.0 for all interfaces).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes (one per CPU core is a good start).")
    ] = 1,
    model: ModelOption = None,
    access_log: Annotated[
        bool, typer.Option(help="Log every request (request counts and latencies are in /metrics).")
    ] = False,
) -> None:
    """Start the REST API and the trainers' demo page: open http://127.0.0.1:8000/ in a browser
    (works offline). OpenAPI docs at /docs, metrics at /metrics. The model loads once per worker,
    at startup. Limits, API keys and CORS come from TPPO_* variables (see the README)."""
    import uvicorn

    from tppo_screen.serving.app import create_app
    from tppo_screen.model.artifacts import load_model
    from tppo_screen.serving.workers import run_workers

    path = _model_path(model)
    with user_errors():
        loaded = load_model(path)  # fail here, with one clear line, before any worker starts
        if workers > 1:
            raise typer.Exit(run_workers(path, host, port, workers, access_log=access_log))
    uvicorn.run(create_app(model=loaded), host=host, port=port, access_log=access_log)


def _print_metrics(metrics: dict[str, dict[str, object]]) -> None:
    table = Table(
        "split", "ROC-AUC", "PR-AUC", "F1@high", "precision@high", "recall@high", "recall@medium", box=None
    )
    for split, m in metrics.items():
        high, medium = m["at_high"], m["at_medium"]
        assert isinstance(high, dict) and isinstance(medium, dict)
        table.add_row(
            split,
            str(m["roc_auc"]),
            str(m["pr_auc"]),
            str(high["f1"]),
            str(high["precision"]),
            str(high["recall"]),
            str(medium["recall"]),
        )
    out.print(table)
