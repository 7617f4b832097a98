"""Posters rendered with Pillow and Debian's fonts (fonts-dejavu-core), for the image tests and
the sample poster: an ad's text wrapped on a coloured background, each word's box recorded."""

from __future__ import annotations

import io
import struct
import zlib
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


SCAM_POSTER_TEXT = """LOWONGAN KERJA KE KAMBOJA
Dicari admin CS, gaji 15jt/bulan
tanpa pengalaman, paspor dibantu
hubungi WA 08xx-xxxx-xxxx"""


def encoded(image: Image.Image, format: str = "PNG", **options: object) -> bytes:  # noqa: A002
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header declares `width` × `height` and that holds no pixel data: what a
    decompression bomb looks like to a reader before it decodes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)  # the first few bytes of the first row, then nothing
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (60, 40), colour) for colour in ((200, 0, 0), (0, 200, 0), (0, 0, 200))]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buffer.getvalue()


def fifty_megapixels() -> bytes:
    """A real 50-megapixel PNG (8,660 × 5,774, one bit per pixel: 6 kB on disk)."""
    return encoded(Image.new("1", (8660, 5774), 1), optimize=False)


def multipart(fields: dict[str, str | tuple[str, bytes, str]]) -> tuple[bytes, str]:
    """A multipart/form-data body and its Content-Type; a tuple is a file (name, bytes, type)."""
    boundary = "tppo-test-boundary-7d3f"
    parts: list[bytes] = []
    for name, value in fields.items():
        if isinstance(value, tuple):
            filename, data, kind = value
            head = (
                f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                f"Content-Type: {kind}\r\n\r\n"
            )
        else:
            head, data = f'Content-Disposition: form-data; name="{name}"\r\n\r\n', value.encode()
        parts.append(f"--{boundary}\r\n".encode() + head.encode() + data + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"
