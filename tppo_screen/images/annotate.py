"""The picture with its evidence outlined in the demo page's colours and line styles (its
style.css): a red flag's words in a box whose colour and line follow its severity — high solid
red, medium dashed amber, low dotted grey — and a legitimacy cue's in a double green box."""

from __future__ import annotations

from PIL import Image, ImageDraw

from tppo_screen.images.ocr import Box
from tppo_screen.images.scoring import ImageScore

Colour = tuple[int, int, int]
Corners = tuple[int, int, int, int]

# colour and line of each severity, as --high, --medium, --low and --green in style.css
STYLES: dict[str, tuple[Colour, str]] = {
    "high": ((179, 38, 30), "solid"),
    "medium": ((154, 88, 0), "dashed"),
    "low": ((77, 85, 96), "dotted"),
    "green": ((27, 107, 50), "double"),
}
PADDING = 3  # pixels between a word and its outline


def annotate(image: Image.Image, image_score: ImageScore) -> Image.Image:
    """A copy of `image` (the decoded picture, `decode.load_image`) with the boxes of every span
    in `image_score` drawn on it: cues first, then red flags from low to high severity, so that the
    strongest sign on the same words stays on top."""
    annotated = image.convert("RGB")
    draw = ImageDraw.Draw(annotated)
    width = max(2, round(max(annotated.size) / 400))
    severity = {hit.id: hit.severity for hit in image_score.score.red_flags}
    order = ["green", "low", "medium", "high"]
    styled = [
        (severity.get(span.flag, "high") if span.kind == "red" else "green", span)
        for span in image_score.spans
    ]
    for style, span in sorted(styled, key=lambda pair: order.index(pair[0])):
        colour, line = STYLES[style]
        for box in span.boxes:
            _outline(draw, _padded(box, width), colour, line, width)
    return annotated


def _padded(box: Box, width: int) -> Corners:
    x, y, w, h = box
    pad = PADDING + width
    return (x - pad, y - pad, x + w + pad, y + h + pad)


def _outline(draw: ImageDraw.ImageDraw, corners: Corners, colour: Colour, line: str, width: int) -> None:
    if line == "solid":
        draw.rectangle(corners, outline=colour, width=width)
    elif line == "double":
        left, top, right, bottom = corners
        draw.rectangle(corners, outline=colour, width=max(1, width // 2))
        gap = width + 1
        draw.rectangle(
            (left - gap, top - gap, right + gap, bottom + gap), outline=colour, width=max(1, width // 2)
        )
    else:
        dash, skip = (4 * width, 4 * width) if line == "dashed" else (width, 2 * width)
        _broken_rectangle(draw, corners, colour, width, dash, skip)


def _broken_rectangle(
    draw: ImageDraw.ImageDraw, corners: Corners, colour: Colour, width: int, dash: int, skip: int
) -> None:
    left, top, right, bottom = corners
    for start in range(left, right, dash + skip):
        end = min(start + dash, right)
        draw.line([(start, top), (end, top)], fill=colour, width=width)
        draw.line([(start, bottom), (end, bottom)], fill=colour, width=width)
    for start in range(top, bottom, dash + skip):
        end = min(start + dash, bottom)
        draw.line([(left, start), (left, end)], fill=colour, width=width)
        draw.line([(right, start), (right, end)], fill=colour, width=width)
