"""`score … --report DIR`: the self-contained HTML report of a batch, its PNG charts, the tallies
gathered in the streaming pass, and the page opened offline in real headless Chromium."""

from __future__ import annotations

import base64
import re
import signal
import struct
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Browser, sync_playwright
from typer.testing import CliRunner

from tests.conftest import TINY
from tests.servers import ROOT, poll
from tests.test_web import CHROMIUM, FLAGS
from tppo_screen.batch import tally as tally_module
from tppo_screen.batch.report import highlighted, mask_text, periods, write_batch_report
from tppo_screen.batch.tally import MAX_SOURCES, OTHER, ReportTally
from tppo_screen.cli import app
from tppo_screen.model.artifacts import Model
from tppo_screen.model.scoring import score_texts

runner = CliRunner()
SHARED = "0812 0000 4321"  # a made-up number, in three risky ads
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _listings(tmp_path: Path, dated: bool = True, sourced: bool = True) -> Path:
    frame = pd.read_csv(TINY)
    frame.insert(0, "id", [f"ad-{n:03d}" for n in range(len(frame))])
    if dated:
        days = pd.date_range("2024-03-01", periods=len(frame), freq="D").strftime("%d/%m/%Y")
        frame.insert(1, "tanggal", days)
    if sourced:
        frame = frame.rename(columns={"source": "platform"})
    else:
        frame = frame.drop(columns=["source"])
    risky = frame.index[frame["label"] == "high_risk"][:3]
    frame.loc[risky, "text"] = frame.loc[risky, "text"] + f" Hubungi {SHARED}."
    path = tmp_path / "listings.csv"
    frame.drop(columns=["label"]).to_csv(path, index=False)
    return path


def _score(tmp_path: Path, model: Path, source: Path, *options: str) -> tuple[int, str, Path]:
    report = tmp_path / "report"
    result = runner.invoke(
        app,
        ["score", str(source), "-o", str(tmp_path / "out.csv"), "--model", str(model), "-q"]
        + ["--report", str(report), *options],
    )
    return result.exit_code, result.output, report


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_MAGIC
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _section_ids(page: str) -> list[str]:
    return re.findall(r'<section id="([a-z]+)">', page)


@pytest.mark.slow  # a scoring run with four charts: 2-4 s on this loaded machine
def test_report_has_every_section_valid_charts_and_nothing_to_load(
    tmp_path: Path, tiny_model_path: Path
) -> None:
    code, output, report = _score(tmp_path, tiny_model_path, _listings(tmp_path))
    assert code == 0, output
    assert "report →" in output
    page = (report / "report.html").read_text(encoding="utf-8")
    assert _section_ids(page) == ["levels", "flags", "contacts", "time", "sources", "riskiest"]
    assert sorted(p.name for p in report.iterdir()) == [
        "flags.png",
        "levels.png",
        "report.html",
        "sources.png",
        "time.png",
    ]
    for png in report.glob("*.png"):
        width, height = _png_size(png.read_bytes())
        assert width >= 500 and height >= 150 and png.stat().st_size > 5_000, png
        embedded = re.search(rf'src="data:image/png;base64,([^"]+)"[^>]*data-file="{png.name}"', page)
        assert embedded and base64.b64decode(embedded.group(1)) == png.read_bytes(), png.name
    assert not re.search(r"https?://", page)  # nothing to fetch: opens from a USB stick
    assert "<script" not in page and "default-src 'none'" in page
    assert "Visa turis/kunjungan untuk bekerja" in page  # flags labelled in Indonesian
    assert "08xx-xxxx-x321" in page and SHARED not in page  # the shared contact, masked
    assert 'class="hl sev-high"' in page  # evidence highlighted in the riskiest rows
    assert "ad-000" in page  # rows named by the file's id column


def test_date_and_source_charts_appear_only_when_those_columns_exist(
    tmp_path: Path, tiny_model_path: Path
) -> None:
    code, output, report = _score(tmp_path, tiny_model_path, _listings(tmp_path, dated=False, sourced=False))
    assert code == 0, output
    page = (report / "report.html").read_text(encoding="utf-8")
    assert "time" not in _section_ids(page) and "sources" not in _section_ids(page)
    assert not (report / "time.png").exists() and not (report / "sources.png").exists()


@pytest.mark.slow  # a scoring run with four charts: 2-4 s on this loaded machine
def test_named_date_and_source_columns_are_used_and_a_missing_one_is_refused(
    tmp_path: Path, tiny_model_path: Path
) -> None:
    source = _listings(tmp_path, dated=True, sourced=True)
    frame = pd.read_csv(source).rename(columns={"tanggal": "seen", "platform": "board"})
    frame.to_csv(source, index=False)
    code, output, report = _score(
        tmp_path, tiny_model_path, source, "--date-column", "seen", "--source-column", "board"
    )
    assert code == 0, output
    page = (report / "report.html").read_text(encoding="utf-8")
    assert {"time", "sources"} <= set(_section_ids(page)) and "Menurut kolom seen" in page
    for leftover in report.iterdir():
        leftover.unlink()
    report.rmdir()
    (tmp_path / "out.csv").unlink()
    code, output, report = _score(tmp_path, tiny_model_path, source, "--date-column", "posted")
    assert code != 0 and "no column 'posted'" in output and "--date-column" in output
    assert not report.exists() and not (tmp_path / "out.csv").exists()  # nothing half-written


@pytest.mark.slow  # starts a scoring job and interrupts it
def test_ctrl_c_or_a_refused_directory_leaves_no_report(tmp_path: Path, tiny_model_path: Path) -> None:
    ads = pd.read_csv(TINY, dtype=str)["text"].tolist()
    pd.DataFrame({"text": ads * 300}).to_csv(tmp_path / "in.csv", index=False)  # 9,000 rows, two chunks
    command = [
        sys.executable,
        "-c",
        "from tppo_screen.cli import app; app()",
        "score",
        str(tmp_path / "in.csv"),
    ]
    command += [
        "-o",
        str(tmp_path / "out.csv"),
        "-m",
        str(tiny_model_path),
        "-q",
        "--report",
        str(tmp_path / "r"),
    ]
    job = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        poll(
            lambda: bool(list(tmp_path.glob(".out.csv.*.partial"))) or job.poll() is not None, 120, "a chunk"
        )
        job.send_signal(signal.SIGINT)
        _, stderr = job.communicate(timeout=30)
    finally:
        job.kill()
        job.wait()
    assert job.returncode == 130, stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]  # no report, no staging directory
    (tmp_path / "a-file").write_text("x")
    result = runner.invoke(
        app,
        ["score", str(_listings(tmp_path)), "-o", str(tmp_path / "o2.csv"), "--model", str(tiny_model_path)]
        + ["--report", str(tmp_path / "a-file")],
    )
    assert result.exit_code != 0 and "a file of that name exists" in result.output
    assert not (tmp_path / "o2.csv").exists()  # refused before any work


@dataclass
class Campaign:  # the shape batch.campaigns gives BatchSummary.campaigns
    id: str
    size: int
    high: int
    medium: int
    max_score: float
    template: str
    contacts: list[str]
    links: list[str]
    sample_ids: list[str]


@dataclass
class Summary:
    rows: int = 0
    seconds: float = 0.1
    levels: Counter[str] = field(default_factory=Counter)
    flags: Counter[str] = field(default_factory=Counter)
    campaigns: list[Campaign] = field(default_factory=list)


def test_english_labels_and_campaigns_when_the_summary_has_them(tmp_path: Path, tiny_model: Model) -> None:
    summary = Summary(10, levels=Counter(high=4, low=6), flags=Counter(tourist_visa=3, upfront_fees=1))
    summary.campaigns = [
        Campaign(
            "c0001",
            7,
            5,
            1,
            0.97,
            "Dicari admin di ‹Kamboja›, WA ‹08xx-xxxx-x123›",
            ["08xx-xxxx-x123"],
            ["same template, Jaccard 0.81–0.95 (6 links)"],
            ["ad-1", "ad-2"],
        ),
        Campaign("c0002", 9, 0, 0, 0.04, "Kasir ‹…›", [], [], ["ad-9"]),  # large but not risky: left out
    ]
    page_path = write_batch_report(tiny_model, summary, ReportTally(), tmp_path / "r", language="en")
    page = page_path.read_text(encoding="utf-8")
    assert "Tourist or visit visa for work" in page and "Visa turis/kunjungan" not in page
    assert _section_ids(page)[:3] == ["levels", "flags", "campaigns"]
    assert '<span class="slot">‹Kamboja›</span>' in page and "Jaccard 0.81" in page and "c0002" not in page
    assert _png_size((tmp_path / "r" / "campaigns.png").read_bytes())[0] > 500
    again = write_batch_report(tiny_model, Summary(1), ReportTally(), tmp_path / "r")  # the same DIR
    assert "campaigns" not in _section_ids(again.read_text(encoding="utf-8"))
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == ["levels.png", "report.html"]  # none stale


def test_tally_keeps_counts_and_a_top_k_not_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tally_module, "MAX_CONTACTS", 500)
    tally = ReportTally(keep=5)
    for chunk in range(30):
        rows = range(chunk * 100, chunk * 100 + 100)
        tally.observe(
            pd.DataFrame(
                {
                    "text": [f"iklan {r} hubungi 0813{r:08d}" for r in rows],
                    "source": [f"site{r % 250}" for r in rows],
                    "date": ["2024-05-01"] * 100,
                    "risk_score": [(r * 7919 % 3000) / 3000 for r in rows],
                    "risk_level": ["high"] * 100,
                }
            ),
            chunk * 100,
        )
    kept = tally.riskiest_rows()
    assert [row.score for row in kept] == sorted((r * 7919 % 3000) / 3000 for r in range(3000))[-5:][::-1]
    assert all(row.text.startswith(f"iklan {row.row - 1} ") for row in kept)
    assert (
        len({source for source, _ in tally.sources}) == MAX_SOURCES + 1 and (OTHER, "high") in tally.sources
    )
    assert sum(tally.sources.values()) == 3000 and tally.dates == Counter({("2024-05-01", "high"): 3000})
    assert len(tally.contacts) <= 600 and tally.contacts_pruned  # one-off contacts dropped


def test_a_re_posted_ad_is_listed_once_among_the_riskiest_and_counted() -> None:
    tally = ReportTally(keep=2)
    texts = ["iklan A", "iklan B", "iklan A", "iklan C", "iklan A"]
    chunk = {"text": texts, "risk_score": [0.9, 0.5, 0.9, 0.7, 0.9], "risk_level": ["high"] * 5}
    tally.observe(pd.DataFrame(chunk), 0)
    tally.observe(pd.DataFrame(chunk), 5)  # the same five again, rows 6-10
    kept = tally.riskiest_rows()
    assert [(row.text, row.row) for row in kept] == [("iklan A", 1), ("iklan C", 4)]
    assert tally.repeats == {"iklan A": 5, "iklan C": 1}


def test_periods_become_weeks_then_months_as_the_span_grows() -> None:
    days = Counter({("2024-01-01", "high"): 2, ("2024-01-03", "low"): 1})
    assert list(periods(days).index) == ["2024-01-01", "2024-01-03"]
    weeks = periods(days + Counter({("2024-04-04", "low"): 1}))
    assert list(weeks.index) == ["2024-01-01", "2024-04-01"] and weeks.loc["2024-01-01"].sum() == 3
    assert list(periods(days + Counter({("2026-02-01", "low"): 1})).index) == ["2024-01", "2026-02"]


def test_highlights_merge_overlaps_and_masking_keeps_positions(tiny_model: Model) -> None:
    text = "Kerja di Kamboja pakai visa turis, tiket ditanggung. WA 0812-3456-7890 <b>"
    masked = mask_text(text)
    assert len(masked) == len(text) and "08xx-xxxx-x890" in masked
    hits = score_texts(tiny_model, [text], top_k=0)[0].red_flags
    marked = highlighted(masked, hits)
    assert "&lt;b&gt;" in marked and "<b>" not in marked
    merged = '<mark class="hl sev-high" [^>]*data-flags="free_departure_debt tourist_visa">visa turis, tiket'
    assert re.search(merged, marked), marked  # two flags on overlapping words: one mark naming both
    plain = re.sub(r"<[^>]+>", "", marked).replace("&lt;", "<").replace("&gt;", ">")
    assert plain == masked  # the highlights cover the text, in order, with nothing lost or doubled


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("no chromium: run `make browser` (apt-get install chromium chromium-driver)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


@pytest.mark.slow
def test_report_opens_offline_in_chromium_with_images_and_highlighted_evidence(
    tmp_path: Path, tiny_model_path: Path, browser: Browser
) -> None:
    code, output, report = _score(tmp_path, tiny_model_path, _listings(tmp_path))
    assert code == 0, output
    context = browser.new_context(viewport={"width": 1000, "height": 900}, offline=True)
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto((report / "report.html").as_uri())
        page.wait_for_load_state("load")
        widths = page.eval_on_selector_all("img.chart", "els => els.map(e => e.complete && e.naturalWidth)")
        assert len(widths) == 4 and all(w and w > 400 for w in widths), widths
        marks = page.eval_on_selector_all(
            "#riskiest mark.hl",
            "els => els.map(e => [e.textContent, getComputedStyle(e).backgroundColor, e.dataset.flags])",
        )
        assert marks and any("visa turis" in text and "tourist_visa" in flags for text, _, flags in marks), (
            marks
        )
        assert all(colour not in ("rgba(0, 0, 0, 0)", "transparent") for _, colour, _ in marks)
        foreign = [url for url in requests if not url.startswith(("file:", "data:"))]
        assert not foreign and not errors, (foreign, errors)
        shots = ROOT / "out" / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=shots / "batch-report.png", full_page=True)
    finally:
        context.close()
