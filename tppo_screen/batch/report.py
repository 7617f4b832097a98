"""A batch report an analyst can send: `write_batch_report(model, summary, tally, directory)`
writes `directory/report.html`, one self-contained page (CSS inline, every chart embedded as a
data: URI, no script, nothing fetched: it opens from a USB stick), and beside it the same charts
as PNG files:

    levels.png     rows per risk level
    flags.png      red flags by frequency, with their labels in the report's language
    campaigns.png  the largest risky campaigns (when `--campaigns` found some)
    time.png       levels over time (when the file has a date column)
    sources.png    levels by source (when the file has a source column)

The riskiest rows are re-explained through `scoring.score_texts` (the one scoring path) to
highlight the words that fired each red flag, with the demo page's colours and marks. Phone
numbers and e-mail addresses are partly masked in the page (same length, so the highlights stay
in place); the output file has them in full. Files are written to a temporary directory beside
`directory` and moved in only when all are done: a failure or Ctrl-C leaves no partial report.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from tppo_screen.batch import charts
from tppo_screen.batch.report_text import CSS, TEXT
from tppo_screen.batch.slots import mask_contact
from tppo_screen.batch.tally import ReportTally, RiskyRow
from tppo_screen.errors import InputError
from tppo_screen.model.artifacts import Model
from tppo_screen.model.scoring import FlagHit, score_texts
from tppo_screen.model.text import EMAIL, HANDLE, PHONE
from tppo_screen.tables.write import staged_directory

Language = Literal["id", "en"]
REPORT_FILE = "report.html"
CHARTS = ("levels.png", "flags.png", "campaigns.png", "time.png", "sources.png")
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"  # nothing loads, no script
TOP_FLAGS = 15
TOP_SOURCES = 15
TOP_CONTACTS = 15
TOP_CAMPAIGNS = 10
SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3}


@dataclass
class Page:
    """The report being built: HTML sections and the charts (file name -> PNG bytes)."""

    language: Language
    sections: list[str] = field(default_factory=list)
    charts: dict[str, bytes] = field(default_factory=dict)

    def t(self, key: str) -> str:
        return TEXT[self.language][key]

    def chart(self, name: str, data: bytes, alt: str) -> str:
        self.charts[name] = data
        uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        return f'<img class="chart" src="{uri}" alt="{_e(alt)}" data-file="{name}">'

    def section(self, key: str, title: str, *body: str) -> None:
        self.sections.append(f'<section id="{key}"><h2>{_e(title)}</h2>{"".join(body)}</section>')


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def check_report_directory(directory: Path) -> None:
    """An `InputError` before any work when `directory` cannot take the report."""
    if directory.exists() and not directory.is_dir():
        raise InputError(f"--report {directory}: a file of that name exists; give a directory")


def write_batch_report(
    model: Model,
    summary: Any,
    tally: ReportTally,
    directory: Path,
    language: Language = "id",
    source_name: str = "",
) -> Path:
    """Write the report of a finished batch job (`summary`: its `BatchSummary`, `tally`: what
    `ReportTally` gathered) into `directory`; return the page's path."""
    check_report_directory(directory)
    page = Page(language)
    _levels(page, summary)
    _flags(page, model, summary)
    _campaigns(page, list(getattr(summary, "campaigns", None) or []))
    _contacts(page, tally)
    _over_time(page, tally)
    _sources(page, tally)
    _riskiest(page, model, tally)
    document = _document(page, model, summary, tally, source_name)
    with staged_directory(directory) as staging:
        for name, data in page.charts.items():
            (staging / name).write_bytes(data)
        (staging / REPORT_FILE).write_text(document, encoding="utf-8")
    for stale in set(CHARTS) - set(page.charts):  # a chart of an earlier report in the same DIR
        (directory / stale).unlink(missing_ok=True)
    return directory / REPORT_FILE


def _level_names(page: Page) -> dict[str, str]:
    return {level: page.t(f"level_{level}") for level in charts.LEVELS}


def _levels(page: Page, summary: Any) -> None:
    counts: Counter[str] = summary.levels
    cards = "".join(
        f'<div class="card lv-{level}"><span class="n">{counts.get(level, 0):,}</span>'
        f"<span>{_e(page.t('level_' + level))}</span></div>"
        for level in charts.LEVELS
        if level != "error" or counts.get(level)
    )
    image = page.chart(
        "levels.png", charts.levels(counts, _level_names(page), page.t("levels")), page.t("levels")
    )
    page.section(
        "levels",
        page.t("levels"),
        f'<div class="cards">{cards}</div>',
        image,
        f"<p>{page.t('levels_note')}</p>",
    )


def _flags(page: Page, model: Model, summary: Any) -> None:
    counted: Counter[str] = summary.flags
    if not counted:
        page.section("flags", page.t("flags"), f"<p>{page.t('no_flags')}</p>")
        return
    rows = []
    for flag, ads in counted.most_common(TOP_FLAGS):
        entry = _entry(model, flag)
        label = entry.label[page.language] if entry else flag
        rows.append((flag, label, entry.severity if entry else "low", ads))
    image = page.chart(
        "flags.png",
        charts.flags(
            [(label, severity, ads) for _, label, severity, ads in rows], page.t("flags"), page.t("ads")
        ),
        page.t("flags"),
    )
    total = max(summary.rows, 1)
    body = "".join(
        f'<tr><td><span class="sev sev-{severity}">{_e(page.t("sev_" + severity))}</span></td>'
        f"<td>{_e(label)}<br><code>{_e(flag)}</code></td><td class=num>{ads:,}</td>"
        f"<td class=num>{ads / total:.1%}</td></tr>"
        for flag, label, severity, ads in rows
    )
    head = "".join(f"<th>{page.t(key)}</th>" for key in ("severity", "flag", "ads", "share"))
    table = f"<table><tr>{head}</tr>{body}</table>"
    page.section("flags", page.t("flags"), image, table)


def _entry(model: Model, flag: str) -> Any:
    try:
        return model.catalogue.entry(flag)
    except KeyError:
        return None


def _campaigns(page: Page, campaigns: list[Any]) -> None:
    if not campaigns:
        return
    risky = [c for c in campaigns if c.high + c.medium]
    risky = sorted(risky, key=lambda c: (-c.high, -(c.high + c.medium), -c.size, -c.max_score))[
        :TOP_CAMPAIGNS
    ]
    if not risky:
        note = page.t("no_risky_campaigns").format(count=len(campaigns))
        page.section("campaigns", page.t("campaigns"), f"<p>{_e(note)}</p>")
        return
    bars = [(str(c.id), int(c.size), int(c.high), int(c.medium)) for c in risky]
    image = page.chart(
        "campaigns.png", charts.campaigns(bars, _level_names(page), page.t("campaigns")), page.t("campaigns")
    )
    items = "".join(_campaign(page, c) for c in risky)
    page.section("campaigns", page.t("campaigns"), f"<p>{page.t('campaigns_note')}</p>", image, items)


def _campaign(page: Page, campaign: Any) -> str:
    template = re.sub(r"‹([^›]*)›", r'<span class="slot">‹\1›</span>', _e(campaign.template))
    links = "".join(f"<li>{_e(link)}</li>" for link in list(campaign.links)[:5])
    contacts = ", ".join(_e(c) for c in campaign.contacts) or "–"
    samples = ", ".join(_e(s) for s in list(campaign.sample_ids)[:8])
    return (
        f'<article class="campaign lv-{"high" if campaign.high else "medium"}">'
        f"<h3>{_e(campaign.id)} · {int(campaign.size):,} {page.t('ads')} · "
        f"{page.t('level_high')} {int(campaign.high):,} · "
        f"{page.t('level_medium')} {int(campaign.medium):,} · "
        f"{page.t('max_score')} {float(campaign.max_score):.3f}</h3>"
        f'<p class="template">{template}</p><p><b>{page.t("contact")}:</b> {contacts}</p>'
        f"<p><b>{page.t('examples')}:</b> {samples}</p>"
        + (f"<details><summary>{page.t('links')}</summary><ul>{links}</ul></details>" if links else "")
        + "</article>"
    )


def _contacts(page: Page, tally: ReportTally) -> None:
    shared = sorted(
        ((key, seen) for key, seen in tally.contacts.items() if seen.ads > 1),
        key=lambda kv: (-kv[1].high, -kv[1].ads, -kv[1].max_score, kv[0]),
    )[:TOP_CONTACTS]
    if not shared:
        page.section("contacts", page.t("contacts"), f"<p>{page.t('no_contacts')}</p>")
        return
    body = "".join(
        f"<tr><td><code>{_e(mask_contact(key))}</code></td><td class=num>{seen.ads:,}</td>"
        f"<td class=num>{seen.high:,}</td><td class=num>{seen.medium:,}</td>"
        f"<td class=num>{seen.max_score:.3f}</td></tr>"
        for key, seen in shared
    )
    head = (
        f"<tr><th>{page.t('contact')}</th><th>{page.t('ads')}</th><th>{page.t('level_high')}</th>"
        f"<th>{page.t('level_medium')}</th><th>{page.t('max_score')}</th></tr>"
    )
    note = page.t("contacts_note") + (" " + page.t("contacts_pruned") if tally.contacts_pruned else "")
    page.section("contacts", page.t("contacts"), f"<p>{note}</p><table>{head}{body}</table>")


def _over_time(page: Page, tally: ReportTally) -> None:
    if tally.date_column is None:
        return
    if not tally.dates:
        page.section(
            "time", page.t("time"), f"<p>{_e(page.t('no_dates').format(column=tally.date_column))}</p>"
        )
        return
    table = periods(tally.dates)
    image = page.chart(
        "time.png",
        charts.over_time(table, _level_names(page), page.t("time"), page.t("share_risky")),
        page.t("time"),
    )
    note = page.t("time_note").format(column=tally.date_column, undated=tally.undated)
    page.section("time", page.t("time"), image, f"<p>{_e(note)}</p>")


def periods(dates: Counter[tuple[str, str]]) -> pd.DataFrame:
    """Counts per (day, level) as a table of periods × levels: days up to 62 days, weeks (from
    Monday) up to two years, months beyond."""
    frame = pd.DataFrame(
        [(day, level, n) for (day, level), n in dates.items()], columns=["day", "level", "n"]
    )
    days = pd.to_datetime(frame["day"])
    span = (days.max() - days.min()).days
    if span <= 62:
        frame["period"] = days.dt.strftime("%Y-%m-%d")
    elif span <= 731:
        frame["period"] = (days - pd.to_timedelta(days.dt.day_of_week, unit="D")).dt.strftime("%Y-%m-%d")
    else:
        frame["period"] = days.dt.strftime("%Y-%m")
    return frame.pivot_table(
        index="period", columns="level", values="n", aggfunc="sum", fill_value=0
    ).sort_index()


def _sources(page: Page, tally: ReportTally) -> None:
    if tally.source_column is None or not tally.sources:
        return
    table = pd.Series(tally.sources).unstack(fill_value=0)
    table = table.reindex(columns=[c for c in ("high", "medium", "low", "error") if c in table.columns])
    table = table.loc[table.sum(axis=1).sort_values(ascending=False).index[:TOP_SOURCES]]
    risky = table.reindex(columns=["high", "medium"], fill_value=0)
    table = table.loc[
        (risky["high"] / table.sum(axis=1).clip(lower=1)).sort_values(ascending=False, kind="stable").index
    ]
    image = page.chart(
        "sources.png",
        charts.by_source(table, _level_names(page), page.t("sources"), page.t("share")),
        page.t("sources"),
    )
    note = page.t("sources_note").format(column=tally.source_column, shown=len(table))
    page.section("sources", page.t("sources"), image, f"<p>{_e(note)}</p>")


def _riskiest(page: Page, model: Model, tally: ReportTally) -> None:
    rows = tally.riskiest_rows()
    if not rows:
        return
    explained = score_texts(model, [row.text for row in rows], top_k=0, language=page.language)
    items = "".join(
        _risky_row(page, row, result.red_flags, tally.repeats.get(row.text, 0))
        for row, result in zip(rows, explained, strict=True)
    )
    page.section("riskiest", page.t("riskiest"), f"<p>{page.t('riskiest_note')}</p>{_legend(page)}", items)


def _legend(page: Page) -> str:
    marks = "".join(
        f'<li><mark class="hl sev-{s}">{_e(page.t("sev_" + s))}</mark></li>'
        for s in ("high", "medium", "low")
    )
    return f'<ul class="legend">{marks}</ul>'


def _risky_row(page: Page, row: RiskyRow, hits: list[FlagHit], repeats: int) -> str:
    meta = [f"{page.t('row')} {row.row:,}", row.source, row.date]
    meta += [page.t("repeats").format(count=repeats)] if repeats else []
    name = "" if row.name == str(row.row) else row.name
    flags = "".join(
        f'<li><span class="sev sev-{hit.severity}">{_e(page.t("sev_" + hit.severity))}</span> '
        f"{_e(hit.label)} "
        f"<code>{_e(hit.id)}</code> — <q>{_e(' … '.join(span.text for span in hit.spans[:3]))}</q></li>"
        for hit in sorted(hits, key=lambda h: -SEVERITY_RANK.get(h.severity, 0))
    )
    return (
        f'<article class="risky lv-{row.level}"><h3><span class="badge lv-{row.level}">{row.score:.3f} · '
        f"{_e(page.t('level_' + row.level))}</span> {_e(name)} "
        f"<small>{_e(' · '.join(m for m in meta if m))}</small></h3>"
        f'<div class="ad-text">{highlighted(mask_text(row.text), hits)}</div>'
        + (f'<ul class="found">{flags}</ul>' if flags else f"<p>{page.t('no_flags_row')}</p>")
        + "</article>"
    )


def mask_text(text: str) -> str:
    """`text` with phone numbers, handles and e-mail addresses partly masked, keeping every
    character's position (so flag spans still point at the same words): digits of a phone number
    between its first two and last three become `x`, a handle's name after two letters and an
    address's name after one become `•`."""
    chars = list(text)
    for match in PHONE.finditer(text):
        digits = [i for i in range(match.start(), match.end()) if text[i].isdigit()]
        for i in digits[2:-3]:
            chars[i] = "x"
    for match in HANDLE.finditer(text):
        for i in range(match.start("name") + 2, match.end("name")):
            chars[i] = "•"
    for match in EMAIL.finditer(text):
        at = text.find("@", match.start(), match.end())
        for i in range(match.start() + 1, at if at > 0 else match.start()):
            chars[i] = "•"
    return "".join(chars)


def highlighted(text: str, hits: list[FlagHit]) -> str:
    """`text` as HTML with each flag's spans in a `<mark class="hl sev-…">`; overlapping spans
    merge into one mark that names every flag and takes the most severe one's colour."""
    spans = sorted(
        ((s.start, s.end, hit) for hit in hits for s in hit.spans if 0 <= s.start < s.end <= len(text)),
        key=lambda item: (item[0], -item[1]),
    )
    groups: list[tuple[int, int, list[FlagHit]]] = []
    for start, end, hit in spans:
        if groups and start < groups[-1][1]:
            first, last, members = groups[-1]
            groups[-1] = (first, max(last, end), members if hit in members else [*members, hit])
        else:
            groups.append((start, end, [hit]))
    out, position = [], 0
    for start, end, members in groups:
        worst = max(members, key=lambda hit: SEVERITY_RANK.get(hit.severity, 0))
        labels = "; ".join(hit.label for hit in members)
        out.append(_e(text[position:start]))
        out.append(
            f'<mark class="hl sev-{worst.severity}" title="{_e(labels)}" '
            f'data-flags="{_e(" ".join(hit.id for hit in members))}">{_e(text[start:end])}</mark>'
        )
        position = end
    out.append(_e(text[position:]))
    return "".join(out)


def _document(page: Page, model: Model, summary: Any, tally: ReportTally, source_name: str) -> str:
    made = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    facts = page.t("facts").format(
        rows=summary.rows, file=source_name or "–", model=model.version, made=made, seconds=summary.seconds
    )
    nav = "".join(
        f'<a href="#{key}">{_e(page.t(key))}</a>'
        for key in ("levels", "flags", "campaigns", "contacts", "time", "sources", "riskiest")
        if f'<section id="{key}">' in "".join(page.sections)
    )
    return (
        f'<!doctype html><html lang="{page.language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>{_e(page.t('title'))} – {_e(source_name)}</title><style>{CSS}</style></head><body>"
        f"<header><h1>{_e(page.t('title'))}</h1><p>{_e(facts)}</p><nav>{nav}</nav></header><main>"
        + "".join(page.sections)
        + f"</main><footer><p>{page.t('footer')}</p></footer></body></html>\n"
    )
