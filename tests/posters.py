"""Posters rendered with Pillow and Debian's fonts (fonts-dejavu-core), for the image tests and
the sample poster: an ad's text wrapped on a coloured background, each word's box recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONTS = Path("/usr/share/fonts/truetype/dejavu")
SANS_BOLD = FONTS / "DejaVuSans-Bold.ttf"
SANS = FONTS / "DejaVuSans.ttf"
SERIF = FONTS / "DejaVuSerif.ttf"


@dataclass
class Poster:
    image: Image.Image
    words: list[tuple[str, tuple[int, int, int, int]]] = field(default_factory=list)  # text, x y w h

    def box_of(self, word: str) -> tuple[int, int, int, int]:
        return next(box for text, box in self.words if text.strip(".,:!").lower() == word.lower())


def render_poster(
    text: str,
    *,
    width: int = 900,
    font: Path = SANS_BOLD,
    size: int = 34,
    ink: tuple[int, int, int] = (20, 20, 20),
    paper: tuple[int, int, int] = (255, 236, 160),
    margin: int = 40,
) -> Poster:
    """`text` wrapped to `width`, one paragraph per line of `text`, on a plain background."""
    face = ImageFont.truetype(str(font), size)
    space = face.getlength(" ")
    line_height = round(size * 1.45)
    lines: list[list[str]] = []
    for paragraph in text.splitlines() or [""]:
        line: list[str] = []
        for word in paragraph.split():
            if line and face.getlength(" ".join([*line, word])) > width - 2 * margin:
                lines.append(line)
                line = []
            line.append(word)
        lines.append(line)
    image = Image.new("RGB", (width, 2 * margin + line_height * len(lines)), paper)
    draw = ImageDraw.Draw(image)
    poster = Poster(image)
    y = margin
    for line in lines:
        x = float(margin)
        for word in line:
            left, top, right, bottom = draw.textbbox((x, y), word, font=face)
            draw.text((x, y), word, font=face, fill=ink)
            poster.words.append((word, (left, top, right - left, bottom - top)))
            x += face.getlength(word) + space
        y += line_height
    return poster
