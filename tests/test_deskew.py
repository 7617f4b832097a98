"""A poster turned a few degrees: the turn is found, the text read, the boxes on the right words."""

from __future__ import annotations

import math
import shutil

import pytest
from PIL import Image, ImageOps

from tests.posters import SCAM_POSTER_TEXT, render_poster
from tppo_screen.images.deskew import skew_angle
from tppo_screen.images.ocr import read_text

TURN = -4.6  # clockwise: the turn that lost whole posters before images.deskew


def _turned(image: Image.Image, angle: float) -> Image.Image:
    return image.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=(255, 236, 160))


def _where(point: tuple[float, float], size: tuple[int, int], turned: tuple[int, int], angle: float):  # noqa: ANN202
    """Where `point` of a picture of `size` lands after `Image.rotate(angle, expand=True)`."""
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    dx, dy = point[0] - size[0] / 2, point[1] - size[1] / 2
    return turned[0] / 2 + dx * cos + dy * sin, turned[1] / 2 - dx * sin + dy * cos


def test_the_turn_is_measured_and_a_level_picture_is_left_alone() -> None:
    poster = render_poster(SCAM_POSTER_TEXT).image
    assert skew_angle(ImageOps.grayscale(poster)) == 0.0
    for angle in (TURN, 3.0):
        assert skew_angle(ImageOps.grayscale(_turned(poster, angle))) == pytest.approx(-angle, abs=0.3)


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract missing: run `make ocr`")
def test_a_turned_poster_is_read_with_boxes_on_the_words() -> None:
    poster = render_poster(SCAM_POSTER_TEXT)
    turned = _turned(poster.image, TURN)
    result = read_text(turned)
    assert "KAMBOJA" in result.text and "paspor" in result.text
    word = next(w for w in result.words if w.text.strip(".,:") == "KAMBOJA")
    x, y, w, h = poster.box_of("KAMBOJA")
    expected = _where((x + w / 2, y + h / 2), poster.image.size, turned.size, TURN)
    centre = (word.box[0] + word.box[2] / 2, word.box[1] + word.box[3] / 2)
    assert math.dist(centre, expected) < 12, (centre, expected)
    assert (result.width, result.height) == turned.size
    assert "KAMBOJA" not in read_text(turned, preprocess="gray").text  # what auto read before the turn
