"""The trainers' demo page, driven in real headless Chromium (Debian's, through Playwright)
against the real server with the shipped model. Each step writes a screenshot to
out/screenshots/<step>.png.

Chromium comes from `make browser` (apt: chromium, chromium-driver); Playwright never downloads
a browser here. This machine has no network, so Chromium starts with the flags that keep it
from trying.
"""

from __future__ import annotations

import json
import shutil
import struct
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from typer.testing import CliRunner

from tests.servers import ROOT, Server
from tppo_screen.cli import app
from tppo_screen.config import DEFAULT_MODEL
from tppo_screen.corpus.gallery import GALLERY

pytestmark = pytest.mark.slow  # real servers, browsers or notebook kernels: left out of make check

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = ROOT / "out" / "screenshots"
LEVELS = {
    "id": {"low": "Risiko rendah", "medium": "Waspada", "high": "Waspada tinggi"},
    "en": {"low": "Low risk", "medium": "Caution", "high": "High alert"},
}
SEVERITY_RANK = {"low": 1, "medium": 2, "high": 3}
# emoji first (two code points for the flag, one for 🙏: five UTF-16 units), flags after them
EMOJI_AD = (
    "🇰🇭🙏 Dicari admin CS di Kamboja, G@JI $1.500/bln + bonus, tanpa pengalaman, p4sp0r dibantu, "
    "tiket ditanggung, berangkat pakai visa turis. Minat? WA only 08xx-xxxx-xxxx"
)
MARKS_JS = """slot => [...document.querySelectorAll(slot + ' mark.hl')].map(m => ({
    text: m.textContent, start: +m.dataset.start, end: +m.dataset.end,
    severity: [...m.classList].find(c => c.startsWith('sev-')).slice(4),
    flags: m.dataset.flags.split(' ')}))"""


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    running = Server([sys.executable, "serve.py", "--model", str(DEFAULT_MODEL)], {}).wait_ready()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("no chromium: run `make browser` (apt-get install chromium chromium-driver)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


@dataclass
class Visit:
    """One page on the server, with what it logged and requested."""

    page: Page
    origin: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)  # requests the page's own CSP stopped

    def shot(self, step: str, *, full_page: bool = False) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{step}.png"
        self.page.screenshot(path=path, full_page=full_page)
        _assert_png(path)
        return path


@contextmanager
def _open(
    browser: Browser,
    server: Server,
    width: int = 1280,
    height: int = 900,
    path: str = "/",
    ready: str = "body[data-ready=true]",
) -> Iterator[Visit]:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    visit = Visit(page, f"http://127.0.0.1:{server.port}")
    page.on("console", lambda m: visit.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: visit.page_errors.append(str(error)))
    page.on(
        "request",
        lambda r: (
            None
            if r.url.startswith((visit.origin + "/", f"blob:{visit.origin}/"))
            else visit.foreign_requests.append(r.url)
        ),
    )
    page.on(
        "requestfailed",
        lambda r: visit.blocked.append(r.url) if r.failure == "csp" else None,
    )
    try:
        page.goto(visit.origin + path)
        page.wait_for_selector(ready)
        yield visit
        assert not visit.page_errors, visit.page_errors  # no JavaScript error, whatever the step
        sent = [url for url in visit.foreign_requests if url not in visit.blocked]
        assert not sent, sent  # offline: this server only
    finally:
        context.close()


@pytest.fixture
def visit(browser: Browser, server: Server) -> Iterator[Visit]:
    with _open(browser, server) as opened:
        yield opened


def _assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 300 and height >= 300 and len(data) > 10_000, (path, width, height, len(data))


def _gallery() -> list[dict[str, str]]:
    return json.loads(GALLERY.read_text(encoding="utf-8"))


def _check(visit: Visit, text: str) -> None:
    page = visit.page
    page.fill("#ad-text", text)
    page.click("#check-form button[type=submit]")
    page.wait_for_selector("#check-result .result")


def _assert_highlights_match_the_api(visit: Visit, server: Server, text: str, slot: str) -> dict[str, Any]:
    """Every highlight shows exactly the code points its API spans cover, with the class of
    its most severe flag; every span is inside a highlight that names its flag."""
    status, body, _ = server.call("POST", "/v1/score", {"text": text, "lang": "id"})
    assert status == 200
    marks = visit.page.evaluate(MARKS_JS, slot)
    hits = [(hit, "red") for hit in body["red_flags"]] + [(hit, "green") for hit in body["green_flags"]]
    assert hits and marks
    spans = [(span, hit, kind) for hit, kind in hits for span in hit["spans"]]
    for mark in marks:
        assert mark["text"] == text[mark["start"] : mark["end"]]  # Python indexes code points, as the API
        inside = [(hit, kind) for span, hit, kind in spans if mark["start"] <= span["start"] < mark["end"]]
        assert sorted(mark["flags"]) == sorted({hit["id"] for hit, _ in inside})
        red = [hit["severity"] for hit, kind in inside if kind == "red"]
        assert mark["severity"] == (max(red, key=SEVERITY_RANK.__getitem__) if red else "green")
    for span, hit, _ in spans:
        covering = [m for m in marks if m["start"] <= span["start"] and span["end"] <= m["end"]]
        assert len(covering) == 1 and hit["id"] in covering[0]["flags"], span
        alone = not any(
            other is not span and other["start"] < span["end"] and span["start"] < other["end"]
            for other, _, _ in spans
        )
        if alone:  # not merged with another flag's words: the highlight is exactly the span
            assert (covering[0]["start"], covering[0]["end"], covering[0]["text"]) == (
                span["start"],
                span["end"],
                span["text"],
            )
    return body


# --- serving -------------------------------------------------------------------------------


def test_page_is_served_at_root_with_a_strict_csp_and_stays_out_of_the_api_schema(server: Server) -> None:
    status, html, headers = server.call("GET", "/")
    assert status == 200 and headers["content-type"].startswith("text/html") and "<title>" in html
    assert headers["content-security-policy"].startswith("default-src 'self'")
    assert "'unsafe-inline'" not in headers["content-security-policy"]
    assert server.call("HEAD", "/")[0] == 200  # link checkers and `curl -I` ask with HEAD
    for asset in ("app.js", "style.css", "gallery.json", "icon.svg"):
        assert server.call("GET", f"/web/{asset}")[0] == 200, asset
    status, body, _ = server.call("GET", "/web/missing.js")
    assert status == 404 and body["error"]["code"] == "not_found"  # JSON 404s, as for the API
    assert server.call("GET", "/v1/nothing")[1]["error"]["code"] == "not_found"
    paths = server.call("GET", "/openapi.json")[1]["paths"]
    assert "/" not in paths and not any(path.startswith("/web") for path in paths)


def test_serve_help_points_trainers_to_the_page() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert (
        result.exit_code == 0 and "demo page" in result.output and "http://127.0.0.1:8000/" in result.output
    )


# --- the page ------------------------------------------------------------------------------


def test_page_loads_offline_with_the_gallery_and_no_console_errors(visit: Visit) -> None:
    page = visit.page
    assert "Cek Iklan Kerja" in page.title()
    assert page.locator("html").get_attribute("lang") == "id"
    cards = page.locator("#gallery .card")
    assert cards.count() == len(_gallery()) >= 12
    expect(page.locator("footer")).to_contain_text("bukan vonis")
    expect(page.locator("#present kbd")).to_have_text("Alt+P")
    visit.shot("01-load", full_page=True)
    assert not visit.console_errors, visit.console_errors


def test_pasted_ad_with_emoji_gets_a_gauge_level_and_highlights_on_the_api_spans(
    visit: Visit, server: Server
) -> None:
    page = visit.page
    _check(visit, EMOJI_AD)
    body = _assert_highlights_match_the_api(visit, server, EMOJI_AD, "#check-result")
    expect(page.locator("#check-result .level-word")).to_have_text(LEVELS["id"][body["level"]])
    assert page.locator("#check-result svg.gauge .needle").count() == 1
    assert page.locator("#check-result svg.gauge .tick").count() == 2  # the two thresholds
    label = page.locator("#check-result svg.gauge").get_attribute("aria-label")
    assert f"{round(body['score'] * 100)} dari 100" in label
    expect(page.locator("#check-status")).to_contain_text(LEVELS["id"][body["level"]])
    # the flag after the emoji: Python offsets read as UTF-16 would land 3 units early
    visa = next(h for h in body["red_flags"] if h["id"] == "tourist_visa")["spans"][0]
    mark = page.locator(f'#check-result mark.hl[data-start="{visa["start"]}"]')
    expect(mark).to_have_text("visa turis")
    expect(mark).to_have_class("hl sev-high")
    # what raised the score, in the words the API gives
    expect(page.locator("#check-result .reasons-raised li")).to_have_text(body["reasons"]["raised"])
    visit.shot("02-paste-score")
    assert not visit.console_errors, visit.console_errors


def test_gallery_ads_highlight_red_flags_by_severity_and_legitimacy_cues_in_green(
    visit: Visit, server: Server
) -> None:
    page = visit.page
    ads = {ad["id"]: ad for ad in _gallery()}
    for ad_id in ("hr2K-090", "hrB-038", "lgH-030"):  # emoji first; emoji mid-text; cues only
        page.click(f'#gallery .card[data-id="{ad_id}"]')
        expect(page.locator("#ad-text")).to_have_value(ads[ad_id]["text"])
        page.wait_for_selector("#check-result .result")
        _assert_highlights_match_the_api(visit, server, ads[ad_id]["text"], "#check-result")
    assert page.locator("#check-result mark.hl.sev-green").count() >= 1
    assert page.locator("#check-result mark.hl:not(.sev-green)").count() == 0
    expect(page.locator("#check-result .level-word")).to_have_text("Risiko rendah")
    visit.shot("03-gallery-legit")


def test_overlapping_and_nested_spans_merge_into_one_highlight(visit: Visit) -> None:
    text = "🇰🇭 admin CS di Kamboja, gaji USD 1.500"
    hits = [
        {"id": "outer", "kind": "red", "severity": "high", "spans": [{"start": 2, "end": 22}]},
        {"id": "inner", "kind": "red", "severity": "low", "spans": [{"start": 3, "end": 11}]},
        {"id": "cross", "kind": "green", "severity": "low", "spans": [{"start": 15, "end": 28}]},
        {"id": "flag", "kind": "red", "severity": "medium", "spans": [{"start": 0, "end": 1}]},
        {"id": "beyond", "kind": "red", "severity": "low", "spans": [{"start": 30, "end": 99}]},
    ]
    pieces = visit.page.evaluate(
        """async ([text, hits]) => (await import('/web/highlight.js')).pieces(text, hits).map(
            p => ({text: p.text, start: p.start ?? null, ids: p.hits ? p.hits.map(h => h.id) : null}))""",
        [text, hits],
    )
    assert "".join(piece["text"] for piece in pieces) == text  # nothing lost, nothing doubled
    marked = [piece for piece in pieces if piece["ids"]]
    assert (
        [(p["start"], p["text"], sorted(p["ids"])) for p in marked]
        == [
            (0, text[0:1], ["flag"]),  # half of 🇰🇭: code points, as Python counts
            (2, text[2:28], ["cross", "inner", "outer"]),  # nested and crossing spans: one highlight
            (30, text[30:], ["beyond"]),  # a span past the end is cut at the end
        ]
    )


def test_highlight_explanation_opens_from_the_keyboard_with_its_source(visit: Visit, server: Server) -> None:
    page = visit.page
    page.focus('#gallery .card[data-id="hr2K-090"]')
    page.keyboard.press("Enter")
    expect(page.locator("#check-result .result-title")).to_be_focused()
    page.keyboard.press("Tab")  # from the result's title to the first highlight
    assert page.evaluate("document.activeElement.matches('#check-result mark.hl')")
    flags = page.evaluate("document.activeElement.dataset.flags").split()
    page.keyboard.press("Enter")
    panel = page.locator("#check-result .explain")
    expect(panel).to_be_visible()
    _, body, _ = server.call("POST", "/v1/score", {"text": _gallery()[0]["text"], "lang": "id"})
    labels = {hit["id"]: hit["label"] for hit in body["red_flags"] + body["green_flags"]}
    for flag in flags:
        expect(panel).to_contain_text(labels[flag])
    expect(panel).to_contain_text("Indikator kerja paksa ILO")
    assert panel.locator(".sources a[href^='http']").count() >= 1
    visit.shot("04-explanation")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    assert page.evaluate("document.activeElement.matches('#check-result mark.hl')")  # focus came back
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # Space opens too
    expect(panel).to_be_visible()


def test_language_switch_turns_the_interface_and_flag_labels_english(visit: Visit, server: Server) -> None:
    page = visit.page
    ad = _gallery()[0]
    page.click(f'#gallery .card[data-id="{ad["id"]}"]')
    page.wait_for_selector("#check-result .result")
    page.click("#lang")
    expect(page.locator("#tab-check")).to_have_text("Check an ad")
    expect(page.locator("#check-result .level-word")).to_have_text("High alert")
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.locator("#lang")).to_have_text("Bahasa Indonesia")
    expect(page.locator("footer")).to_contain_text("not a verdict")
    _, english, _ = server.call("POST", "/v1/score", {"text": ad["text"], "lang": "en"})
    _, indonesian, _ = server.call("POST", "/v1/score", {"text": ad["text"], "lang": "id"})
    shown = page.locator("#check-result .flag-list .flag").all_inner_texts()
    assert {label.split(" ", 1)[1] for label in shown} == {hit["label"] for hit in english["red_flags"]}
    assert {hit["label"] for hit in english["red_flags"]}.isdisjoint(
        {hit["label"] for hit in indonesian["red_flags"]}
    )
    page.locator("#check-result mark.hl").first.click()
    expect(page.locator("#check-result .explain")).to_contain_text("ILO forced-labour indicator")
    expect(page.locator("#check-result .checklist")).to_contain_text("Never pay up front")
    visit.shot("05-english")
    page.click("#lang")
    expect(page.locator("#tab-check")).to_have_text("Periksa iklan")
    expect(page.locator("#check-result .level-word")).to_have_text("Waspada tinggi")


def test_quiz_round_the_room_guesses_the_trainer_reveals_the_truth(visit: Visit) -> None:
    page = visit.page
    first, second = _gallery()[:2]
    page.click("#tab-quiz")
    expect(page.locator("#panel-quiz")).to_be_visible()
    expect(page.locator("#panel-check")).to_be_hidden()
    expect(page.locator("#quiz-progress")).to_have_text(f"Iklan 1 dari {len(_gallery())}")
    expect(page.locator("#quiz-ad")).to_have_text(first["text"])
    assert page.locator("#panel-quiz mark.hl, #panel-quiz .level-word").count() == 0  # no spoilers
    page.click("#guess-danger")
    expect(page.locator("#guess-danger")).to_have_attribute("aria-pressed", "true")
    visit.shot("06-quiz-question")
    page.click("#reveal")
    answer = page.locator("#quiz-answer .answer")
    expect(page.locator("#reveal")).to_be_disabled()
    expect(answer).to_have_attribute("data-truth", first["label"])
    truth = "Jawaban: BERBAHAYA" if first["label"] == "high_risk" else "Jawaban: AMAN"
    expect(answer.locator(".truth")).to_have_text(truth)
    expect(answer.locator(".guess-line")).to_contain_text(
        "benar" if first["label"] == "high_risk" else "belum"
    )
    expect(answer.locator(".model-verdict")).to_contain_text("Model:")
    assert (
        page.locator("#quiz-result mark.hl").count() >= 1
        and page.locator("#quiz-result svg.gauge").count() == 1
    )
    visit.shot("07-quiz-answer")
    page.click("#next")
    expect(page.locator("#quiz-progress")).to_have_text(f"Iklan 2 dari {len(_gallery())}")
    expect(page.locator("#quiz-ad")).to_have_text(second["text"])
    assert page.locator("#quiz-answer .answer, #quiz-result .result").count() == 0
    expect(page.locator("#guess-danger")).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#reveal")).to_be_enabled()


def test_presentation_mode_enlarges_the_text_and_has_a_keyboard_shortcut(visit: Visit) -> None:
    page = visit.page
    _check(visit, EMOJI_AD)
    size = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('#check-result .ad-text')).fontSize)"
    )
    page.locator("body").press("Alt+KeyP")
    expect(page.locator("html")).to_have_class("present")
    expect(page.locator("#present")).to_have_attribute("aria-pressed", "true")
    bigger = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('#check-result .ad-text')).fontSize)"
    )
    assert bigger >= 1.3 * size
    page.locator("#check-result .result-title").scroll_into_view_if_needed()
    visit.shot("08-presentation")
    page.click("#present")
    expect(page.locator("#present")).to_have_attribute("aria-pressed", "false")
    assert "present" not in (page.locator("html").get_attribute("class") or "")


def test_phone_width_375_has_no_horizontal_scroll(browser: Browser, server: Server) -> None:
    with _open(browser, server, width=375, height=812) as visit:
        page = visit.page
        overflow = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        assert page.evaluate(overflow) <= 0
        page.click('#gallery .card[data-id="hr2K-090"]')  # a long t.me link, emoji
        page.wait_for_selector("#check-result .result")
        page.locator("#check-result mark.hl").first.click()
        expect(page.locator("#check-result .explain")).to_be_visible()
        assert page.evaluate(overflow) <= 0
        page.locator("#check-result .result-title").scroll_into_view_if_needed()
        visit.shot("09-phone")
        page.click("#tab-quiz")
        page.click("#reveal")
        page.wait_for_selector("#quiz-result .result")
        assert page.evaluate(overflow) <= 0


@pytest.mark.parametrize(
    ("path", "operation"),
    [("/docs", "#swagger-ui .opblock"), ("/redoc", "[data-section-id*='/operation/']")],
)
def test_api_docs_render_every_operation_offline(
    browser: Browser, server: Server, path: str, operation: str
) -> None:
    spec = server.call("GET", "/openapi.json")[1]
    operations = sum(len(methods) for methods in spec["paths"].values())
    with _open(browser, server, path=path, ready=operation) as visit:  # no request to another host
        expect(visit.page.locator(operation)).to_have_count(operations)
        expect(visit.page.locator("body")).to_contain_text("/v1/score/batch")
        # ReDoc's "by Redocly" logo (on a CDN): the CSP stops it, and ReDoc hides it
        expect(visit.page.locator("img[src^='http']")).to_have_count(0)
        visit.shot("12-api" + path.replace("/", "-"))


def test_warnings_for_short_or_english_text_are_shown(visit: Visit) -> None:
    warnings = visit.page.locator("#check-result .warnings li")
    _check(visit, "Kerja di Kamboja, gaji besar")
    expect(warnings).to_have_text(["teks sangat pendek (5 kata): model dilatih dengan teks minimal 8 kata"])
    english = (
        "We are hiring customer service staff for our office in Cambodia. The salary is very good, "
        "no experience is needed, and we pay for your ticket and your passport."
    )
    _check(visit, english)
    expect(warnings).to_contain_text(["berbahasa Inggris"])


def test_api_errors_are_shown_in_plain_words(visit: Visit) -> None:
    page = visit.page
    error = page.locator("#check-error")
    for text, says in [
        ("", "Tempelkan teks iklan terlebih dahulu."),
        ("12345 !!!", "tidak berisi huruf"),
        ("Lowongan " * 2_300, "paling banyak 20.000 karakter"),
    ]:
        page.fill("#ad-text", text)
        page.click("#check-form button[type=submit]")
        expect(error).to_be_visible()
        expect(error).to_contain_text(says)
        assert page.locator("#check-result .result").count() == 0
    visit.shot("10-error")
    _check(visit, EMOJI_AD)  # and the page still works
    expect(error).to_be_hidden()


def test_api_key_is_asked_once_and_kept_for_the_tab(browser: Browser, tiny_model_path: Path) -> None:
    keyed = Server(
        [sys.executable, "serve.py", "--model", str(tiny_model_path)], {"TPPO_API_KEYS": "kunci-pelatih"}
    ).wait_ready()
    try:
        with _open(browser, keyed) as visit:
            page = visit.page
            expect(page.locator("#key-form")).to_be_visible()  # the catalogue call was refused
            expect(page.locator("#api-key")).to_be_focused()
            visit.shot("11-api-key")
            page.fill("#api-key", "salah")
            page.click("#key-form button[type=submit]")
            expect(page.locator("#key-form")).to_be_visible()
            expect(page.locator("#key-message")).to_contain_text("Kunci ditolak")
            page.fill("#api-key", "kunci-pelatih")
            page.click("#key-form button[type=submit]")
            expect(page.locator("#key-form")).to_be_hidden()
            _check(visit, EMOJI_AD)
            assert page.evaluate("sessionStorage.getItem('tppo-api-key')") == "kunci-pelatih"
            page.reload()
            page.wait_for_selector("body[data-ready=true]")
            expect(page.locator("#key-form")).to_be_hidden()  # kept for the tab
            _check(visit, EMOJI_AD)
    finally:
        keyed.stop()
