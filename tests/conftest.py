"""Shared fixtures: a tiny model trained once per session on tests/assets/tiny.csv."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tppo_screen.model.artifacts import Model, save_model
from tppo_screen.training.train import train

ASSETS = Path(__file__).parent / "assets"
TINY = ASSETS / "tiny.csv"


@pytest.fixture(scope="session", autouse=True)
def no_feedback_store() -> Iterator[None]:
    """Apps and servers started by the tests record no corrections unless a test gives them a
    store (TPPO_FEEDBACK_DB): the default store is a file under data/, not the tests' to write."""
    patch = pytest.MonkeyPatch()
    patch.setenv("TPPO_FEEDBACK_DB", os.environ.get("TPPO_FEEDBACK_DB", "off"))
    yield
    patch.undo()


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
