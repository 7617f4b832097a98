import json
import shutil
from pathlib import Path

import pytest

from tppo_screen.errors import ModelError
from tppo_screen.model.artifacts import card_path, load_model, read_card, save_model


def _copy(model_path: Path, tmp_path: Path) -> Path:
    target = tmp_path / model_path.name
    shutil.copy(model_path, target)
    shutil.copy(card_path(model_path), card_path(target))
    return target


def test_round_trip_keeps_predictions_and_card(tiny_model_path: Path, tmp_path: Path) -> None:
    model = load_model(tiny_model_path)
    saved = save_model(model.pipeline, tmp_path / "copy.joblib", model.card)
    again = load_model(tmp_path / "copy.joblib")
    texts = ["admin CS Kamboja gaji 15jt", "Staff akuntansi S1 di Bandung"]
    assert (again.pipeline.predict_proba(texts) == model.pipeline.predict_proba(texts)).all()
    assert again.card.thresholds == model.card.thresholds
    assert saved.card.artifact["sha256"] == again.card.artifact["sha256"]


def test_card_records_what_the_issue_requires(tiny_model_path: Path) -> None:
    card = json.loads(card_path(tiny_model_path).read_text())
    assert len(card["artifact"]["sha256"]) == 64
    assert len(card["data"]["sha256"]) == 64
    assert {"scikit-learn", "PySastrawi", "python"} <= set(card["libraries"])
    assert card["params"]["seed"] == 13
    assert {"roc_auc", "pr_auc", "at_high"} <= set(card["metrics"]["cv"])
    assert 0 <= card["thresholds"]["medium"] <= card["thresholds"]["high"] <= 1


def test_tampered_model_file_is_refused_before_unpickling(tiny_model_path: Path, tmp_path: Path) -> None:
    target = _copy(tiny_model_path, tmp_path)
    with target.open("ab") as handle:
        handle.write(b"tampered")
    with pytest.raises(ModelError, match="does not match its card"):
        load_model(target)


def test_replaced_model_file_is_refused(tiny_model_path: Path, tmp_path: Path) -> None:
    target = _copy(tiny_model_path, tmp_path)
    # A pickle that would run code if it were loaded: the hash check must stop it first.
    target.write_bytes(b"cos\nsystem\n(S'echo pwned > /tmp/tppo-pwned'\ntR.")
    with pytest.raises(ModelError, match="does not match its card"):
        load_model(target)
    assert not Path("/tmp/tppo-pwned").exists()


def test_missing_card_and_missing_model_are_clear(tiny_model_path: Path, tmp_path: Path) -> None:
    lonely = tmp_path / "lonely.joblib"
    shutil.copy(tiny_model_path, lonely)
    with pytest.raises(ModelError, match="model card not found"):
        load_model(lonely)
    with pytest.raises(ModelError, match="model file not found"):
        load_model(tmp_path / "absent.joblib")


def test_foreign_scikit_learn_version_is_refused(tiny_model_path: Path, tmp_path: Path) -> None:
    target = _copy(tiny_model_path, tmp_path)
    card = json.loads(card_path(target).read_text())
    card["libraries"]["scikit-learn"] = "0.24.2"
    card_path(target).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="trained with scikit-learn 0.24.2"):
        load_model(target)


def test_corrupt_card_is_a_model_error(tiny_model_path: Path, tmp_path: Path) -> None:
    target = _copy(tiny_model_path, tmp_path)
    card_path(target).write_text("{not json")
    with pytest.raises(ModelError, match="is not valid"):
        read_card(target)


@pytest.mark.slow
def test_same_data_and_seed_give_a_byte_identical_model(tmp_path: Path) -> None:
    """`make model` promises reproducibility: two processes (different hash seeds, as two
    separate runs have) must write the same bytes."""
    import os
    import subprocess
    import sys

    from tests.conftest import TINY
    from tppo_screen.model.artifacts import sha256_file

    paths = []
    for seed in ("1", "2"):
        out = tmp_path / seed / "tiny.joblib"
        subprocess.run(
            [
                sys.executable,
                "cli.py",
                "train",
                str(TINY),
                "-o",
                str(out),
                "--folds",
                "3",
                "--test",
                str(TINY),
            ],
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
            capture_output=True,
            timeout=300,
        )
        paths.append(out)
    assert sha256_file(paths[0]) == sha256_file(paths[1])


def _edit_thresholds(target: Path, medium: float, high: float) -> None:
    card = json.loads(card_path(target).read_text())
    card["thresholds"] = {"medium": medium, "high": high}
    card_path(target).write_text(json.dumps(card))  # NaN is written as NaN, as an editor would


@pytest.mark.parametrize(
    ("medium", "high", "problem"),
    [
        (0.2, 1.1, "less than or equal to 1"),
        (0.2, float("nan"), "finite"),
        (0.8, 0.2, "medium 0.8 is above high 0.2"),
        (-0.1, 0.5, "greater than or equal to 0"),
    ],
)
def test_impossible_thresholds_are_refused(
    tiny_model_path: Path, tmp_path: Path, medium: float, high: float, problem: str
) -> None:
    target = _copy(tiny_model_path, tmp_path)
    _edit_thresholds(target, medium, high)
    with pytest.raises(ModelError, match=f"thresholds.*{problem}"):
        load_model(target)


def test_edited_or_swapped_thresholds_break_the_seal(tiny_model_path: Path, tmp_path: Path) -> None:
    """A valid-looking edit (the two thresholds swapped back into order, or lowered) changes
    every level: the card's seal refuses it and names the field."""
    target = _copy(tiny_model_path, tmp_path)
    card = json.loads(card_path(target).read_text())
    medium, high = card["thresholds"]["medium"], card["thresholds"]["high"]
    for new in ((medium / 2, high), (medium, (high + 1) / 2), (0.0, 0.0)):
        _edit_thresholds(target, *new)
        with pytest.raises(ModelError, match="thresholds changed since the model was saved"):
            load_model(target)
    card["name"] = "someone-else"
    card_path(target).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="name changed"):
        load_model(target)


def test_card_without_seal_is_refused(tiny_model_path: Path, tmp_path: Path) -> None:
    target = _copy(tiny_model_path, tmp_path)
    card = json.loads(card_path(target).read_text())
    del card["seal"]
    card_path(target).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="no seal over its thresholds"):
        load_model(target)


def test_shipped_card_is_sealed_and_loads() -> None:
    """models/default.card.json was sealed without retraining (scripts/seal_card.py)."""
    shipped = Path(__file__).resolve().parents[1] / "models" / "default.joblib"
    card = read_card(shipped)
    assert set(card.seal) == {"name", "thresholds", "libraries"}
    assert load_model(shipped).thresholds == card.thresholds
