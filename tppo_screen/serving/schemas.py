"""What goes over the wire: the request and response models, the error body, and the examples
the OpenAPI document shows.

Responses are fixed classes. Requests depend on the limits in `Settings` (longest ad, most ads
and most characters per batch), which the schema states, so `request_models(settings)` builds
them once per app.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from tppo_screen.config import Settings
from tppo_screen.model.artifacts import Thresholds
from tppo_screen.model.catalogue import Kind, Severity
from tppo_screen.model.scoring import FlagHit, Reasons, Term

Language = Literal["id", "en"]

EXAMPLES: dict[str, dict[str, Any]] = {
    "scam_compound": {
        "summary": "Lowongan ke Kamboja (pola penipuan online)",
        "value": {
            "id": "iklan-001",
            "text": "DICARI ADMIN CS ONLINE di Kamboja 🇰🇭 gaji 15jt/bulan, tanpa pengalaman, "
            "paspor & tiket ditanggung kantor, berangkat minggu ini. Minat? WA only 08xx-xxxx-xxxx",
        },
    },
    "licensed_placement": {
        "summary": "Penempatan resmi lewat P3MI berizin",
        "value": {
            "id": "iklan-002",
            "text": "PT Bina Karya Mandiri (P3MI berizin, terdaftar di SISKOP2MI) membuka seleksi "
            "caregiver ke Jepang program SSW. Tes bahasa JFT-Basic, pelatihan 6 bulan, kontrak kerja "
            "ditandatangani sebelum berangkat. Tidak dipungut biaya apa pun.",
        },
    },
    "office_job": {
        "summary": "Lowongan kantor biasa",
        "value": {
            "text": "Dibutuhkan staf akuntansi, pendidikan min. S1 Akuntansi, pengalaman 2 tahun, "
            "menguasai Excel. Penempatan Bandung. Kirim CV ke <email>."
        },
    },
}
BATCH_EXAMPLES: dict[str, dict[str, Any]] = {
    "two_ads": {
        "summary": "Dua iklan",
        "value": {"items": [EXAMPLES["scam_compound"]["value"], EXAMPLES["office_job"]["value"]]},
    }
}


NOT_UNICODE = "not valid Unicode (a lone surrogate such as \\ud800): send UTF-8 text"


def _string_or_integer(value: object) -> object:
    if value is not None and (isinstance(value, bool) or not isinstance(value, str | int)):
        raise ValueError("must be a string or an integer")
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # "\ud800" in JSON: cannot be echoed back as UTF-8
            raise ValueError(NOT_UNICODE) from None
    return value


ItemId = Annotated[
    str | int | None,
    BeforeValidator(_string_or_integer),
    Field(description="Your id for the ad (a string or an integer); echoed back."),
]


class ErrorDetail(BaseModel):
    code: str = Field(description="machine-readable: validation_error, unauthorized, payload_too_large, …")
    message: str = Field(description="what went wrong and what to do about it")
    details: list[dict[str, str]] = Field([], description="one {field, message} per invalid field")


class ErrorResponse(BaseModel):
    error: ErrorDetail


class ScoreResult(BaseModel):
    id: str | int | None = Field(description="your id for the ad, as sent")
    model_version: str = Field(description="name@sha256-prefix of the model that scored the ad")
    score: float = Field(description="risk score in [0, 1]: a ranking score, not a probability of a crime")
    level: Literal["low", "medium", "high"] = Field(description="the score against the thresholds")
    thresholds: Thresholds
    red_flags: list[FlagHit] = Field(
        description="documented warning signs found, with character spans on the submitted text"
    )
    green_flags: list[FlagHit] = Field(description="legitimacy cues found: accountability signs")
    top_terms: list[Term] = Field(description="words that moved the score most: > 0 towards risk")
    reasons: Reasons = Field(description="what raised and what lowered the score, in plain words (`lang`)")
    warnings: list[str] = Field(description="why this score may be less reliable (short or English text)")


class BatchResponse(BaseModel):
    model_version: str
    results: list[ScoreResult] = Field(description="one result per item, in input order")


class RedFlag(BaseModel):
    id: str
    kind: Kind = Field(description="'red': a warning sign; 'green': a legitimacy cue")
    severity: Severity
    label: str
    explanation: str
    ilo_indicator: str
    sources: list[str]
    weight: float = Field(description="the model's learned weight: > 0 towards risk, < 0 towards legit")
    examples: list[str] = Field(description="sentences this entry fires on")


class Status(BaseModel):
    status: str
    model_version: str | None = None


class OcrWordOut(BaseModel):
    text: str
    box: tuple[int, int, int, int] = Field(description="x, y, width, height in the picture's pixels")
    confidence: float = Field(description="Tesseract's confidence in this word, 0-100")


class OcrOut(BaseModel):
    text: str = Field(description="the text read; the flags' spans are character offsets into it")
    confidence: float = Field(description="mean word confidence, 0-100; below 70 a warning is added")
    width: int = Field(description="the picture's width in pixels, after EXIF rotation")
    height: int
    words: list[OcrWordOut]


class SpanBoxesOut(BaseModel):
    flag: str = Field(description="catalogue id of the red flag or cue (see red_flags, green_flags)")
    kind: Literal["red", "green"]
    start: int = Field(description="character offsets of the evidence in ocr.text")
    end: int
    boxes: list[tuple[int, int, int, int]] = Field(
        description="[x, y, w, h] of the words the evidence covers; one box per line"
    )


class ImageScoreResult(ScoreResult):
    """A score of a picture: the score of its OCR text, what OCR read, and the evidence as boxes."""

    ocr: OcrOut
    spans: list[SpanBoxesOut] = Field(description="every red-flag and cue span, with its boxes")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "API keys are configured and X-API-Key is missing or wrong"},
    413: {"model": ErrorResponse, "description": "the request body is over the configured limit"},
    415: {"model": ErrorResponse, "description": "the body is not sent as Content-Type: application/json"},
    422: {
        "model": ErrorResponse,
        "description": "the request breaks the schema; the message says what to fix",
    },
}


class ScoreRequestShape(BaseModel):
    """What a scoring request holds; `request_models` adds the configured limits."""

    model_config = ConfigDict(extra="forbid")

    text: str
    id: ItemId = None
    lang: Language = Field("id", description="Language of flag labels, explanations and warnings.")


class BatchItemShape(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    id: ItemId = None


class BatchRequestShape(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: Sequence[BatchItemShape]
    lang: Language = Field("id", description="Language of flag labels, explanations and warnings.")


@dataclass(frozen=True)
class RequestModels:
    """The request bodies for one app's limits."""

    score: type[ScoreRequestShape]
    batch: type[BatchRequestShape]


def ad_text_field(settings: Settings, what: str) -> Any:
    """The `text` field of a request body: 1 to TPPO_MAX_TEXT_CHARS characters, at least one
    letter; `what` starts its description."""
    return Field(
        min_length=1,
        max_length=settings.max_text_chars,
        pattern=r"[^\W\d_]",
        description=f"{what}: 1–{settings.max_text_chars:,} characters with at least one letter.",
    )


def request_models(settings: Settings) -> RequestModels:
    """`ScoreRequest` and `BatchRequest` (of `BatchItem`s) with `settings`' limits in the schema."""
    text_field = ad_text_field(settings, "The ad text")

    class ScoreRequest(ScoreRequestShape):
        text: str = text_field

    class BatchItem(BatchItemShape):
        text: str = text_field

    class BatchRequest(BatchRequestShape):
        items: list[BatchItem] = Field(
            min_length=1,
            max_length=settings.max_batch_items,
            description=f"1–{settings.max_batch_items:,} ads, {settings.max_batch_chars:,} characters "
            "in all at most; results come back in this order.",
        )

        @field_validator("items")
        @classmethod
        def _total_characters(cls, items: list[BatchItem]) -> list[BatchItem]:
            total = sum(len(item.text) for item in items)
            if total > settings.max_batch_chars:
                raise ValueError(
                    f"{total:,} characters in all; at most {settings.max_batch_chars:,} per batch "
                    "(TPPO_MAX_BATCH_CHARS): split the batch"
                )
            return items

    return RequestModels(score=ScoreRequest, batch=BatchRequest)
