"""Straighten a picture whose text lines are turned a few degrees, and map OCR boxes back.

Tesseract's page layout (psm 3) loses whole posters turned 3.5-5 degrees clockwise (no word at
all, or half of them). On the 48 turned posters of the rendered test set
(benchmarks/ocr_accuracy.py), turning them level first took word accuracy from 80.2% to 98.0%
and risk-level agreement from 89.6% to 100% (forwarded pictures, turned 2 degrees: 96.4% to
97.9%); no turn was found on any of the 240 level pictures. `skew_angle` finds the turn from the
ink's row profile (the angle at which text rows are sharpest) on a copy at most SKEW_SIDE pixels
wide (0.2 s a picture on the loaded 2-core VM, p50); `Turn` straightens the picture and maps the
boxes Tesseract gives on it back to the original's pixels (the box around the turned box: a
little larger than the word when the turn is large).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    from tppo_screen.images.ocr import Box, OcrResult

SKEW_SIDE = 600  # the skew is measured on a copy this size at most
MAX_SKEW = 8.0  # degrees either way; a picture turned more is left as it is
MIN_SKEW = 1.0  # a smaller turn does not trouble Tesseract: left as it is
INK_CONTRAST = 48  # grey levels from the background's (the median) that count as ink
SHARPER_BY = 1.15  # the turned rows must be this much sharper than the picture's own


def _sharpness(ink: Image.Image, angle: float) -> float:
    rows = np.asarray(ink.rotate(angle, Image.Resampling.BILINEAR), dtype=np.float32).sum(axis=1)
    return float(np.var(rows))


def skew_angle(gray: Image.Image) -> float:
    """The angle (degrees, counter-clockwise as `Image.rotate` takes it) that makes the text rows
    of `gray` (mode "L") level; 0.0 when the picture is level, or its rows are not clear."""
    small = gray.copy()
    small.thumbnail((SKEW_SIDE, SKEW_SIDE))
    pixels = np.asarray(small, dtype=np.int16)
    ink = Image.fromarray(((np.abs(pixels - np.median(pixels)) > INK_CONTRAST) * 255).astype(np.uint8))
    if not np.asarray(ink).any():
        return 0.0
    coarse = max(np.arange(-MAX_SKEW, MAX_SKEW + 0.5, 1.0), key=lambda a: _sharpness(ink, float(a)))
    best = max(np.arange(coarse - 0.75, coarse + 0.8, 0.25), key=lambda a: _sharpness(ink, float(a)))
    if abs(best) < MIN_SKEW or _sharpness(ink, float(best)) < SHARPER_BY * _sharpness(ink, 0.0):
        return 0.0
    return round(float(best), 2)


@dataclass(frozen=True)
class Turn:
    """A straightening turn of `angle` degrees of a picture of `size` (original pixels)."""

    angle: float
    size: tuple[int, int]

    def apply(self, prepared: Image.Image) -> Image.Image:
        """`prepared` (the picture after its preprocessing step) turned level, the corners
        filled with its background (the median grey)."""
        background = int(np.median(np.asarray(prepared.convert("L"))))
        fill: int | tuple[int, ...] = background if prepared.mode == "L" else (background,) * 3
        return prepared.rotate(self.angle, Image.Resampling.BICUBIC, expand=True, fillcolor=fill)

    def undo(self, result: OcrResult, turned_size: tuple[float, float]) -> OcrResult:
        """`result` read on the turned picture (boxes in original-scale pixels of the turned
        picture, whose size at that scale is `turned_size`) with boxes on the original picture."""
        words = tuple(replace(word, box=self._back(word.box, turned_size)) for word in result.words)
        return replace(result, words=words, width=self.size[0], height=self.size[1])

    def _back(self, box: Box, turned_size: tuple[float, float]) -> Box:
        x, y, w, h = box
        cos, sin = math.cos(math.radians(self.angle)), math.sin(math.radians(self.angle))
        cx, cy = turned_size[0] / 2, turned_size[1] / 2
        ox, oy = self.size[0] / 2, self.size[1] / 2
        xs, ys = [], []
        for px, py in ((x, y), (x + w, y), (x, y + h), (x + w, y + h)):
            dx, dy = px - cx, py - cy
            xs.append(ox + dx * cos - dy * sin)
            ys.append(oy + dx * sin + dy * cos)
        left, top = max(0, math.floor(min(xs))), max(0, math.floor(min(ys)))
        right, bottom = min(self.size[0], math.ceil(max(xs))), min(self.size[1], math.ceil(max(ys)))
        return (left, top, max(0, right - left), max(0, bottom - top))
