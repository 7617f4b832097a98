"""Shared fixtures: a tiny model trained once per session on tests/assets/tiny.csv."""

from __future__ import annotations

from pathlib import Path

import pytest

from tppo_screen.model.artifacts import Model, save_model
from tppo_screen.training.train import train

ASSETS = Path(__file__).parent / "assets"
TINY = ASSETS / "tiny.csv"


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("models") / "tiny.joblib"
    pipeline, card = train(TINY, name="tiny", folds=3)
    save_model(pipeline, path, card)
    return path


@pytest.fixture(scope="session")
def tiny_model(tiny_model_path: Path) -> Model:
    from tppo_screen.model.artifacts import load_model

    return load_model(tiny_model_path)
