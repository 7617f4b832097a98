"""POST /v1/score/image: a poster or screenshot (multipart upload) → OCR → the one scoring path.

Decoding, OCR (a Tesseract process, 0.3-1.5 s) and scoring run in the thread pool, so the event
loop stays free for /healthz and other requests meanwhile. The body limit of this route is
TPPO_MAX_IMAGE_BYTES plus the multipart envelope (`middleware.IMAGE_BODY_OVERHEAD`, see
`middleware.BodyLimit`); the picture itself is then held to TPPO_MAX_IMAGE_BYTES and
TPPO_MAX_IMAGE_PIXELS.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from tppo_screen.config import Settings
from tppo_screen.errors import ImageError, TppoScreenError
from tppo_screen.images.scoring import ImageScore, score_image
from tppo_screen.model.artifacts import Model
from tppo_screen.serving.dependencies import AppMetrics, LoadedModel, key_guard
from tppo_screen.serving.handlers import error_response
from tppo_screen.serving.middleware import IMAGE_PATH
from tppo_screen.serving.routes.scoring import score_result
from tppo_screen.serving.schemas import (
    ERROR_RESPONSES,
    ErrorResponse,
    ImageScoreResult,
    Language,
    OcrOut,
    OcrWordOut,
    SpanBoxesOut,
)

STATUS = {"too_large": 413, "too_many_pixels": 413, "not_image": 415, "animated": 415, "ocr_failed": 503}
CODES = {413: "payload_too_large", 415: "unsupported_media_type", 422: "unreadable_image", 503: "ocr_failed"}
logger = logging.getLogger(__name__)
IMAGE_EXAMPLE: dict[str, Any] = {  # the shipped model on a rendered poster (tests/posters.py), shortened
    "id": "poster-001",
    "model_version": "default@f6223e920cee",
    "score": 0.99999,
    "level": "high",
    "thresholds": {"medium": 0.2469, "high": 0.7989},
    "red_flags": [
        {
            "id": "passport_handling",
            "severity": "high",
            "label": "Paspor 'diurus' atau ditahan",
            "explanation": "Perekrut membuatkan, memegang atau 'mengurus' paspor, atau bilang paspor "
            "tidak perlu. …",
            "spans": [{"start": 77, "end": 91, "text": "paspor dibantu"}],
            "weight": 2.9177,
        }
    ],
    "green_flags": [],
    "top_terms": [{"term": "lowongan kerja", "weight": 0.5927}],
    "reasons": {
        "raised": [
            "Tujuan markas penipuan daring: “KERJA KE KAMBOJA”",
            "Paspor 'diurus' atau ditahan: “paspor dibantu”",
        ],
        "lowered": [],
    },
    "warnings": [],
    "ocr": {
        "text": "LOWONGAN KERJA KE KAMBOJA\nDicari admin CS, gaji 15jt/bulan\n"
        "tanpa pengalaman, paspor dibantu\nhubungi WA 08xx-xxxx-xxxx",
        "confidence": 93.9,
        "width": 900,
        "height": 276,
        "words": [
            {"text": "LOWONGAN", "box": [43, 47, 220, 25], "confidence": 96.0},
            {"text": "KERJA", "box": [282, 47, 111, 32], "confidence": 95.0},
        ],
    },
    "spans": [
        {"flag": "passport_handling", "kind": "red", "start": 77, "end": 91, "boxes": [[426, 144, 286, 33]]},
        {
            "flag": "scam_compound_destination",
            "kind": "red",
            "start": 9,
            "end": 25,
            "boxes": [[282, 47, 365, 32]],
        },
    ],
}
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {"example": IMAGE_EXAMPLE}}},
    401: ERROR_RESPONSES[401],
    413: {
        "model": ErrorResponse,
        "description": "the picture is over TPPO_MAX_IMAGE_BYTES (default 10 MiB) or "
        "TPPO_MAX_IMAGE_PIXELS (default 40 megapixels)",
    },
    415: {
        "model": ErrorResponse,
        "description": "not multipart/form-data, not a picture, a format other than JPEG, PNG, WebP "
        "(or a still GIF), or an animated GIF",
    },
    422: {
        "model": ErrorResponse,
        "description": "no `file` field, a malformed multipart body, an empty (0-byte) or cut-short "
        "file, or no text found in it",
    },
    503: {
        "model": ErrorResponse,
        "description": "OCR failed or took too long (try again), too many pictures are already being "
        "read or waiting on this worker (`ocr_busy`, with Retry-After), or Tesseract is not installed",
    },
}


async def multipart_body(request: Request) -> None:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "multipart/form-data":
        raise HTTPException(
            415,
            f"send the picture as multipart/form-data in the field `file` (got {media_type or 'none'}); "
            "with curl: -F file=@poster.jpg",
        )


class OcrGate:
    """Admission to OCR in one worker process: `slots` pictures are read at once and `queue` more
    may wait for a slot; past that a picture is refused at once (503, Retry-After) instead of
    piling up Tesseract processes and holding the threads that score text. Waiting happens on
    the event loop, not in a thread."""

    def __init__(self, slots: int, queue: int) -> None:
        self.slots = asyncio.Semaphore(slots)
        self.room = slots + queue
        self.admitted = 0

    @contextlib.asynccontextmanager
    async def enter(self) -> AsyncIterator[bool]:
        """Yields False (and holds nothing) when slots and queue are full; else waits for a slot."""
        if self.admitted >= self.room:
            yield False
            return
        self.admitted += 1
        try:
            async with self.slots:
                yield True
        finally:
            self.admitted -= 1


def router(settings: Settings) -> APIRouter:
    """The image route, behind the API key when keys are configured."""
    images = APIRouter(tags=["scoring"], dependencies=[*key_guard(settings), Depends(multipart_body)])
    gate = OcrGate(settings.ocr_slots, settings.ocr_queue)

    @images.post(IMAGE_PATH, response_model=ImageScoreResult, responses=RESPONSES)
    async def score_picture(
        file: Annotated[UploadFile, File(description="the picture: JPEG, PNG or WebP")],
        model: LoadedModel,
        metrics: AppMetrics,
        id: Annotated[str | None, Form(description="your id for the picture; echoed back")] = None,  # noqa: A002
        lang: Annotated[Language, Query(description="language of labels and warnings")] = "id",
    ) -> Response:
        """Score a job ad that arrives as a picture (a poster, a screenshot of a chat): the text is
        read with OCR (Tesseract, Indonesian and English) and scored exactly as `POST /v1/score`
        scores text, with a warning when OCR was unsure. Besides every field of that answer:
        `ocr` (the text read, its confidence, each word's box) and `spans` (each red flag's and
        cue's evidence as boxes on the picture, [x, y, w, h] in its pixels). Limits:
        TPPO_MAX_IMAGE_BYTES (default 10 MiB) and TPPO_MAX_IMAGE_PIXELS (default 40 megapixels).
        With curl: `curl -F file=@poster.jpg -F id=poster-001 http://127.0.0.1:8000/v1/score/image`."""
        data = await file.read()
        try:
            async with gate.enter() as admitted:
                if not admitted:
                    return _busy(settings)
                scored = await run_in_threadpool(
                    score_image,
                    model,
                    data,
                    max_bytes=settings.max_image_bytes,
                    max_pixels=settings.max_image_pixels,
                    language=lang,
                )
        except ImageError as exc:
            status = STATUS.get(exc.kind, 422)
            details = [{"field": "file", "kind": exc.kind, "message": str(exc)}]
            return error_response(status, CODES[status], str(exc), details)
        except TppoScreenError as exc:  # Tesseract is not installed: the operator's to fix
            logger.error("cannot read pictures: %s", exc)
            return error_response(503, "ocr_failed", "pictures cannot be read on this server now")
        result = image_result(model, id, scored)
        metrics.observe(model.version, result.level, result.score, [hit.id for hit in result.red_flags])
        return Response(result.model_dump_json(), media_type="application/json")

    return images


def _busy(settings: Settings) -> Response:
    message = (
        f"this worker is reading {settings.ocr_slots} pictures and {settings.ocr_queue} more are "
        "waiting (TPPO_OCR_SLOTS, TPPO_OCR_QUEUE): try again in a few seconds"
    )
    response = error_response(503, "ocr_busy", message)
    response.headers["Retry-After"] = "2"
    return response


def image_result(model: Model, item_id: str | None, scored: ImageScore) -> ImageScoreResult:
    """The response: the score's fields as `POST /v1/score` gives them, then `ocr` and `spans`."""
    ocr = scored.ocr  # score_image refuses unusable text first; score_result says 422 anyway
    return ImageScoreResult(
        **dict(score_result(model, item_id, scored.score)),
        ocr=OcrOut(
            text=ocr.text,
            confidence=ocr.confidence,
            width=ocr.width,
            height=ocr.height,
            words=[OcrWordOut(text=w.text, box=w.box, confidence=w.confidence) for w in ocr.words],
        ),
        spans=[
            SpanBoxesOut(flag=s.flag, kind=s.kind, start=s.start, end=s.end, boxes=s.boxes)
            for s in scored.spans
        ],
    )
