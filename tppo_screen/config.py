"""Paths and settings. Pure constants and a settings class: nothing is read at import."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
MODELS_DIR = ROOT / "models"
DEFAULT_MODEL = MODELS_DIR / "default.joblib"


class Settings(BaseSettings):
    """Settings from the environment (prefix `TPPO_`), read by the edges (CLI, API) only."""

    model_config = SettingsConfigDict(env_prefix="TPPO_")

    model_path: Path = DEFAULT_MODEL
