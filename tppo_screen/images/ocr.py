"""Picture → text with a box for every word: Tesseract 5 ("ind+eng") through pytesseract.

`read_text(image)` prepares the picture (`PREPROCESS`), runs Tesseract once and keeps each word
with its box (in the ORIGINAL picture's pixels, also when the picture was upscaled for OCR) and
its confidence. The text is the words of a line joined by one space and the lines by "\\n", so
every character of `OcrResult.text` belongs to one word (`OcrWord.start`/`end`) or is a separator:
`boxes_for_span` turns a character span of the text (a red flag's evidence) into boxes.

Tesseract is a separate program (Debian `tesseract-ocr`, `make ocr`): each call starts one
process, 0.3-1.5 s per poster here. At most `OCR_SLOTS` run at once in a process; more callers
wait for a slot.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytesseract  # type: ignore[import-untyped]
from PIL import Image, ImageOps

from tppo_screen.errors import ImageError, InputError, TppoScreenError
from tppo_screen.images.deskew import Turn, skew_angle

Box = tuple[int, int, int, int]  # x, y, width, height in the original picture's pixels
LANGUAGES = "ind+eng"
TESSERACT_CONFIG = "--oem 1 --psm 3"  # the LSTM engine, automatic page layout
OCR_TIMEOUT_SECONDS = 60  # a 40-megapixel photo of dense text takes ~10 s; past this, give up
UPSCALE_TO = 2000  # a picture whose longer side is shorter is enlarged to this (posters: 1080)
MAX_UPSCALE = 3.0
SMALL = 640  # "auto" enlarges a picture whose longer side is shorter (a thumbnail, a cropped chat)
OCR_SLOTS = max(1, os.cpu_count() or 1)  # Tesseract processes at once, per process of ours
_slots = threading.BoundedSemaphore(OCR_SLOTS)


@dataclass(frozen=True)
class OcrWord:
    """One word Tesseract read: its text, its box, its confidence (0-100) and where it sits in
    `OcrResult.text` (`text[start:end] == word.text`)."""

    text: str
    box: Box
    confidence: float
    start: int
    end: int


@dataclass(frozen=True)
class OcrResult:
    """What Tesseract read in one picture: the text, the mean word confidence (0-100; 0 when no
    word), the words, and the picture's size in pixels."""

    text: str
    confidence: float
    words: tuple[OcrWord, ...]
    width: int
    height: int


def _upscale(image: Image.Image) -> tuple[Image.Image, float]:
    longer = max(image.size)
    if longer >= UPSCALE_TO:
        return image, 1.0
    factor = min(MAX_UPSCALE, UPSCALE_TO / longer)
    size = (round(image.width * factor), round(image.height * factor))
    return image.resize(size, Image.Resampling.LANCZOS), factor


def _otsu(gray: Image.Image) -> int:
    """The grey level that best splits the histogram into two classes (Otsu's method)."""
    histogram = gray.histogram()
    total = sum(histogram)
    weighted_total = sum(level * count for level, count in enumerate(histogram))
    below = weighted_below = 0
    best, best_level = -1.0, 127
    for level, count in enumerate(histogram):
        below += count
        weighted_below += level * count
        above = total - below
        if below == 0 or above == 0:
            continue
        mean_gap = weighted_below / below - (weighted_total - weighted_below) / above
        spread = below * above * mean_gap * mean_gap
        if spread > best:
            best, best_level = spread, level
    return best_level


def _none(image: Image.Image) -> tuple[Image.Image, float]:
    return image, 1.0


def _gray(image: Image.Image) -> tuple[Image.Image, float]:
    return ImageOps.grayscale(image), 1.0


def _gray_upscale(image: Image.Image) -> tuple[Image.Image, float]:
    return _upscale(ImageOps.grayscale(image))


def _threshold(image: Image.Image) -> tuple[Image.Image, float]:
    gray, factor = _gray_upscale(image)
    gray = ImageOps.autocontrast(gray, cutoff=1)
    level = _otsu(gray)
    return gray.point(lambda value: 255 if value > level else 0), factor


def _auto(image: Image.Image) -> tuple[Image.Image, float]:
    """Grayscale; a small picture (longer side under SMALL) enlarged as `gray_upscale` does. On
    the rendered posters, enlarging a larger picture enlarged its noise too and lost words."""
    gray = ImageOps.grayscale(image)
    return _upscale(gray) if max(gray.size) < SMALL else (gray, 1.0)


Preprocess = Callable[[Image.Image], tuple[Image.Image, float]]
PREPROCESS: dict[str, Preprocess] = {
    "auto": _auto,  # gray; gray_upscale for a small picture; turned level (see README, "Images")
    "none": _none,  # the picture as it is
    "gray": _gray,  # grayscale
    "gray_upscale": _gray_upscale,  # grayscale, longer side enlarged to UPSCALE_TO (at most 3x)
    "threshold": _threshold,  # gray_upscale, contrast stretched, then black/white (Otsu)
}
PREPROCESS_NAMES = tuple(PREPROCESS)
STRAIGHTENED = {"auto"}  # steps after which a picture turned 1-8 degrees is turned level (images.deskew)


def read_text(image: Image.Image, *, preprocess: str = "auto") -> OcrResult:
    """OCR `image` (RGB, upright: `decode.load_image`) after the `preprocess` step named (one of
    `PREPROCESS_NAMES`). Raises `ImageError` (kind "ocr_failed") when Tesseract fails or takes
    over `OCR_TIMEOUT_SECONDS`, `TppoScreenError` when Tesseract is not installed."""
    step = PREPROCESS.get(preprocess)
    if step is None:
        raise InputError(f"preprocess must be one of {', '.join(PREPROCESS_NAMES)}, not {preprocess!r}")
    prepared, factor = step(image)
    turn = Turn(skew_angle(prepared.convert("L")), image.size) if preprocess in STRAIGHTENED else None
    if turn is not None and turn.angle:
        prepared = turn.apply(prepared)
    # one OpenMP thread per Tesseract (its own advice when several run at once): with two, two
    # Tesseracts on a loaded 2-core machine ran past OCR_TIMEOUT_SECONDS; with one, 1.2 s each
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    try:
        with _slots:
            data = pytesseract.image_to_data(
                prepared,
                lang=LANGUAGES,
                config=TESSERACT_CONFIG,
                output_type=pytesseract.Output.DICT,
                timeout=OCR_TIMEOUT_SECONDS,
            )
    except pytesseract.TesseractNotFoundError:
        raise TppoScreenError("Tesseract is not installed: run `make ocr` (Debian tesseract-ocr)") from None
    except (pytesseract.TesseractError, RuntimeError) as exc:
        raise ImageError(f"OCR failed: {exc}", "ocr_failed") from None
    result = _result(data, factor, image.size)
    if turn is not None and turn.angle:  # boxes on the turned picture → on the original
        return turn.undo(result, (prepared.width / factor, prepared.height / factor))
    return result


def _result(data: dict[str, list[Any]], factor: float, size: tuple[int, int]) -> OcrResult:
    """Tesseract's table of words → the text (words of a line joined by " ", lines by "\\n")
    with each word's offsets, and its box scaled back to the original picture."""
    words: list[OcrWord] = []
    parts: list[str] = []
    length = 0
    line_of_previous: tuple[int, int, int, int] | None = None
    for i, raw in enumerate(data["text"]):
        text = str(raw).strip()
        if int(data["level"][i]) != 5 or not text:
            continue
        line = (data["page_num"][i], data["block_num"][i], data["par_num"][i], data["line_num"][i])
        if line_of_previous is not None:
            parts.append(" " if line == line_of_previous else "\n")
            length += 1
        line_of_previous = line
        start = length
        parts.append(text)
        length += len(text)
        box = tuple(round(int(data[key][i]) / factor) for key in ("left", "top", "width", "height"))
        words.append(OcrWord(text, box, max(0.0, float(data["conf"][i])), start, start + len(text)))  # type: ignore[arg-type]
    confidence = sum(word.confidence for word in words) / len(words) if words else 0.0
    return OcrResult("".join(parts), round(confidence, 1), tuple(words), size[0], size[1])


def boxes_for_span(ocr: OcrResult, start: int, end: int) -> list[Box]:
    """The boxes of the words that `ocr.text[start:end]` touches; neighbouring words of one line
    are merged into one box (a phrase is outlined once, not word by word)."""
    touched = [word for word in ocr.words if word.start < end and word.end > start]
    merged: list[Box] = []
    previous: OcrWord | None = None
    for word in touched:
        same_line = previous is not None and "\n" not in ocr.text[previous.end : word.start]
        if same_line and merged:
            merged[-1] = _union(merged[-1], word.box)
        else:
            merged.append(word.box)
        previous = word
    return merged


def _union(a: Box, b: Box) -> Box:
    left, top = min(a[0], b[0]), min(a[1], b[1])
    right, bottom = max(a[0] + a[2], b[0] + b[2]), max(a[1] + a[3], b[1] + b[3])
    return (left, top, right - left, bottom - top)
