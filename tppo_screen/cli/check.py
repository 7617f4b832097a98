"""`check` (one ad, with its evidence) and `red-flags` (the catalogue)."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from tppo_screen.cli.common import (
    GREEN_STYLE,
    LEVEL_STYLE,
    SEVERITY_STYLE,
    CatalogueOption,
    LanguageOption,
    ModelOption,
    err,
    model_path,
    out,
    parse_language,
    printable,
    shown,
    user_errors,
)
from tppo_screen.errors import InputError
from tppo_screen.model.catalogue import SEVERITIES

if TYPE_CHECKING:
    from tppo_screen.model.catalogue import Entry
    from tppo_screen.model.scoring import FlagHit, Score


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
        language = parse_language(lang)
        if text == "-":
            text = sys.stdin.read()
        loaded = load_model(model_path(model))
        explain_with = load_catalogue(catalogue) if catalogue is not None else None
        result = score_texts(loaded, [text], top_k=top, catalogue=explain_with, language=language)[0]
    if as_json:
        out.print_json(result.model_dump_json())
        raise typer.Exit(code=1 if result.level == "error" else 0)
    if result.level == "error":
        err.print(f"[bold red]error:[/] cannot score this text: {shown(result.error)}")
        raise typer.Exit(code=1)
    style = LEVEL_STYLE[result.level]
    out.print(
        f"risk score [bold]{result.score:.4f}[/]  level [{style}]{result.level}[/]  "
        f"(medium ≥ {loaded.thresholds.medium:.4f}, high ≥ {loaded.thresholds.high:.4f}; "
        f"model {loaded.version})"
    )
    for warning in result.warnings:
        err.print(f"[yellow]warning:[/] {shown(warning)}")
    out.print(Panel(_highlighted(text, result), title="the ad", title_align="left"))
    _print_reasons(result, language)
    _print_flags(result)
    if result.top_terms:
        table = Table(
            "term (stemmed)", "weight", "pushes towards", box=None, title="top terms", title_justify="left"
        )
        for term in result.top_terms:
            towards = "[red]risk[/]" if term.weight > 0 else "[green]legit[/]"
            table.add_row(shown(term.term), f"{term.weight:+.3f}", towards)
        out.print(table)


def _highlighted(text: str, result: Score) -> Text:
    """The ad as written (control characters replaced one for one, so spans still fit), with every
    span of a red flag or cue styled."""
    rendered = Text(printable(text))
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
            f"[bold {style}]{title}:[/] " + (shown("; ".join(lines)) if lines else f"[dim]{nothing}[/]")
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
        evidence = " · ".join(f"“{printable(span.text)}”" for span in hit.spans)
        out.print(badge, f"[bold]{shown(hit.label)}[/] [dim]({shown(hit.id)})[/]{weight}")
        out.print(Padding(Text(evidence, style="italic"), (0, 0, 0, 3)))
        out.print(Padding(Text(printable(hit.explanation), style="dim"), (0, 0, 0, 3)))


def _hit_style(hit: FlagHit, red: bool) -> str:
    return SEVERITY_STYLE[hit.severity] if red else GREEN_STYLE


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
        language = parse_language(lang)
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
            err.print(f"[red]✗[/] {shown(failure)}", highlight=False)
        examples = sum(len(e.fires) + len(e.quiet) for e in loaded.entries)
        out.print(f"{examples - len(failures)} of {examples} examples behave as stated ({loaded.source})")
        raise typer.Exit(code=1 if failures else 0)
    if as_json:
        out.print_json(json.dumps([asdict(e) for e in entries], ensure_ascii=False))
        return
    if entry_id is not None:
        _print_entry(entries[0], language)
        return
    table = Table("id", "kind", "severity", "label", title=f"{len(entries)} entries from {loaded.source}")
    for entry in entries:
        severity = Text(
            entry.severity, style=SEVERITY_STYLE[entry.severity] if entry.kind == "red" else GREEN_STYLE
        )
        table.add_row(entry.id, entry.kind, severity, shown(entry.label[language]))
    out.print(table)


def _print_entry(entry: Entry, language: Literal["id", "en"]) -> None:
    """One catalogue entry in full: label, meaning, sources and its examples."""
    title = f"[bold]{shown(entry.label[language])}[/] ({entry.id})"
    out.print(f"{title} — {entry.kind} flag, severity {entry.severity}")
    out.print(shown(entry.explanation[language]))
    if entry.ilo_indicator:
        out.print(f"ILO forced-labour indicator: {shown(entry.ilo_indicator)}")
    for source in entry.sources:
        out.print(f"source: {shown(source)}", soft_wrap=True)
    for sentence in entry.fires:
        out.print(f"[red]fires[/]  {shown(sentence)}")
    for sentence in entry.quiet:
        out.print(f"[green]quiet[/]  {shown(sentence)}")
