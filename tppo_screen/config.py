"""Paths and settings. Pure constants and a settings class: nothing is read at import."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
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
    TPPO_API_KEYS          comma-separated keys; when set, /v1/* needs header X-API-Key, checked
                           before the body is read (no key, wrong key → 401 at once)
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
    api_keys: Annotated[list[str], NoDecode] = []
    metrics_keys: Annotated[list[str], NoDecode] = []
    cors_origins: Annotated[list[str], NoDecode] = []

    @field_validator("api_keys", "metrics_keys", "cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value
