"""The picture with its evidence outlined, in the demo page's colours: each red flag's words in a
solid red box, each legitimacy cue's in a dashed green one."""

from __future__ import annotations

from PIL import Image, ImageDraw

from tppo_screen.images.ocr import Box
from tppo_screen.images.scoring import ImageScore

RED = (179, 38, 30)  # --high of the demo page's style.css
GREEN = (27, 107, 50)  # --green
PADDING = 3  # pixels between a word and its outline


def annotate(image: Image.Image, image_score: ImageScore) -> Image.Image:
    """A copy of `image` (the decoded picture, `decode.load_image`) with the boxes of every span
    in `image_score` drawn on it: cues first, so that a red flag on the same words stays on top."""
    annotated = image.convert("RGB")
    draw = ImageDraw.Draw(annotated)
    width = max(2, round(max(annotated.size) / 400))
    for span in sorted(image_score.spans, key=lambda s: s.kind == "red"):
        for box in span.boxes:
            if span.kind == "red":
                draw.rectangle(_padded(box, width), outline=RED, width=width)
            else:
                _dashed_rectangle(draw, _padded(box, width), GREEN, width)
    return annotated


def _padded(box: Box, width: int) -> tuple[int, int, int, int]:
    x, y, w, h = box
    pad = PADDING + width
    return (x - pad, y - pad, x + w + pad, y + h + pad)


def _dashed_rectangle(
    draw: ImageDraw.ImageDraw, corners: tuple[int, int, int, int], colour: tuple[int, int, int], width: int
) -> None:
    left, top, right, bottom = corners
    dash = 4 * width
    for start in range(left, right, 2 * dash):
        end = min(start + dash, right)
        draw.line([(start, top), (end, top)], fill=colour, width=width)
        draw.line([(start, bottom), (end, bottom)], fill=colour, width=width)
    for start in range(top, bottom, 2 * dash):
        end = min(start + dash, bottom)
        draw.line([(left, start), (left, end)], fill=colour, width=width)
        draw.line([(right, start), (right, end)], fill=colour, width=width)
