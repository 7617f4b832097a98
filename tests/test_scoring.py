import numpy as np
import pandas as pd
import pytest

from tppo_screen.artifacts import Model
from tppo_screen.errors import InputError
from tppo_screen.scoring import risk_levels, score_frame, score_texts
from tppo_screen.stem import StemTokenizer, load_overrides
from tppo_screen.text import normalize


def test_score_frame_keeps_rows_order_and_columns(tiny_model: Model) -> None:
    frame = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "text": [
                "Admin CS Kamboja gaji 15jt, paspor dibantu",
                "Staf akuntansi S1 Bandung",
                "Lowongan ABK kapal Taiwan tanpa pengalaman",
                "Kasir minimarket gaji UMK",
            ],
            "extra": ["1", "2", "3", "4"],
        }
    )
    scored = score_frame(tiny_model, frame, "text")
    assert list(scored.columns) == ["id", "text", "extra", "risk_score", "risk_level", "error"]
    assert scored["id"].tolist() == ["a", "b", "c", "d"]
    assert scored["extra"].tolist() == ["1", "2", "3", "4"]
    assert scored["risk_score"].between(0, 1).all()


def test_levels_agree_with_card_thresholds(tiny_model: Model) -> None:
    frame = pd.DataFrame({"text": pd.read_csv("tests/assets/tiny.csv")["text"]})
    scored = score_frame(tiny_model, frame)
    expected = risk_levels(scored["risk_score"].to_numpy(), tiny_model.thresholds)
    assert (scored["risk_level"].to_numpy() == expected).all()


def test_unusable_cells_are_marked_not_dropped(tiny_model: Model) -> None:
    frame = pd.DataFrame({"text": ["Admin CS Kamboja gaji 15jt", "", None, 42, "   ", "12345 !!!"]})
    scored = score_frame(tiny_model, frame)
    assert len(scored) == 6
    assert scored["risk_level"].tolist()[1:] == ["error"] * 5
    assert scored["error"].tolist() == [
        "",
        "empty text",
        "empty text",
        "not text (int)",
        "empty text",
        "text has no letters",
    ]
    assert np.isnan(scored["risk_score"].iloc[1])
    assert scored["risk_level"].iloc[0] in {"low", "medium", "high"}


def test_missing_text_column_lists_the_columns_found(tiny_model: Model) -> None:
    with pytest.raises(InputError, match="no column 'text'.*columns found: judul, isi"):
        score_frame(tiny_model, pd.DataFrame({"judul": ["x"], "isi": ["y"]}))


def test_score_texts_matches_score_frame(tiny_model: Model) -> None:
    texts = ["Admin CS Kamboja gaji 15jt, paspor dibantu", "Staf akuntansi S1 Bandung", ""]
    scores = score_texts(tiny_model, texts)
    frame = score_frame(tiny_model, pd.DataFrame({"text": texts}))
    assert [s.level for s in scores] == frame["risk_level"].tolist()
    assert scores[0].score == frame["risk_score"].iloc[0]  # the very same number
    assert scores[2].error == "empty text" and scores[2].score is None


def test_top_terms_are_signed_and_explain_the_score(tiny_model: Model) -> None:
    ad = "Admin CS di Kamboja, paspor dibantu, tiket ditanggung"
    risky = score_texts(tiny_model, [ad])[0]
    assert risky.top_terms, "a scored ad lists its contributing terms"
    weights = [abs(t.weight) for t in risky.top_terms]
    assert weights == sorted(weights, reverse=True)
    stems = set(StemTokenizer(load_overrides())(normalize(ad)))
    assert all(set(t.term.split()) <= stems for t in risky.top_terms), "terms come from the ad itself"
    assert any(t.weight > 0 for t in risky.top_terms) and risky.level != "low"


def test_scoring_many_rows_crosses_chunk_boundaries(tiny_model: Model) -> None:
    texts = ["Admin CS Kamboja gaji 15jt", "Staf akuntansi S1 Bandung"] * 1_100
    scored = score_frame(tiny_model, pd.DataFrame({"text": texts}))
    assert len(scored) == 2_200
    assert scored["risk_score"].iloc[0] == scored["risk_score"].iloc[2_198]
