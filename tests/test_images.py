"""Pictures of ads: decoding and its refusals, OCR with word boxes (real Tesseract), scoring through
the one path, the annotated picture, and `tppo-screen check` on a picture file."""

from __future__ import annotations

import json
from pathlib import Path

import numpy
import pytest
from PIL import Image, ImageDraw
from typer.testing import CliRunner

from tests.posters import (
    SCAM_POSTER_TEXT,
    Poster,
    animated_gif,
    encoded,
    fifty_megapixels,
    png_header_only,
    render_poster,
)
from tppo_screen.cli import app
from tppo_screen.errors import ImageError, InputError
from tppo_screen.images.annotate import STYLES, annotate
from tppo_screen.images.decode import load_image, sniff_image
from tppo_screen.images.ocr import SMALL, OcrResult, boxes_for_span, read_text
from tppo_screen.images.scoring import LOW_CONFIDENCE, score_image, score_ocr
from tppo_screen.model.artifacts import Model
from tppo_screen.model.scoring import score_texts

runner = CliRunner()


@pytest.fixture(scope="module")
def poster() -> Poster:
    return render_poster(SCAM_POSTER_TEXT, width=620, size=24)  # small: "auto" enlarges it for OCR


@pytest.fixture(scope="module")
def poster_png(poster: Poster) -> bytes:
    return encoded(poster.image)


# --- decoding ----------------------------------------------------------------------------------


def _refusal(data: bytes, **limits: int) -> ImageError:
    with pytest.raises(ImageError) as caught:
        load_image(data, **limits)
    return caught.value


def test_every_bad_picture_gets_its_kind_and_a_message_that_says_what_to_send(poster_png: bytes) -> None:
    cases = {
        "empty": (b"", "empty (0 bytes)"),
        "not_image": (b"Lowongan kerja Kamboja, paspor dibantu", "not a picture"),
        "truncated": (poster_png[: len(poster_png) // 2], "damaged or cut short"),
        "animated": (animated_gif(), "animated GIF: send one frame as PNG/JPEG"),
        "too_many_pixels": (png_header_only(100_000, 100_000), "too large to decode safely"),
    }
    for kind, (data, words) in cases.items():
        refusal = _refusal(data)
        assert refusal.kind == kind and words in str(refusal), (kind, str(refusal))
    tiff = encoded(Image.new("RGB", (20, 20)), "TIFF")
    assert _refusal(tiff).kind == "not_image" and "TIFF" in str(_refusal(tiff))


def test_a_50_megapixel_photo_is_refused_with_the_limit_and_how_to_shrink_it() -> None:
    refusal = _refusal(fifty_megapixels())
    assert refusal.kind == "too_many_pixels"
    assert "8,660 × 5,774" in str(refusal) and "limit of 40 megapixels" in str(refusal)
    assert "shrink it" in str(refusal)


def test_the_byte_limit_is_checked_before_decoding(poster_png: bytes) -> None:
    refusal = _refusal(poster_png, max_bytes=1024)
    assert refusal.kind == "too_large" and "over the limit of 1,024" in str(refusal)


def test_jpeg_webp_and_png_decode_upright_in_rgb(poster: Poster) -> None:
    for kind in ("JPEG", "WEBP", "PNG"):
        data = encoded(poster.image.convert("RGB"), kind)
        assert sniff_image(data[:16]) == kind.lower()
        picture = load_image(data)
        assert picture.mode == "RGB" and picture.size == poster.image.size
    rotated = poster.image.rotate(90, expand=True)  # stored on its side, EXIF says turn it back
    exif = Image.Exif()
    exif[0x0112] = 8  # orientation: rotate 90° clockwise to view
    picture = load_image(encoded(rotated, "JPEG", exif=exif.tobytes()))
    assert picture.size == poster.image.size


def test_transparent_pictures_are_laid_on_white() -> None:
    clear = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    assert load_image(encoded(clear)).getpixel((5, 5)) == (255, 255, 255)


# --- OCR and scoring (real Tesseract) -----------------------------------------------------------


@pytest.fixture(scope="module")
def read(poster_png: bytes) -> OcrResult:
    return read_text(load_image(poster_png))


def test_ocr_reads_the_key_words_and_every_word_maps_to_its_characters(read: OcrResult) -> None:
    for word in ("LOWONGAN", "KAMBOJA", "paspor", "dibantu", "pengalaman"):
        assert word in read.text, read.text
    assert read.confidence > LOW_CONFIDENCE
    for word in read.words:
        assert read.text[word.start : word.end] == word.text
    assert read.text.count("\n") == 3  # one line per line of the poster


@pytest.mark.slow  # OCR and a model load: about 2 s
def test_a_red_flag_span_maps_to_boxes_over_its_words(
    tiny_model: Model, poster: Poster, poster_png: bytes
) -> None:
    scored = score_image(tiny_model, poster_png)
    assert scored.score == score_texts(tiny_model, [scored.ocr.text])[0]  # the one path
    passport = next(span for span in scored.spans if span.flag == "passport_handling")
    assert scored.ocr.text[passport.start : passport.end].lower() == "paspor dibantu"
    [box] = passport.boxes  # two words of one line: one box
    for word in ("paspor", "dibantu"):
        x, y, w, h = poster.box_of(word)
        centre = (x + w / 2, y + h / 2)
        assert box[0] <= centre[0] <= box[0] + box[2] and box[1] <= centre[1] <= box[1] + box[3]
    x, y, w, h = poster.box_of("LOWONGAN")  # not evidence of this flag
    assert not box[0] <= x + w / 2 <= box[0] + box[2] or not box[1] <= y + h / 2 <= box[1] + box[3]


def test_boxes_are_in_the_original_pixels_after_upscaling(read: OcrResult, poster: Poster) -> None:
    assert max(poster.image.size) < SMALL  # so OCR saw it enlarged 3x
    start = read.text.index("KAMBOJA")
    [box] = boxes_for_span(read, start, start + len("KAMBOJA"))
    x, y, w, h = poster.box_of("KAMBOJA")
    assert abs(box[0] - x) <= 4 and abs(box[1] - y) <= 6 and abs(box[2] - w) <= 8


def test_an_unknown_preprocess_step_is_refused_before_ocr(poster_png: bytes) -> None:
    with pytest.raises(InputError, match="preprocess must be one of auto, .*gray_upscale"):
        read_text(load_image(poster_png), preprocess="sharpen")


def test_a_picture_without_text_is_refused(tiny_model: Model) -> None:
    blank = Image.new("RGB", (400, 300), (30, 120, 200))
    ImageDraw.Draw(blank).ellipse((100, 60, 300, 240), fill=(250, 200, 40))  # a sun, no words
    with pytest.raises(ImageError) as caught:
        score_image(tiny_model, encoded(blank))
    assert caught.value.kind == "no_text" and "no text found in the picture" in str(caught.value)


def test_low_confidence_adds_a_warning_and_changes_nothing_else(tiny_model: Model, read: OcrResult) -> None:
    unsure = OcrResult(read.text, 40.0, read.words, read.width, read.height)
    sure, doubtful = score_ocr(tiny_model, read), score_ocr(tiny_model, unsure, language="en")
    assert not any("OCR" in warning for warning in sure.score.warnings)
    assert "low confidence (OCR 40/100, below 70)" in doubtful.score.warnings[0]
    assert doubtful.score.score == sure.score.score and doubtful.spans == sure.spans


def test_annotate_outlines_each_sign_in_the_demo_pages_colour_and_line_for_its_severity(
    tiny_model: Model, poster: Poster, read: OcrResult
) -> None:
    """As on the demo page: high solid red, medium dashed amber, low dotted grey, cues double
    green; a solid line covers the whole top edge, a broken one leaves gaps."""
    scored = score_ocr(tiny_model, read)
    annotated = annotate(poster.image, scored)
    severity = {hit.id: hit.severity for hit in scored.score.red_flags}
    styles = {severity[s.flag] if s.kind == "red" else "green" for s in scored.spans}
    assert "high" in styles and len(styles) >= 2, styles
    pixels = numpy.asarray(annotated)
    for span in scored.spans:
        style = severity[span.flag] if span.kind == "red" else "green"
        colour, line = STYLES[style]
        for x, y, w, _ in span.boxes:
            rows = pixels[y - 12 : y - 2, x : x + w]  # the box's top edge lies in these rows
            drawn = (rows == colour).all(axis=2).any(axis=0)  # columns where the colour is
            if line in {"solid", "double"}:
                assert drawn.mean() > 0.95, (span.flag, line)
            else:
                assert 0.1 < drawn.mean() < 0.8, (span.flag, line)
    x, y, w, _ = next(s for s in scored.spans if s.flag == "passport_handling").boxes[0]
    assert tuple(numpy.asarray(poster.image)[y - 5, x + w // 2]) != STYLES["high"][0]  # original untouched


# --- the CLI -----------------------------------------------------------------------------------


@pytest.mark.slow  # OCR and a model load: about 2 s
def test_check_reads_a_picture_by_its_content_and_saves_it_annotated(
    tiny_model_path: Path, poster_png: bytes, tmp_path: Path
) -> None:
    picture = tmp_path / "iklan.txt"  # a picture whatever its name says
    picture.write_bytes(poster_png)
    annotated = tmp_path / "boxes.png"
    args = ["check", str(picture), "--model", str(tiny_model_path), "--save-annotated", str(annotated)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "confidence" in result.output and "paspor dibantu" in result.output
    assert "as read from the picture" in result.output
    drawn = Image.open(annotated)
    assert drawn.format == "PNG" and drawn.size == Image.open(picture).size
    assert (numpy.asarray(drawn.convert("RGB")) == STYLES["high"][0]).all(axis=2).sum() > 200
    assert sorted(p.name for p in tmp_path.iterdir()) == ["boxes.png", "iklan.txt"]  # no partial file


@pytest.mark.slow  # OCR and a model load: about 2 s
def test_check_json_of_a_picture_carries_ocr_and_spans(
    tiny_model_path: Path, poster_png: bytes, tmp_path: Path
) -> None:
    picture = tmp_path / "poster.png"
    picture.write_bytes(poster_png)
    result = runner.invoke(app, ["check", str(picture), "--json", "--model", str(tiny_model_path)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert "KAMBOJA" in payload["ocr"]["text"] and payload["ocr"]["words"][0]["box"]
    assert any(span["flag"] == "passport_handling" and span["boxes"] for span in payload["spans"])


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "is empty (0 bytes)"),
        (b"Lowongan kerja", "is a file but not a picture"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00", "damaged or cut short"),
        (animated_gif(), "animated GIF: send one frame as PNG/JPEG"),
    ],
)
def test_check_refuses_a_bad_picture_in_one_line_with_exit_1(
    tiny_model_path: Path, tmp_path: Path, data: bytes, says: str
) -> None:
    picture = tmp_path / "poster.jpg"
    picture.write_bytes(data)
    annotated = tmp_path / "boxes.png"
    args = ["check", str(picture), "--model", str(tiny_model_path), "--save-annotated", str(annotated)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and says in result.output, result.output
    assert result.output.count("error:") == 1 and not annotated.exists()


def test_check_still_scores_text_and_refuses_save_annotated_without_a_picture(tiny_model_path: Path) -> None:
    text = "Admin CS Kamboja, paspor dibantu"
    assert runner.invoke(app, ["check", text, "--model", str(tiny_model_path)]).exit_code == 0
    result = runner.invoke(app, ["check", text, "--model", str(tiny_model_path), "--save-annotated", "x.png"])
    assert result.exit_code == 1 and "needs a picture file" in result.output
