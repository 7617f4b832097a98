"""Render job ads of data/ as posters and phone screenshots: the OCR test set, with its truth.

Usage: python scripts/render_posters.py [--ads 48] [--out out/posters] [--data data]

Ads come from the held-out splits (data/test.csv and data/real/test.csv), the same number from
each (label, register) cell: high_risk/legit × formal/informal, real ads first where the cell
has enough. Each ad is trimmed to poster length (at most 120 words, cut at a line or sentence
end when one is near) and drawn once as a clean poster (a font from Debian's font packages — DejaVu,
Liberation, Noto — a size, colours, a plain, gradient or striped background, a bold headline and
emoji around it), then degraded once per kind:

    clean       the poster as drawn (PNG)
    rotate      turned 2-5 degrees either way
    jpeg        saved as JPEG at quality 40-90
    noise       Gaussian pixel noise (sigma 8-18)
    blur        Gaussian blur (radius 0.8-1.4)
    screenshot  the ad as a chat message on a phone: status bar, chat header, a bubble
    forwarded   what a forwarded WhatsApp picture looks like: 2 degrees, 0.75 scale, JPEG 60, noise

Everything is seeded from config.SEED, so the same fonts give the same images. The truth of a
picture is the text drawn on it (emoji and characters no font has are not part of it); it and
the trimmed ad are in out/posters/manifest.csv with the label, register, font and degradation.
"""

from __future__ import annotations

import argparse
import csv
import random
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from tppo_screen.config import SEED

FONT_DIRS = (Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts/opentype"))
FONTS = {  # name -> (regular, bold), paths under a FONT_DIRS entry
    "DejaVu Sans": ("dejavu/DejaVuSans.ttf", "dejavu/DejaVuSans-Bold.ttf"),
    "DejaVu Serif": ("dejavu/DejaVuSerif.ttf", "dejavu/DejaVuSerif-Bold.ttf"),
    "Liberation Sans": ("liberation2/LiberationSans-Regular.ttf", "liberation2/LiberationSans-Bold.ttf"),
    "Liberation Serif": ("liberation2/LiberationSerif-Regular.ttf", "liberation2/LiberationSerif-Bold.ttf"),
    "Noto Sans": ("noto/NotoSans-Regular.ttf", "noto/NotoSans-Bold.ttf"),
    "Noto Serif": ("noto/NotoSerif-Regular.ttf", "noto/NotoSerif-Bold.ttf"),
}
EMOJI_FONT = "noto/NotoColorEmoji.ttf"
EMOJI_SIZE = 109  # the one size of Noto Color Emoji's bitmaps
DECORATIONS = ["🔥", "✅", "💰", "✈️", "📢", "⭐", "👉", "📞", "🇰🇭", "💼"]
CONTACTS = ["Rina", "Pak Budi", "Sari", "Dewi Lestari", "Andi"]  # the chat's name in a screenshot
KINDS = ("clean", "rotate", "jpeg", "noise", "blur", "screenshot", "forwarded")
CELLS = [(label, register) for label in ("high_risk", "legit") for register in ("formal", "informal")]
PALETTES = [  # background top, background bottom, text, headline
    ((255, 255, 255), (255, 255, 255), (20, 20, 20), (190, 20, 30)),
    ((255, 244, 200), (255, 214, 120), (40, 30, 10), (160, 30, 0)),
    ((20, 60, 140), (10, 30, 80), (255, 255, 255), (255, 220, 60)),
    ((200, 20, 40), (140, 0, 20), (255, 255, 255), (255, 240, 120)),
    ((230, 245, 235), (190, 230, 205), (10, 50, 30), (0, 100, 60)),
    ((35, 35, 35), (10, 10, 10), (245, 245, 245), (255, 200, 0)),
]
MAX_WORDS, MIN_WORDS = 120, 20


@dataclass(frozen=True)
class Style:
    font: str
    size: int
    palette: int
    background: str  # plain | gradient | stripes
    width: int
    emoji: bool


def font_path(relative: str) -> Path | None:
    for folder in FONT_DIRS:
        if (folder / relative).is_file():
            return folder / relative
    return None


def available_fonts() -> list[str]:
    return [name for name, (regular, bold) in FONTS.items() if font_path(regular) and font_path(bold)]


@cache
def _font(relative: str, size: int) -> ImageFont.FreeTypeFont:
    path = font_path(relative)
    assert path is not None, relative
    return ImageFont.truetype(str(path), size)


@cache
def _cmap(relative: str) -> frozenset[int]:
    path = font_path(relative)
    if path is None:
        return frozenset()
    return frozenset(TTFont(str(path), lazy=True).getBestCmap())


def _is_emoji_char(char: str) -> bool:
    code = ord(char)
    return code >= 0x1F000 or 0x2600 <= code < 0x27C0 or code in (0xFE0F, 0x200D, 0x20E3, 0x2B50, 0x2B55)


def split_runs(text: str, font: str) -> list[tuple[str, bool]]:
    """`text` as (run, is_emoji) pieces; characters neither the font nor the emoji font has are
    dropped (they are not drawn, so not part of the truth)."""
    regular = FONTS[font][0]
    runs: list[tuple[str, bool]] = []
    for char in text:
        if _is_emoji_char(char) and ord(char) in _cmap(EMOJI_FONT) | {0xFE0F, 0x200D}:
            emoji = True
        elif ord(char) in _cmap(regular) and not _is_emoji_char(char):
            emoji = False
        else:
            continue
        if runs and runs[-1][1] == emoji:
            runs[-1] = (runs[-1][0] + char, emoji)
        else:
            runs.append((char, emoji))
    return runs


def truth_of(lines: list[str], font: str) -> str:
    """The text a poster shows: its lines without emoji or glyphs the font lacks."""
    shown = ["".join(run for run, emoji in split_runs(line, font) if not emoji) for line in lines]
    return "\n".join(" ".join(line.split()) for line in shown if line.strip())


def trim(text: str) -> str:
    """At most MAX_WORDS words, cut at the last line or sentence end in the final third if any."""
    text = unicodedata.normalize("NFC", text).replace("\r", "")
    words = list(re.finditer(r"\S+", text))
    if len(words) <= MAX_WORDS:
        return text.strip()
    cut = words[MAX_WORDS - 1].end()
    head = text[:cut]
    ends = [m.end() for m in re.finditer(r"[.!?]\s|\n", head) if m.end() > cut * 2 // 3]
    return head[: ends[-1] if ends else cut].strip()


def pick_ads(data: Path, per_cell: int, rng: random.Random) -> pd.DataFrame:
    """`per_cell` ads of each (label, register) cell, real ones first, each at least MIN_WORDS."""
    frames = []
    for name, split in (("real", data / "real" / "test.csv"), ("corpus", data / "test.csv")):
        frame = pd.read_csv(split, dtype=str, keep_default_na=False)
        frame["split"] = name
        frames.append(frame[frame["text"].map(lambda text: len(text.split())) >= MIN_WORDS])
    picked = []
    for label, register in CELLS:
        chosen: list[pd.DataFrame] = []
        for frame in frames:
            cell = frame[(frame["label"] == label) & (frame["register"] == register)]
            need = min(per_cell // 2 if frame is frames[0] else per_cell - sum(map(len, chosen)), len(cell))
            rows = sorted(rng.sample(range(len(cell)), need))
            chosen.append(cell.iloc[rows])
        picked.append(pd.concat(chosen))
    ads = pd.concat(picked, ignore_index=True)
    ads["text"] = ads["text"].map(trim)
    return ads


def wrap(line: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    out: list[str] = []
    current = ""
    for word in line.split():
        candidate = f"{current} {word}".strip()
        if current and font.getlength(candidate) > width:
            out.append(current)
            current = word
        else:
            current = candidate
    return [*out, current] if current else out


def draw_runs(
    draw: ImageDraw.ImageDraw,
    canvas: Image.Image,
    xy: tuple[int, int],
    line: str,
    style: Style,
    font: ImageFont.FreeTypeFont,
    colour: tuple[int, int, int],
) -> None:
    """One line of mixed text and colour emoji (the emoji drawn at their bitmap size, scaled)."""
    x, y = xy
    for run, emoji in split_runs(line, style.font):
        if not emoji:
            draw.text((x, y), run, font=font, fill=colour)
            x += int(font.getlength(run))
            continue
        glyphs = _font(EMOJI_FONT, EMOJI_SIZE)
        box = glyphs.getbbox(run)
        tile = Image.new("RGBA", (max(int(box[2]), 1), max(int(box[3]), 1)), (0, 0, 0, 0))
        ImageDraw.Draw(tile).text((0, 0), run, font=glyphs, embedded_color=True)
        scale = font.size * 1.1 / EMOJI_SIZE
        tile = tile.resize(
            (max(1, int(tile.width * scale)), max(1, int(tile.height * scale))), Image.Resampling.LANCZOS
        )
        canvas.paste(tile, (x, y), tile)
        x += tile.width + int(font.size) // 4


def background(style: Style, height: int) -> Image.Image:
    top, bottom, _, _ = PALETTES[style.palette]
    canvas = Image.new("RGB", (style.width, height), top)
    if style.background == "gradient":
        ramp = np.linspace(0, 1, height)[:, None, None]
        pixels = np.array(top)[None, None] * (1 - ramp) + np.array(bottom)[None, None] * ramp
        canvas = Image.fromarray(np.repeat(pixels, style.width, axis=1).astype(np.uint8))
    elif style.background == "stripes":
        draw = ImageDraw.Draw(canvas)
        for x in range(-height, style.width, 60):
            draw.line([(x, 0), (x + height, height)], fill=bottom, width=14)
    return canvas


def poster(lines: list[str], style: Style) -> Image.Image:
    """The ad's first line as a bold headline when short, the rest as body text, in a frame."""
    regular, bold = FONTS[style.font]
    body, head = _font(regular, style.size), _font(bold, int(style.size * 1.5))
    margin = style.size * 2
    inner = style.width - 2 * margin
    short = bool(lines) and len(lines[0].split()) <= 10  # a long first line is body text
    headline = (f"🔥 {lines[0]} 🔥" if style.emoji else lines[0]) if short else ""
    laid: list[tuple[str, ImageFont.FreeTypeFont]] = [(part, head) for part in wrap(headline, head, inner)]
    for line in lines[1:] if short else lines:
        laid += [(part, body) for part in wrap(line, body, inner)]
    step = {id(body): int(style.size * 1.45), id(head): int(style.size * 2.1)}
    height = 2 * margin + sum(step[id(font)] for _, font in laid) + style.size
    canvas = background(style, height)
    draw = ImageDraw.Draw(canvas)
    _, _, text_colour, head_colour = PALETTES[style.palette]
    if style.background == "stripes":  # a plain panel behind the text keeps it readable
        draw.rectangle(
            [margin // 2, margin // 2, style.width - margin // 2, height - margin // 2],
            fill=PALETTES[style.palette][0],
        )
    y = margin
    for part, font in laid:
        colour = head_colour if font is head else text_colour
        draw_runs(draw, canvas, (margin, y), part, style, font, colour)
        y += step[id(font)]
    return canvas


def screenshot(lines: list[str], font_name: str, rng: random.Random) -> tuple[Image.Image, list[str]]:
    """The ad as a received chat message on a 1080-wide phone screen, status bar and all; with
    the lines of text drawn (the clock, the chat's name and status, then the message)."""
    regular, bold = FONTS[font_name]
    body, small = _font(regular, 34), _font(bold, 30)
    bubble_width = 860
    laid = [part for line in lines for part in wrap(line, body, bubble_width - 60)]
    height = max(2340, 420 + 48 * len(laid))
    canvas = Image.new("RGB", (1080, height), (236, 229, 221))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle([0, 0, 1080, 70], fill=(7, 94, 84))
    clock = f"{rng.randint(7, 22):02d}.{rng.randint(0, 59):02d}"
    draw.text((30, 16), clock, font=small, fill="white")
    draw.rectangle([960, 24, 1020, 48], outline="white", width=3)
    draw.rectangle([964, 28, 964 + rng.randint(15, 52), 44], fill="white")
    draw.rectangle([0, 70, 1080, 200], fill=(7, 94, 84))
    draw.ellipse([30, 95, 110, 175], fill=(200, 200, 200))
    name = rng.choice(CONTACTS)
    status = (
        "online" if rng.random() < 0.5 else f"terakhir dilihat hari ini pukul {rng.randint(7, 12):02d}.15"
    )
    draw.text((140, 105), name, font=_font(bold, 38), fill="white")
    draw.text((140, 152), status, font=_font(regular, 26), fill=(220, 240, 235))
    top = 260
    draw.rounded_rectangle([40, top, 40 + bubble_width, top + 40 + 48 * len(laid)], radius=24, fill="white")
    for n, part in enumerate(laid):
        draw_runs(
            draw,
            canvas,
            (70, top + 20 + 48 * n),
            part,
            Style(font_name, 34, 0, "plain", 0, False),
            body,
            (17, 17, 17),
        )
    return canvas, [clock, name, status, *lines]


def degrade(image: Image.Image, kind: str, rng: random.Random) -> tuple[Image.Image, int | None, str]:
    """`image` degraded as `kind` says; with the JPEG quality to save at (None: PNG) and what
    was done, e.g. 'rotate -3.4'."""
    noise_rng = np.random.default_rng(rng.randrange(2**32))

    def noisy(picture: Image.Image, sigma: float) -> Image.Image:
        pixels = np.asarray(picture, dtype=np.float32) + noise_rng.normal(
            0, sigma, (picture.height, picture.width, 1)
        )
        return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))

    corner = image.getpixel((2, 2))
    fill = corner if isinstance(corner, tuple) else (255, 255, 255)
    if kind == "rotate":
        angle = rng.choice((-1, 1)) * rng.uniform(2, 5)
        return (
            image.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=fill),
            None,
            f"rotate {angle:+.1f}",
        )
    if kind == "jpeg":
        quality = rng.randint(40, 90)
        return image, quality, f"jpeg q{quality}"
    if kind == "noise":
        sigma = rng.uniform(8, 18)
        return noisy(image, sigma), None, f"noise sigma {sigma:.0f}"
    if kind == "blur":
        radius = rng.uniform(0.8, 1.4)
        return image.filter(ImageFilter.GaussianBlur(radius)), None, f"blur r{radius:.1f}"
    if kind == "forwarded":
        turned = image.rotate(rng.choice((-2, 2)), Image.Resampling.BICUBIC, expand=True, fillcolor=fill)
        smaller = turned.resize(
            (int(turned.width * 0.75), int(turned.height * 0.75)), Image.Resampling.LANCZOS
        )
        return noisy(smaller, 6), 60, "rotate 2, scale 0.75, noise 6, jpeg q60"
    return image, None, kind


def style_for(rng: random.Random, fonts: list[str]) -> Style:
    return Style(
        font=rng.choice(fonts),
        size=rng.choice((22, 26, 30, 34, 40)),
        palette=rng.randrange(len(PALETTES)),
        background=rng.choice(("plain", "gradient", "stripes")),
        width=rng.choice((800, 900, 1080)),
        emoji=rng.random() < 0.6,
    )


def render(ads: pd.DataFrame, out: Path, fonts: list[str], rng: random.Random) -> list[dict[str, str]]:
    """Every ad as a poster in each degradation (and a screenshot), written to `out`."""
    rows = []
    for n, ad in enumerate(ads.itertuples(index=False)):
        style = style_for(rng, fonts)
        lines = [line for line in str(ad.text).split("\n") if line.strip()]
        if len(lines) == 1:  # one paragraph: a line a sentence, as posters set it
            lines = [part for part in re.split(r"(?<=[.!?])\s+", lines[0]) if part]
        if style.emoji:
            lines = [f"{line} {rng.choice(DECORATIONS)}" if rng.random() < 0.3 else line for line in lines]
        clean = poster(lines, style)
        for kind in KINDS:
            if kind == "screenshot":
                image, drawn = screenshot(lines, style.font, rng)
                quality, detail = None, "chat screenshot"
            else:
                (image, quality, detail), drawn = degrade(clean, kind, rng), lines
            name = f"{n:03d}_{kind}.{'jpg' if quality else 'png'}"
            if quality:
                image.save(out / name, quality=quality)
            else:
                image.save(out / name, optimize=False)
            rows.append(
                {
                    "poster": name,
                    "ad": str(n),
                    "id": str(ad.id),
                    "split": str(ad.split),
                    "label": str(ad.label),
                    "register": str(ad.register),
                    "degradation": kind,
                    "detail": detail,
                    "font": style.font,
                    "size": str(style.size),
                    "background": style.background,
                    "palette": str(style.palette),
                    "truth": truth_of(drawn, style.font),
                    "text": str(ad.text),
                }
            )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ads", type=int, default=48, help="ads to draw (split evenly over the four cells)")
    parser.add_argument("--data", type=Path, default=Path("data"))
    parser.add_argument("--out", type=Path, default=Path("out/posters"))
    args = parser.parse_args()
    fonts = available_fonts()
    if not fonts:
        raise SystemExit(
            "no fonts found: run `make fonts` (fonts-dejavu-core fonts-liberation2 fonts-noto-core)"
        )
    if not font_path(EMOJI_FONT):
        raise SystemExit("no emoji font: run `make browser` (fonts-noto-color-emoji)")
    rng = random.Random(SEED)
    ads = pick_ads(args.data, max(1, args.ads // len(CELLS)), rng)
    args.out.mkdir(parents=True, exist_ok=True)
    rows = render(ads, args.out, fonts, rng)
    with (args.out / "manifest.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(
        f"{len(rows)} pictures of {len(ads)} ads ({len(KINDS)} kinds) in {args.out};",
        f"fonts: {', '.join(fonts)}",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
