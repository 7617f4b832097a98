"""A picture of an ad → its score, through the one scoring path, with the evidence as boxes.

    bytes → decode.load_image → ocr.read_text → model.scoring.score_texts(ocr.text) → spans → boxes

The OCR text is scored exactly as pasted text is; the only addition is a warning when Tesseract
was unsure of what it read (mean word confidence below `LOW_CONFIDENCE`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tppo_screen.errors import ImageError
from tppo_screen.images.decode import IMAGE_MAX_BYTES, IMAGE_MAX_PIXELS, load_image
from tppo_screen.images.ocr import Box, OcrResult, boxes_for_span, read_text
from tppo_screen.model.artifacts import Model
from tppo_screen.model.catalogue import Catalogue
from tppo_screen.model.scoring import FlagHit, Score, score_texts, text_problem

LOW_CONFIDENCE = 70.0  # mean word confidence (0-100) under which the OCR text is flagged
_LOW_CONFIDENCE_WARNING = {
    "id": "teks dibaca dari gambar dengan keyakinan rendah (OCR {confidence:.0f}/100, di bawah "
    "{limit:.0f}): periksa teksnya dan perbaiki bila perlu",
    "en": "the text was read from the picture with low confidence (OCR {confidence:.0f}/100, below "
    "{limit:.0f}): check the text and correct it where needed",
}


@dataclass(frozen=True)
class SpanBoxes:
    """One span of a red flag (kind "red") or legitimacy cue ("green"): its character offsets in
    the OCR text and the boxes on the picture of the words it covers."""

    flag: str
    kind: Literal["red", "green"]
    start: int
    end: int
    boxes: list[Box]


@dataclass(frozen=True)
class ImageScore:
    """The score of the OCR text, what OCR read, and every flag span with its boxes."""

    score: Score
    ocr: OcrResult
    spans: list[SpanBoxes]


def low_confidence_warning(confidence: float, language: Literal["id", "en"] = "id") -> str | None:
    """The warning for OCR text read with a mean word confidence below LOW_CONFIDENCE, else None
    (`score_ocr` adds it to the score's warnings; batch jobs to the warnings column)."""
    if not confidence < LOW_CONFIDENCE:  # NaN (nothing read) too
        return None
    return _LOW_CONFIDENCE_WARNING[language].format(confidence=confidence, limit=LOW_CONFIDENCE)


def score_image(
    model: Model,
    data: bytes,
    *,
    max_bytes: int = IMAGE_MAX_BYTES,
    max_pixels: int = IMAGE_MAX_PIXELS,
    preprocess: str = "auto",
    language: Literal["id", "en"] = "id",
    top_k: int = 8,
    catalogue: Catalogue | None = None,
) -> ImageScore:
    """Decode, OCR and score the picture in `data`. Raises `ImageError` for a picture that cannot
    be read (see `decode.load_image`) or in which OCR finds no usable text (kind "no_text")."""
    image = load_image(data, max_bytes=max_bytes, max_pixels=max_pixels)
    return score_ocr(model, read_text(image, preprocess=preprocess), language, top_k, catalogue)


def score_ocr(
    model: Model,
    ocr: OcrResult,
    language: Literal["id", "en"] = "id",
    top_k: int = 8,
    catalogue: Catalogue | None = None,
) -> ImageScore:
    """Score what OCR read (`score_image` after decoding and OCR; batch jobs call it too)."""
    problem = text_problem(ocr.text)
    if problem is not None:
        found = f"only “{ocr.text[:40]}”" if ocr.text.strip() else "nothing"
        raise ImageError(
            f"no text found in the picture (OCR read {found}): send a sharper or larger picture "
            "of the ad, or paste its text",
            "no_text",
        )
    score = score_texts(model, [ocr.text], top_k=top_k, catalogue=catalogue, language=language)[0]
    warning = low_confidence_warning(ocr.confidence, language)
    if warning is not None:
        score = score.model_copy(update={"warnings": [warning, *score.warnings]})
    sides: tuple[tuple[Literal["red", "green"], list[FlagHit]], ...] = (
        ("red", score.red_flags),
        ("green", score.green_flags),
    )
    spans = [
        SpanBoxes(hit.id, kind, span.start, span.end, boxes_for_span(ocr, span.start, span.end))
        for kind, hits in sides
        for hit in hits
        for span in hit.spans
    ]
    return ImageScore(score=score, ocr=ocr, spans=spans)
