"""Save and load models: a joblib file plus a JSON model card beside it.

    models/default.joblib      the fitted scikit-learn pipeline
    models/default.card.json   what it is: data hash, library versions, parameters, metrics,
                               risk-level thresholds, and the SHA-256 of the joblib file

Pickles are code. `load_model` reads the file once, checks those bytes' SHA-256 against the card
and only then unpickles the same bytes; it also refuses another scikit-learn version. This stops
a corrupted, truncated or swapped model file. The card's fields that change what a score or a
level is (`SEALED`: the thresholds, and the name and library versions the output and the version
check read) are sealed too: `seal` holds, per field, the SHA-256 of the model file's hash and the
field's canonical JSON, so an edited threshold (1.1, NaN, medium and high swapped) is refused with
the field named. Thresholds must also be finite with 0 <= medium <= high <= 1. None of this stops
someone who can write both the model and its card (the seal is a checksum, not a signature):
load models only from directories you control. (skops, with `trusted=[...]` types, is the
upgrade path if models ever come from outside.)
"""

from __future__ import annotations

import hashlib
import io
import json
import platform
from dataclasses import dataclass
from functools import cached_property
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import joblib
import numpy as np
from pydantic import BaseModel, Field, ValidationError, model_validator
from sklearn.pipeline import Pipeline

from tppo_screen.errors import ModelError
from tppo_screen.model.catalogue import Catalogue
from tppo_screen.model.compiled import Compiled
from tppo_screen.model.pipeline import catalogue_of, flag_weights, slim
from tppo_screen.model.text import Folded
from tppo_screen.tables.write import atomic_write, write_text


class Thresholds(BaseModel):
    """Scores at or above `medium` are medium risk, at or above `high` are high risk."""

    medium: float = Field(ge=0, le=1, allow_inf_nan=False)
    high: float = Field(ge=0, le=1, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if self.medium > self.high:
            raise ValueError(f"thresholds: medium {self.medium} is above high {self.high}")
        return self


class ModelCard(BaseModel):
    """The JSON card saved beside every model file."""

    name: str
    tppo_screen_version: str
    thresholds: Thresholds
    metrics: dict[str, Any]
    data: dict[str, Any]
    params: dict[str, Any]
    libraries: dict[str, str]
    stem_overrides: dict[str, Any]
    catalogue: dict[str, Any] = {}
    notes: list[str] = []
    artifact: dict[str, str] = {}
    seal: dict[str, str] = {}


# The card fields scoring reads: a change to any of them changes a level or what is reported.
SEALED = ("name", "thresholds", "libraries")


def seal_of(card: ModelCard, model_sha256: str) -> dict[str, str]:
    """Per sealed field, the SHA-256 of the model file's hash and the field's canonical JSON."""
    dumped = card.model_dump(mode="json", include=set(SEALED))
    seal = {}
    for name in SEALED:
        canonical = json.dumps(dumped[name], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        seal[name] = hashlib.sha256(f"{model_sha256}\0{name}\0{canonical}".encode()).hexdigest()
    return seal


def check_seal(card: ModelCard, model_sha256: str, where: Path) -> None:
    """Refuse a card whose sealed fields are not the ones saved with the model file."""
    if not card.seal:
        raise ModelError(
            f"model card {where} has no seal over its thresholds: it was written by an older "
            "tppo-screen; retrain the model (or restore its sealed card)"
        )
    expected = seal_of(card, model_sha256)
    changed = [name for name in SEALED if card.seal.get(name) != expected[name]]
    if changed:
        raise ModelError(
            f"model card {where}: {', '.join(changed)} changed since the model was saved (the "
            "card's seal does not match): refusing to load it; restore the card or retrain"
        )


@dataclass(frozen=True)
class Model:
    """A fitted pipeline together with its card: everything scoring needs."""

    pipeline: Pipeline
    card: ModelCard
    path: Path | None = None

    @property
    def thresholds(self) -> Thresholds:
        return self.card.thresholds

    @property
    def version(self) -> str:
        sha = self.card.artifact.get("sha256", "")
        return f"{self.card.name}@{sha[:12]}" if sha else self.card.name

    @cached_property
    def word_feature_names(self) -> np.ndarray:
        """Names of the stemmed word n-gram features (cached: computing them sorts the vocabulary)."""
        words = self.pipeline.named_steps["features"].transformer_list[0][1]
        return np.asarray(words.get_feature_names_out())

    def stems(self, words: list[str]) -> list[str]:
        """The stems of folded words, as the model's word features read them."""
        return [token for token in self._word_analyzer(Folded(words=words)) if " " not in token]

    @cached_property
    def _word_analyzer(self) -> Any:
        return self.pipeline.named_steps["features"].transformer_list[0][1].build_analyzer()

    @cached_property
    def compiled(self) -> Compiled:
        """The pipeline's scoring arithmetic without scikit-learn's per-call overhead."""
        return Compiled.of(self.pipeline)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle (to worker processes, Dask) only the fields; caches are rebuilt there."""
        return {"pipeline": self.pipeline, "card": self.card, "path": self.path}

    @property
    def catalogue(self) -> Catalogue:
        """The red-flag catalogue the model was trained with (its entries are model features)."""
        return catalogue_of(self.pipeline)

    @cached_property
    def flag_weights(self) -> dict[str, float]:
        """Each catalogue entry's coefficient: > 0 pushes towards risk, < 0 towards legitimate."""
        return flag_weights(self.pipeline)


def card_path(model_path: Path) -> Path:
    return model_path.with_name(model_path.stem + ".card.json")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for dist in ("scikit-learn", "numpy", "scipy", "pandas", "joblib", "PySastrawi", "tppo-screen"):
        try:
            versions[dist] = version(dist)
        except PackageNotFoundError:  # pragma: no cover, only in a broken install
            versions[dist] = "not installed"
    return versions


def save_model(pipeline: Pipeline, path: Path | str, card: ModelCard) -> Model:
    """Write `path` (joblib) and its card; return the saved `Model`."""
    path = atomic_write(path, lambda tmp: joblib.dump(slim(pipeline), tmp, compress=3))
    sha = sha256_file(path)
    card = card.model_copy(update={"artifact": {"file": path.name, "sha256": sha}})
    card = card.model_copy(update={"seal": seal_of(card, sha)})
    write_text(json.dumps(card.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n", card_path(path))
    return Model(pipeline=pipeline, card=card, path=path)


def read_card(path: Path | str) -> ModelCard:
    """Read and validate the card beside model file `path`."""
    path = Path(path)
    cpath = card_path(path)
    if not path.is_file():
        raise ModelError(f"model file not found: {path}")
    if not cpath.is_file():
        raise ModelError(f"model card not found: {cpath} (every model needs its card beside it)")
    try:
        return ModelCard.model_validate_json(cpath.read_text(encoding="utf-8"))
    except ValidationError as exc:
        where = [".".join(map(str, e["loc"])) + ": " + e["msg"] for e in exc.errors()[:3]]
        raise ModelError(f"model card {cpath} is not valid: {'; '.join(where)}") from exc
    except ValueError as exc:
        raise ModelError(f"model card {cpath} is not valid: {str(exc).splitlines()[0]}") from exc


def load_model(path: Path | str) -> Model:
    """Load a model after checking its SHA-256, its scikit-learn version and its card's seal."""
    path = Path(path)
    card = read_card(path)
    expected = card.artifact.get("sha256")
    payload = path.read_bytes()  # hash and unpickle the very same bytes
    actual = hashlib.sha256(payload).hexdigest()
    if expected != actual:
        raise ModelError(
            f"{path} does not match its card (SHA-256 {actual[:12]}…, card says "
            f"{(expected or 'nothing')[:12]}…): refusing to load it; retrain or restore the file"
        )
    trained_with = card.libraries.get("scikit-learn")
    installed = version("scikit-learn")
    if trained_with != installed:
        raise ModelError(
            f"{path} was trained with scikit-learn {trained_with}, this environment has "
            f"{installed}: reinstall the pinned dependencies (make install) or retrain"
        )
    check_seal(card, actual, card_path(path))
    pipeline = joblib.load(io.BytesIO(payload))
    if not isinstance(pipeline, Pipeline):
        raise ModelError(f"{path} does not hold a scikit-learn Pipeline")
    return Model(pipeline=pipeline, card=card, path=path)
