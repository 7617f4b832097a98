"""`check` (one ad, with its evidence) and `red-flags` (the catalogue)."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
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
from tppo_screen.errors import ImageError, InputError
from tppo_screen.model.catalogue import SEVERITIES

if TYPE_CHECKING:
    from tppo_screen.images.scoring import ImageScore
    from tppo_screen.model.artifacts import Model, Thresholds
    from tppo_screen.model.catalogue import Catalogue, Entry
    from tppo_screen.model.scoring import FlagHit, Score


def check(
    text: Annotated[
        str,
        typer.Argument(
            help="The ad text, '-' to read it from stdin, or a picture file (JPEG, PNG, WebP: a "
            "poster or screenshot, recognised by its content, not its name), read with OCR."
        ),
    ],
    model: ModelOption = None,
    catalogue: CatalogueOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the whole score as JSON (for scripts).")
    ] = False,
    top: Annotated[int, typer.Option(min=0, help="How many contributing terms to show.")] = 8,
    lang: LanguageOption = "id",
    save_annotated: Annotated[
        Path | None,
        typer.Option(
            "--save-annotated",
            help="For a picture: write it as PNG with each sign's words outlined as on the demo page: "
            "red flags solid red (high), dashed amber (medium) or dotted grey (low); cues double green.",
        ),
    ] = None,
    preprocess: Annotated[
        str,
        typer.Option(
            help="For a picture: how to prepare it for OCR: auto, none, gray, gray_upscale, threshold."
        ),
    ] = "auto",
) -> None:
    """Score one ad and show the evidence: the ad with its red flags (red/yellow) and
    legitimacy cues (green) highlighted, what each sign means, and the terms that pushed the
    score up or down. A picture of an ad is read with OCR (Tesseract) first and scored the same
    way; its OCR confidence is shown, and `--save-annotated` draws the evidence on it."""
    with user_errors():
        language = parse_language(lang)
        text, result, scored = _score_input(text, model, catalogue, top, language, preprocess, save_annotated)
    if as_json:
        out.print_json(_json(result, scored))
        raise typer.Exit(code=1 if result.level == "error" else 0)
    if result.level == "error":
        err.print(f"[bold red]error:[/] cannot score this text: {shown(result.error)}")
        raise typer.Exit(code=1)
    thresholds = f"medium ≥ {scored.thresholds.medium:.4f}, high ≥ {scored.thresholds.high:.4f}"
    style = LEVEL_STYLE[result.level]
    out.print(
        f"risk score [bold]{result.score:.4f}[/]  level [{style}]{result.level}[/]  "
        f"({thresholds}; model {scored.version})"
    )
    for warning in result.warnings:
        err.print(f"[yellow]warning:[/] {shown(warning)}")
    if scored.picture is not None:
        out.print(_picture_line(scored.picture, save_annotated))
    title = "the ad" if scored.picture is None else "the ad, as read from the picture"
    out.print(Panel(_highlighted(text, result), title=title, title_align="left"))
    _print_reasons(result, language)
    _print_flags(result)
    _print_terms(result)


def _print_terms(result: Score) -> None:
    if result.top_terms:
        table = Table(
            "term (stemmed)", "weight", "pushes towards", box=None, title="top terms", title_justify="left"
        )
        for term in result.top_terms:
            towards = "[red]risk[/]" if term.weight > 0 else "[green]legit[/]"
            table.add_row(shown(term.term), f"{term.weight:+.3f}", towards)
        out.print(table)


@dataclass(frozen=True)
class _Scored:
    """What `check` prints besides the score: the model's version and thresholds, and for a
    picture what OCR read."""

    version: str
    thresholds: Thresholds
    picture: ImageScore | None = None


def _score_input(
    text: str,
    model: Path | None,
    catalogue: Path | None,
    top: int,
    language: Literal["id", "en"],
    preprocess: str,
    save_annotated: Path | None,
) -> tuple[str, Score, _Scored]:
    """Score the argument: a picture file by OCR, else the text (or stdin for '-')."""
    from tppo_screen.model.artifacts import load_model
    from tppo_screen.model.catalogue import load_catalogue
    from tppo_screen.model.scoring import score_texts

    picture = _picture_bytes(text)
    if picture is None and save_annotated is not None:
        raise InputError("--save-annotated needs a picture file (JPEG, PNG or WebP) as the argument")
    loaded = load_model(model_path(model))
    explain_with = load_catalogue(catalogue) if catalogue is not None else None
    if picture is None:
        text = sys.stdin.read() if text == "-" else text
        result = score_texts(loaded, [text], top_k=top, catalogue=explain_with, language=language)[0]
        return text, result, _Scored(loaded.version, loaded.thresholds)
    scored = _score_picture(loaded, picture, top, explain_with, language, preprocess, save_annotated)
    return scored.ocr.text, scored.score, _Scored(loaded.version, loaded.thresholds, scored)


PATH_MAX = 4096  # a longer argument is an ad, not a file name


def _picture_bytes(argument: str) -> bytes | None:
    """The bytes of the file `argument` names when its content is a picture (by its first bytes,
    whatever its name); None when the argument is text. A file that is empty or not a picture is
    refused: its name would otherwise be scored as the ad."""
    from tppo_screen.images.decode import IMAGE_MAX_BYTES, sniff_image

    if argument == "-" or len(argument) > PATH_MAX or "\n" in argument:
        return None
    path = Path(argument)
    try:
        if not path.is_file():
            return None
        with path.open("rb") as handle:
            data = handle.read(IMAGE_MAX_BYTES + 1)  # one more: load_image says it is too large
    except (OSError, ValueError):  # a name too long for the file system, a NUL: text, not a path
        return None
    if not data:
        raise ImageError(f"{argument} is empty (0 bytes): send a JPEG, PNG or WebP picture", "empty")
    if sniff_image(data[:16]) is None:
        raise ImageError(
            f"{argument} is a file but not a picture (JPEG, PNG or WebP, told by its content): to "
            f"score the text of a file, use `tppo-screen check - < {argument}`",
            "not_image",
        )
    return data


def _score_picture(
    loaded: Model,
    data: bytes,
    top: int,
    catalogue: Catalogue | None,
    language: Literal["id", "en"],
    preprocess: str,
    save_annotated: Path | None,
) -> ImageScore:
    """`images.scoring.score_image`, step by step so that the decoded picture can be annotated;
    the annotated PNG is written atomically (no partial file)."""
    from tppo_screen.images.annotate import annotate
    from tppo_screen.images.decode import load_image
    from tppo_screen.images.ocr import read_text
    from tppo_screen.images.scoring import score_ocr
    from tppo_screen.tables.write import atomic_write

    image = load_image(data)
    scored = score_ocr(loaded, read_text(image, preprocess=preprocess), language, top, catalogue)
    if save_annotated is not None:
        annotated = annotate(image, scored)
        atomic_write(save_annotated, lambda partial: annotated.save(partial, format="PNG"))
    return scored


def _picture_line(scored: ImageScore, save_annotated: Path | None) -> str:
    from tppo_screen.images.scoring import LOW_CONFIDENCE

    ocr = scored.ocr
    confidence_style = "yellow" if ocr.confidence < LOW_CONFIDENCE else "green"
    line = (
        f"picture {ocr.width}×{ocr.height} px, {len(ocr.words)} words read by OCR, confidence "
        f"[{confidence_style}]{ocr.confidence:.0f}/100[/] (a warning below {LOW_CONFIDENCE:.0f})"
    )
    if save_annotated is not None:
        line += f"; evidence drawn on {shown(save_annotated)}"
    return line


def _json(result: Score, scored: _Scored) -> str:
    """The score as JSON; for a picture with `ocr` and `spans` as POST /v1/score/image has them."""
    payload = json.loads(result.model_dump_json())
    if scored.picture is not None:
        ocr = scored.picture.ocr
        words = [{"text": w.text, "box": w.box, "confidence": w.confidence} for w in ocr.words]
        payload["ocr"] = {**asdict(ocr), "words": words}
        payload["spans"] = [asdict(span) for span in scored.picture.spans]
    return json.dumps(payload, ensure_ascii=False)


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
