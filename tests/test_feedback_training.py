"""Training on corrections (`train --with-feedback`) and what a round buys (`evaluate --feedback-*`)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.conftest import TINY
from tppo_screen.cli.app import app
from tppo_screen.config import DEFAULT_MODEL
from tppo_screen.errors import DataError
from tppo_screen.model.artifacts import card_path, load_model, sha256_file
from tppo_screen.training.feedback import FEEDBACK_SOURCE, merge_corrections, prepare_corrections
from tppo_screen.training.train import split_groups

runner = CliRunner()
CORPUS = pd.read_csv(TINY)
KASIR = CORPUS["text"][CORPUS["text"].str.startswith("Kasir minimarket")].iloc[0]
KAMBOJA = CORPUS["text"].iloc[0]  # high_risk in the corpus
# a legitimate corpus ad that a moderator knows to be a fee scam, a corpus scam seen again, and new ads
CORRECTIONS = pd.DataFrame(
    {
        "ad_id": ["a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8"],
        "text": [
            KASIR + " Biaya seragam 500 ribu transfer dulu ke rekening pribadi admin.",
            KAMBOJA + " Segera!",
            "Lowongan kasir toko roti di Bandung, gaji UMR, kirim lamaran ke kantor, interview langsung",
            "Dibutuhkan satpam kantor bank di Medan, sertifikat Gada Pratama, gaji sesuai UMK, BPJS",
            "Kerja di Kamboja jadi admin, gaji 20 juta, tiket ditanggung, paspor diurus, hubungi Telegram",
            "Loker Malaysia tanpa paspor, berangkat lewat Batam, bayar 5 juta dulu ke rekening pribadi",
            "Admin gudang di Cikarang, lulusan SMK, shift pagi, gaji UMK, datang ke kantor untuk interview",
            "Dicari pemandu karaoke di Papua, gaji 8 juta, tiket ditanggung, kasbon boleh, usia 17 tahun",
        ],
        "label": ["high_risk", "high_risk", "legit", "legit", "high_risk", "high_risk", "legit", "high_risk"],
        "sender": ["mod-a", "mod-b", "mod-a", "mod-b", "mod-a", "mod-b", "mod-a", "mod-b"],
        "model_score": [0.1, 0.9, None, 0.95, 0.2, 0.95, 0.05, 0.3],
        "masked": [True] * 8,
    }
)


def test_a_correction_joins_its_near_duplicates_group_and_wins_a_contradiction() -> None:
    corrections = prepare_corrections(CORRECTIONS, "corrections", verdict_threshold=0.5)
    merged, facts = merge_corrections(CORPUS, corrections)
    groups = split_groups(merged)
    fixes = (merged["source"] == FEEDBACK_SOURCE).to_numpy()
    kamboja_fix = merged.index[fixes & merged["text"].str.startswith(KAMBOJA[:40])][0]
    kamboja_corpus = merged.index[~fixes & (merged["text"] == KAMBOJA)][0]
    assert groups[kamboja_fix] == groups[kamboja_corpus]  # one group: never on both sides of a fold
    assert KASIR not in set(merged["text"])  # the legit corpus ad the fee-scam correction overrules
    assert facts["corpus_rows_overruled"] == 1 and facts["with_corpus_near_duplicates"] == 2
    assert facts["kinds"] == {
        "legit": {"flipped": 1, "confirmed": 1, "unscored": 1},
        "high_risk": {"flipped": 3, "confirmed": 2, "unscored": 0},
    }
    assert len(merged) == len(CORPUS) - 1 + 8 and set(merged.loc[fixes, "weight"]) == {16.0}


def test_same_text_corrections_vote_and_a_tie_is_left_out() -> None:
    votes = pd.DataFrame(
        {
            "text": [
                "Kerja di Dubai, gaji 30 juta",
                "kerja di DUBAI gaji 30 juta",
                "Kerja di Dubai, gaji 30 juta!",
            ]
            + ["Loker kasir, gaji UMR", "Loker kasir gaji UMR"],
            "label": ["high_risk", "high_risk", "legit", "legit", "high_risk"],
        }
    )
    corrections = prepare_corrections(votes, "votes", None)
    assert corrections.frame["label"].tolist() == ["high_risk"]  # 2 against 1; the 1-1 tie is left out
    assert corrections.facts["tied_left_out"] == 1
    assert corrections.facts["kinds"]["high_risk"]["unscored"] == 1


def test_a_bad_correction_is_named(tmp_path: Path) -> None:
    bad = CORRECTIONS.assign(label=["high_risk", "spam", *CORRECTIONS["label"][2:]])
    with pytest.raises(DataError, match=r"row 2 \(label 'spam'"):
        prepare_corrections(bad, "corrections.csv", None)
    path = tmp_path / "corrections.csv"
    bad.to_csv(path, index=False)
    result = runner.invoke(
        app, ["train", str(TINY), "-o", str(tmp_path / "m.joblib"), "--feedback-file", str(path)]
    )
    assert result.exit_code == 1 and "row 2" in result.output and not (tmp_path / "m.joblib").exists()


@pytest.mark.slow
def test_train_with_feedback_records_the_corrections_in_a_sealed_loadable_card(tmp_path: Path) -> None:
    fixes = tmp_path / "corrections.csv"
    CORRECTIONS.to_csv(fixes, index=False)
    output = tmp_path / "with-feedback.joblib"
    result = runner.invoke(
        app,
        [
            "train",
            str(TINY),
            "-o",
            str(output),
            "--folds",
            "3",
            "--with-feedback",
            "--feedback-file",
            str(fixes),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "1 corpus rows overruled" in " ".join(result.output.split())
    model = load_model(output)  # the seal still holds with the feedback facts in the card
    feedback = model.card.data["feedback"]
    assert feedback["trained_on"] == 8 and feedback["from"] == {
        "file": fixes.name,
        "sha256": sha256_file(fixes),
    }
    assert sum(sum(kinds.values()) for kinds in feedback["kinds"].values()) == 8
    assert model.card.data["rows"] == 30 - 1 + 8
    assert model.card.metrics["cv"]["by_source"][FEEDBACK_SOURCE]["high_risk_rows"] == 5
    shipped = load_model(DEFAULT_MODEL)  # the shipped model and card are untouched and load
    assert "feedback" not in shipped.card.data and shipped.card.artifact["sha256"] == sha256_file(
        DEFAULT_MODEL
    )
    assert json.loads(card_path(DEFAULT_MODEL).read_text())["seal"] == shipped.card.seal


@pytest.mark.slow
def test_evaluate_shows_before_and_after_on_the_corrections(tmp_path: Path, tiny_model_path: Path) -> None:
    fixes = tmp_path / "corrections.jsonl"
    CORRECTIONS.to_json(fixes, orient="records", lines=True)
    report = tmp_path / "before_after.json"
    result = runner.invoke(
        app,
        ["evaluate", "--model", str(tiny_model_path), "--feedback-file", str(fixes), "--train", str(TINY)]
        + ["--folds", "2", "-o", str(report)],
    )
    assert result.exit_code == 0, result.output
    assert "before" in result.stdout and "after" in result.stdout and "recall@high" in result.stdout
    measured = json.loads(report.read_text())
    assert measured["corrections"] == 8 and measured["folds"] == 2
    for side in ("before", "after"):
        assert set(measured[side]) == {
            "recall_at_high",
            "recall_at_medium",
            "false_alarms_at_high",
            "roc_auc",
        }
        assert 0 <= measured[side]["roc_auc"] <= 1
    # the tiny model scored every correction itself: its 'before' is the model's own score
    assert measured["thresholds"]["high"] == load_model(tiny_model_path).thresholds.high


@pytest.mark.slow
def test_train_with_feedback_reads_a_real_sqlite_store(tmp_path: Path) -> None:
    from tppo_screen.feedback.store import Correction, open_store

    url = f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    store = open_store(url)
    rows = CORRECTIONS.to_dict("records")
    for sender in ("mod-a", "mod-b"):
        store.add(
            [
                Correction(
                    text=r["text"],
                    label=r["label"],
                    ad_id=r["ad_id"],
                    model_score=None if pd.isna(r["model_score"]) else r["model_score"],
                )
                for r in rows
                if r["sender"] == sender
            ],
            sender,
        )
    store.close()
    output = tmp_path / "m.joblib"
    result = runner.invoke(app, ["train", str(TINY), "-o", str(output), "--folds", "3", "--feedback-db", url])
    assert result.exit_code == 0, result.output
    feedback = load_model(output).card.data["feedback"]
    assert feedback["from"] == {"store": url} and feedback["by_sender"] == {"mod-a": 4, "mod-b": 4}
