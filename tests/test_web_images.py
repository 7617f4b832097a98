"""The demo page with pictures and corrections, in real headless Chromium against the real server
(real Tesseract, a real SQLite store of corrections in a temporary directory).

A poster chosen or pasted gets its red flags and cues outlined on the picture, in the text view's
line styles, at whatever size it is shown; the text read is corrected and checked again; the
picture's errors are told in plain words; "Model salah?" records one correction, and is not
shown when the server keeps none. Screenshots go to out/screenshots/ as in tests/test_web.py.
"""

from __future__ import annotations

import base64
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageFilter
from playwright.sync_api import Browser, Page, expect

from tests.posters import Poster, render_poster
from tests.servers import Server
from tests.test_web import EMOJI_AD, LEVELS, SEVERITY_RANK, Visit, _check, _open, browser  # noqa: F401 (a fixture)
from tppo_screen.config import DEFAULT_MODEL
from tppo_screen.feedback.store import open_store

pytestmark = pytest.mark.slow  # real servers, browsers and Tesseract: left out of make check

AD = (
    "LOWONGAN KERJA ke Kamboja\n"
    "Dicari admin CS, gaji 15 juta per bulan, tanpa pengalaman.\n"
    "Paspor dibantu, tiket ditanggung, berangkat pakai visa turis.\n"
    "Minat? WA only 08xx-xxxx-xxxx"
)
LEGIT_AD = (
    "Lowongan Perawat ke Jerman\n"
    "Program G to G Triple Win dari BP2MI.\n"
    "GRATIS, tanpa biaya penempatan.\n"
    "Kontrak kerja tertulis dan visa kerja.\n"
    "Daftar resmi di bp2mi.go.id"
)
LINE_STYLE = {"high": "solid", "medium": "dashed", "low": "dotted", "green": "double"}  # as the highlights
BOXES_JS = """() => [...document.querySelectorAll('#check-result .picture .box')].map(box => {
    const rect = box.getBoundingClientRect();
    return {flags: box.dataset.flags.split(' '), rect: [rect.x, rect.y, rect.width, rect.height],
            severity: [...box.classList].find(c => c.startsWith('sev-')).slice(4),
            style: getComputedStyle(box).borderTopStyle};
})"""
DROP_JS = """([text, name]) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([text], name, {type: 'text/plain'}));
    const target = document.querySelector('#image-drop');
    const options = {dataTransfer: transfer, bubbles: true, cancelable: true};
    target.dispatchEvent(new DragEvent('dragover', options));
    const dragging = target.classList.contains('dragging');
    target.dispatchEvent(new DragEvent('drop', options));
    return dragging;
}"""
PASTE_JS = """([data, name]) => {
    const bytes = Uint8Array.from(atob(data), c => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], name, {type: 'image/png'}));
    const event = new ClipboardEvent('paste', {clipboardData: transfer, bubbles: true, cancelable: true});
    document.activeElement.dispatchEvent(event);
    return event.defaultPrevented;
}"""


@pytest.fixture(scope="module")
def store_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('feedback') / 'feedback.sqlite3'}"


@pytest.fixture(scope="module")
def servers(store_url: str) -> Iterator[tuple[Server, Server]]:
    """A server keeping corrections in `store_url`, and one keeping none (TPPO_FEEDBACK_DB=off),
    which starts now and is waited for only by the test that needs it."""
    command = [sys.executable, "serve.py", "--model", str(DEFAULT_MODEL)]
    bare = Server(command, {"TPPO_FEEDBACK_DB": "off"})
    try:
        running = Server(command, {"TPPO_FEEDBACK_DB": store_url})
        try:
            yield running.wait_ready(), bare
        finally:
            running.stop()
    finally:
        bare.stop()


@pytest.fixture(scope="module")
def server(servers: tuple[Server, Server]) -> Server:
    return servers[0]


@pytest.fixture
def visit(browser: Browser, server: Server) -> Iterator[Visit]:  # noqa: F811 (the fixture imported above)
    with _open(browser, server) as opened:
        yield opened


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _blurred(poster: Poster) -> bytes:
    """A poor photo of a poster: grey on grey, small, blurred, JPEG quality 40."""
    image = poster.image.resize((poster.image.width * 45 // 100, poster.image.height * 45 // 100))
    out = io.BytesIO()
    image.filter(ImageFilter.GaussianBlur(1.8)).save(out, "JPEG", quality=40)
    return out.getvalue()


def _upload(page: Page, name: str, data: bytes, mime: str = "image/png") -> dict[str, Any]:
    """Choose a picture with the file chooser; the page's /v1/score/image answer."""
    with page.expect_response(lambda response: "/v1/score/image" in response.url) as answer:
        page.set_input_files("#image-file", files=[{"name": name, "mimeType": mime, "buffer": data}])
    page.wait_for_selector("#check-result .picture + .result")
    body: dict[str, Any] = answer.value.json()
    return body


def _on_screen(page: Page, box: list[int] | tuple[int, int, int, int], width: int) -> list[float]:
    """Where a box in the picture's pixels is drawn: the canvas's place and displayed scale."""
    canvas = page.locator("#check-result canvas.picture-image").bounding_box()
    assert canvas is not None
    scale = canvas["width"] / width
    return [canvas["x"] + box[0] * scale, canvas["y"] + box[1] * scale, box[2] * scale, box[3] * scale]


def _surrounds(outer: list[float], inner: list[float], slack: float = 2.0) -> bool:
    return (
        outer[0] <= inner[0] + slack
        and outer[1] <= inner[1] + slack
        and outer[0] + outer[2] >= inner[0] + inner[2] - slack
        and outer[1] + outer[3] >= inner[1] + inner[3] - slack
    )


def _assert_outlines_follow_the_words(page: Page, poster: Poster, body: dict[str, Any]) -> None:
    """The tourist-visa outline surrounds "visa turis." where the poster drew it, and is not much
    larger, at the size the picture is shown now."""
    outlines = page.evaluate(BOXES_JS)
    visa = next(o for o in outlines if "tourist_visa" in o["flags"])
    left, right = poster.box_of("visa"), poster.box_of("turis")
    words = (left[0], left[1], right[0] + right[2] - left[0], max(left[3], right[3]))
    drawn = _on_screen(page, words, body["ocr"]["width"])
    assert _surrounds(visa["rect"], drawn), (visa["rect"], drawn)
    assert visa["rect"][2] < drawn[2] * 1.3 + 12 and visa["rect"][3] < drawn[3] * 1.6 + 12, (visa, drawn)


def test_uploaded_poster_shows_its_red_flags_outlined_in_the_text_views_styles(
    visit: Visit, tmp_path: Path
) -> None:
    page = visit.page
    poster = render_poster(AD)
    body = _upload(page, "poster.png", _png(poster.image))
    assert body["ocr"]["confidence"] >= 70 and body["level"] == "high"
    hits = {hit["id"]: hit for hit in body["red_flags"] + body["green_flags"]}
    outlines = page.evaluate(BOXES_JS)
    outlined = {flag for outline in outlines for flag in outline["flags"]}
    assert {span["flag"] for span in body["spans"] if span["boxes"]} <= outlined
    assert {"tourist_visa", "passport_handling"} <= outlined and len(outlines) >= 5
    for outline in outlines:  # colour class and line style of the most severe flag, as in the text
        red = [
            hits[flag]["severity"]
            for flag in outline["flags"]
            if flag in {h["id"] for h in body["red_flags"]}
        ]
        severity = max(red, key=SEVERITY_RANK.__getitem__) if red else "green"
        assert (outline["severity"], outline["style"]) == (severity, LINE_STYLE[severity]), outline
    _assert_outlines_follow_the_words(page, poster, body)
    expect(page.locator("#check-result .ocr-text")).to_have_value(body["ocr"]["text"])
    expect(page.locator("#check-result .ocr-line")).to_contain_text(f"{round(body['ocr']['confidence'])}%")
    expect(page.locator("#check-result .ocr-warning")).to_have_count(0)
    expect(page.locator("#check-result .result .level-word")).to_have_text(LEVELS["id"]["high"])
    expect(page.locator("#check-result mark.hl[data-flags~='tourist_visa']")).to_have_count(1)
    visit.shot("13-image-poster")
    # from the keyboard: the outline opens the explanation, Escape gives the focus back
    outline = page.locator("#check-result .box[data-flags~='tourist_visa']")
    outline.focus()
    page.keyboard.press("Enter")
    panel = page.locator("#check-result .explain")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text(hits["tourist_visa"]["label"])
    expect(outline).to_have_attribute("aria-expanded", "true")
    highlight = page.locator("#check-result mark.hl[data-flags~='tourist_visa']")
    expect(highlight).to_have_class("hl sev-high active")  # the same sign, active in the text too
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(outline).to_be_focused()
    # presentation mode shows the picture at another size: the outlines follow
    width = page.locator("#check-result canvas.picture-image").bounding_box()
    page.locator("body").press("Alt+KeyP")
    expect(page.locator("html")).to_have_class("present")
    assert page.locator("#check-result canvas.picture-image").bounding_box() != width
    _assert_outlines_follow_the_words(page, poster, body)
    page.locator("#check-result .picture-title").scroll_into_view_if_needed()
    visit.shot("14-image-presentation")


def test_pasted_screenshot_is_checked_and_its_cues_are_outlined_double(visit: Visit) -> None:
    page = visit.page
    data = base64.b64encode(_png(render_poster(LEGIT_AD).image)).decode()
    page.focus("#ad-text")  # the cursor in the text box, as when a trainer presses Ctrl+V
    with page.expect_response(lambda response: "/v1/score/image" in response.url) as answer:
        assert page.evaluate(PASTE_JS, [data, "tangkapan-layar.png"])  # the page took the paste
    page.wait_for_selector("#check-result .picture + .result")
    body = answer.value.json()
    expect(page.locator("#ad-text")).to_have_value("")  # the picture did not land in the text box
    assert body["level"] == "low" and body["green_flags"] and not body["red_flags"]
    outlines = page.evaluate(BOXES_JS)
    assert {"official_registration", "g2g_programme"} <= {f for o in outlines for f in o["flags"]}
    assert {(o["severity"], o["style"]) for o in outlines} == {("green", "double")}
    expect(page.locator("#check-result .result .level-word")).to_have_text(LEVELS["id"]["low"])
    expect(page.locator("#check-result .picture-title")).to_be_focused()


def test_poorly_read_photo_warns_and_the_corrected_text_checked_again_changes_the_result(
    visit: Visit, server: Server, store_url: str
) -> None:
    page = visit.page
    poster = render_poster(AD, ink=(90, 90, 90), paper=(150, 150, 150))
    body = _upload(page, "foto-poster.jpg", _blurred(poster), "image/jpeg")
    confidence = body["ocr"]["confidence"]
    assert confidence < 70
    warning = page.locator("#check-result .ocr-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(f"keyakinan {round(confidence)}%")
    expect(page.locator("#check-result .result .warnings")).to_contain_text("keyakinan rendah")
    before = {hit["id"] for hit in body["red_flags"]}
    # the room reads the poster and types what it says; "Periksa ulang" checks that text
    page.fill("#ocr-text", AD)
    with page.expect_response(lambda response: response.url.endswith("/v1/score")):
        page.click("#recheck")
    page.wait_for_selector("#check-result .picture + .result")
    _, truth, _ = server.call("POST", "/v1/score", {"text": AD, "lang": "id"})
    after = {hit["id"] for hit in truth["red_flags"]}
    assert after != before  # the blurred read missed some of the signs
    expect(page.locator("#check-result .result .level-word")).to_have_text(LEVELS["id"][truth["level"]])
    shown = page.locator("#check-result .result .flag-list .flag").evaluate_all(
        "bs => bs.map(b => b.dataset.flag)"
    )
    assert set(shown) == after | {hit["id"] for hit in truth["green_flags"]}
    expect(page.locator("#check-result .rechecked")).to_be_visible()
    outlines = page.evaluate(BOXES_JS)  # on the words of the picture that the correction kept
    assert outlines and {f for o in outlines for f in o["flags"]} <= after
    visit.shot("15-image-corrected")
    # "Model salah?" on the corrected result records the corrected text
    page.locator("#check-result .feedback button[data-label='legit']").click()
    expect(page.locator("#check-result .feedback-status")).to_contain_text("Tercatat")
    rows = open_store(store_url).frame()
    row = rows[rows["text"].str.startswith("LOWONGAN KERJA ke Kamboja\nDicari admin CS")]
    assert len(row) == 1 and row.iloc[0]["label"] == "legit", rows


def test_corrected_words_find_their_boxes_through_the_words_read(visit: Visit) -> None:
    """boxes.js: equal words keep their box, a misread word replaced one for one takes the box of
    the word it replaces, a word the room added has none; offsets are code points (emoji)."""
    words = ["Pare", "henty,", "Tibet", "ditanggung", "visa", "turis"]
    ocr = {"words": [{"text": w, "box": [10 * i, 0, 8, 8]} for i, w in enumerate(words)]}
    text = "🇰🇭 Paspor dibantu, tiket ditanggung, pakai visa turis"
    found = visit.page.evaluate(
        """async ([text, ocr, spans]) => {
            const boxesFor = (await import('/web/boxes.js')).boxesFor(text, ocr);
            return spans.map(([start, end]) => boxesFor(start, end));
        }""",
        [text, ocr, [[3, 18], [19, 24], [43, 53], [48, 53], [37, 42], [0, 2]]],
    )
    assert found == [
        [[0, 0, 8, 8], [10, 0, 8, 8]],  # "Paspor dibantu," replaced "Pare henty," word for word
        [[20, 0, 8, 8]],  # "tiket" for "Tibet"
        [[40, 0, 8, 8], [50, 0, 8, 8]],  # "visa turis": equal words
        [[50, 0, 8, 8]],  # "turis" alone
        [],  # "pakai", added by the room: no word of the picture
        [],  # the emoji, which OCR did not read
    ]


def test_pictures_that_cannot_be_read_are_refused_in_plain_words(visit: Visit) -> None:
    page = visit.page
    poster = _png(render_poster("Lowongan kerja admin").image)
    error = page.locator("#check-error")
    for name, data, says in [
        ("iklan.txt", b"Lowongan kerja admin, gaji besar", "bukan gambar"),
        ("kosong.png", b"", "kosong (0 byte)"),
        ("rusak.png", poster[: len(poster) // 2], "rusak atau tidak lengkap"),
        ("polos.png", _png(Image.new("RGB", (600, 400), "white")), "Tidak ada teks yang terbaca"),
        ("raksasa.png", _png(Image.new("L", (8_000, 6_500), 255)), "terlalu banyak piksel"),
    ]:
        page.set_input_files("#image-file", files=[{"name": name, "mimeType": "image/png", "buffer": data}])
        expect(error).to_contain_text(says)
        assert page.locator("#check-result .picture, #check-result .result").count() == 0
        assert "HTTP" not in error.inner_text()
    # a file dropped on the page goes the same way
    assert page.evaluate(DROP_JS, ["Lowongan kerja admin, gaji besar", "iklan-lain.txt"])
    expect(error).to_contain_text("bukan gambar")
    expect(page.locator("#image-drop")).not_to_have_class("image-drop dragging")
    visit.shot("16-image-error")
    _check(visit, EMOJI_AD)  # the page still checks text
    expect(error).to_be_hidden()


def test_model_salah_records_one_correction_with_one_click(
    visit: Visit, server: Server, store_url: str
) -> None:
    page = visit.page
    _check(visit, EMOJI_AD)
    feedback = page.locator("#check-result .feedback")
    expect(feedback).to_contain_text("Model salah?")
    first = feedback.locator("button").first  # the model said "Waspada tinggi": "Sebenarnya aman" first
    expect(first).to_have_text("✓ Sebenarnya aman")
    expect(first).to_have_class("feedback-safe primary")
    page.locator("#check-result .feedback").scroll_into_view_if_needed()
    first.click()
    expect(feedback.locator(".feedback-status")).to_have_text("Tercatat: «Sebenarnya aman». Terima kasih.")
    expect(first).to_have_attribute("aria-pressed", "true")
    expect(feedback.locator("button:enabled")).to_have_count(0)  # one click, one correction
    visit.shot("17-feedback")
    _, scored, _ = server.call("POST", "/v1/score", {"text": EMOJI_AD, "lang": "id"})
    rows = open_store(store_url).frame()
    mine = rows[rows["text"].str.contains("Dicari admin CS di Kamboja")]
    assert len(mine) == 1, rows
    row = mine.iloc[0]
    assert row["label"] == "legit" and row["model_version"] == scored["model_version"]
    assert row["model_score"] == pytest.approx(scored["score"])
    # the same room, the same ad, again: told it is there already, still one row
    _check(visit, EMOJI_AD)
    page.locator("#check-result .feedback button").first.click()
    expect(page.locator("#check-result .feedback-status")).to_contain_text("sudah ada sebelumnya")
    rows = open_store(store_url).frame()
    assert rows["text"].str.contains("Dicari admin CS di Kamboja").sum() == 1


def test_model_salah_is_not_shown_when_the_server_keeps_no_corrections(
    browser: Browser,  # noqa: F811 (the fixture imported above)
    servers: tuple[Server, Server],
) -> None:
    bare = servers[1].wait_ready()
    assert bare.call("GET", "/v1/feedback/status")[1]["feedback"] is False
    with _open(browser, bare) as visit:
        _check(visit, EMOJI_AD)
        expect(visit.page.locator("#check-result .result .verdict")).to_be_visible()
        expect(visit.page.locator("#check-result .feedback")).to_have_count(0)
