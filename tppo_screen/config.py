"""Paths and settings. Pure constants and a settings class: nothing is read at import."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated

from pydantic import Field, PrivateAttr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
MODELS_DIR = ROOT / "models"
DEFAULT_MODEL = MODELS_DIR / "default.joblib"
WEB_DIR = Path(__file__).resolve().parent / "serving" / "web"  # the demo page's static files
SEED = 13  # the one random seed: splits, folds, snippets and the model all start from it


class Settings(BaseSettings):
    """Settings from the environment (prefix `TPPO_`), read by the edges (CLI, API) only.

    TPPO_MODEL_PATH        model file to serve (its card must sit beside it)
    TPPO_MAX_TEXT_CHARS    longest ad the API accepts, in characters (default 20,000)
    TPPO_MAX_BATCH_ITEMS   most ads in one POST /v1/score/batch (default 1,000)
    TPPO_MAX_BATCH_CHARS   most characters in one batch, all its ads together; more → 422 before
                           any scoring (default 2,000,000: with the shipped model a full batch
                           takes a worker from 251 MB idle to a peak under 400 MB RSS, 2.5-8.5 s;
                           without it 1,000 ads of 15,600 characters peaked at 1,188 MB, 50 s)
    TPPO_MAX_BODY_BYTES    largest request body; larger → 413 (default 16 MiB)
    TPPO_BODY_TIMEOUT      seconds a request body may take to arrive in full; slower → 408 and
                           the connection closed (default 60: 16 MiB at about 2.2 Mbit/s)
    TPPO_MAX_IMAGE_BYTES   largest picture POST /v1/score/image accepts; larger → 413 (default
                           10 MiB; the route's body limit is this plus 64 KiB for the multipart
                           envelope, whatever TPPO_MAX_BODY_BYTES says)
    TPPO_MAX_IMAGE_PIXELS  most pixels (width × height) a picture may have; more → 413 before any
                           pixel is decoded (default 40,000,000; at most 89,000,000)
    TPPO_OCR_SLOTS         pictures a worker process reads at once (Tesseract processes; default 2)
    TPPO_OCR_QUEUE         pictures that may wait for a slot; more → 503 with Retry-After at once
                           (default 8), so a flood of uploads neither piles up processes nor
                           holds the threads that score text
    TPPO_API_KEYS          comma-separated keys; when set, /v1/* needs header X-API-Key, checked
                           before the body is read (no key, wrong key → 401 at once). An entry
                           `name:key` names its key: corrections record the name, never the key
                           (a bare key is named `key-` + the first 8 hex of its SHA-256)
    TPPO_ADMIN_KEYS        comma-separated keys (`name:key` too) that may also list and export the
                           corrections (GET /v1/feedback, /v1/feedback/export); a scoring key gets
                           403 there. Admin keys are accepted wherever a scoring key is
    TPPO_FEEDBACK_DB       the corrections store: a SQLAlchemy URL (postgresql://… for several API
                           nodes, sqlite:///path) or a file path; `off` disables feedback. Default:
                           data/feedback/feedback.sqlite3
    TPPO_FEEDBACK_MASK     1 (default): phone numbers, e-mails, names and handles in corrections are
                           masked before they are stored, as in data/; 0 stores texts as sent
    TPPO_METRICS_KEYS      comma-separated keys for /metrics only; when any key (this or
                           TPPO_API_KEYS) is set, /metrics needs one of them as X-API-Key or
                           `Authorization: Bearer <key>`; with no keys at all /metrics stays open
    TPPO_CORS_ORIGINS      comma-separated origins allowed to call the API from a browser
    """

    model_config = SettingsConfigDict(env_prefix="TPPO_")

    model_path: Path = DEFAULT_MODEL
    max_text_chars: int = Field(20_000, ge=1, le=100_000)
    max_batch_items: int = Field(1_000, ge=1, le=100_000)
    max_batch_chars: int = Field(2_000_000, ge=1, le=100_000_000)
    max_body_bytes: int = Field(16 * 1024 * 1024, ge=1024)
    body_timeout: float = Field(60.0, gt=0, le=3600)
    max_image_bytes: int = Field(10 * 1024 * 1024, ge=1024, le=100 * 1024 * 1024)
    max_image_pixels: int = Field(40_000_000, ge=10_000, le=89_000_000)  # Pillow refuses more
    ocr_slots: int = Field(2, ge=1, le=64)
    ocr_queue: int = Field(8, ge=0, le=10_000)
    api_keys: Annotated[list[str], NoDecode] = []
    metrics_keys: Annotated[list[str], NoDecode] = []
    cors_origins: Annotated[list[str], NoDecode] = []
    admin_keys: Annotated[list[str], NoDecode] = []
    feedback_db: str = ""
    feedback_mask: bool = True
    _key_names: dict[str, str] = PrivateAttr(default_factory=dict)

    @field_validator("api_keys", "metrics_keys", "cors_origins", "admin_keys", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _split_names(self) -> Settings:
        """`name:key` entries of TPPO_API_KEYS and TPPO_ADMIN_KEYS: the lists keep the keys,
        `key_name` tells their names."""
        for field in ("api_keys", "admin_keys"):
            pairs = [split_key(entry) for entry in getattr(self, field)]
            self._key_names.update(pairs)
            setattr(self, field, [key for key, _ in pairs])
        return self

    def key_name(self, key: str) -> str:
        """The name of an API or admin key (`name:key` entries), never the key itself."""
        return self._key_names.get(key) or split_key(key)[1]


def split_key(entry: str) -> tuple[str, str]:
    """(key, name) of a TPPO_API_KEYS entry: `name:key`, or a bare key named `key-<8 hex>`
    after its SHA-256 (so a log or a correction shows which key, never the key)."""
    name, colon, key = entry.partition(":")
    if colon and name and key:
        return key, name
    return entry, "key-" + hashlib.sha256(entry.encode()).hexdigest()[:8]
