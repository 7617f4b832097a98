"""The committed corpus (data/train.csv, data/test.csv) teaches red flags, not style, and keeps its
promises: twins stay together, every red flag is covered, no personal data."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from tppo_screen.artifacts import load_model
from tppo_screen.scoring import score_frame
from tppo_screen.style import style_only_auc
from tppo_screen.text import EMAIL, PHONE

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


def redflag_ids() -> list[str]:
    """The red-flag ids of ../shared/research/redflags.md, as the authoring checker knows them."""
    spec = importlib.util.spec_from_file_location("check_authored", ROOT / "scripts" / "check_authored.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return sorted(module.RED_FLAGS)


@pytest.fixture(scope="module")
def corpus() -> pd.DataFrame:
    frames = [
        pd.read_csv(DATA / f"{part}.csv", dtype=str, keep_default_na=False).assign(split=part)
        for part in ("train", "test")
    ]
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="module")
def style_auc(corpus: pd.DataFrame) -> float:
    return style_only_auc(corpus)


def test_style_alone_does_not_give_the_label_away(style_auc: float) -> None:
    assert style_auc <= 0.70, f"style-only classifier reaches ROC-AUC {style_auc:.3f} on the grouped split"


def test_shipped_model_is_far_above_the_style_baseline(corpus: pd.DataFrame, style_auc: float) -> None:
    test = corpus[corpus["split"] == "test"].reset_index(drop=True)
    scored = score_frame(load_model(ROOT / "models" / "default.joblib"), test, "text")
    model_auc = roc_auc_score(test["label"] == "high_risk", scored["risk_score"])
    assert model_auc >= 0.90 and model_auc - style_auc >= 0.20, (model_auc, style_auc)


def test_twins_share_a_group_and_a_split_with_their_original(corpus: pd.DataFrame) -> None:
    by_id = corpus.set_index("id")
    twins = corpus[corpus["twin_of"] != ""]
    assert len(twins) > 0
    originals = by_id.loc[twins["twin_of"]]
    assert (originals["group"].to_numpy() == twins["group"].to_numpy()).all()
    assert (originals["split"].to_numpy() == twins["split"].to_numpy()).all()
    assert (originals["label"].to_numpy() != twins["label"].to_numpy()).all()


def test_corpus_has_at_least_300_counterfactual_twin_pairs(corpus: pd.DataFrame) -> None:
    assert (corpus["twin_of"] != "").sum() >= 300


def test_no_group_straddles_the_split(corpus: pd.DataFrame) -> None:
    sides = corpus.groupby("group")["split"].nunique()
    assert (sides == 1).all(), sides[sides > 1].index.tolist()[:5]


def test_every_red_flag_is_in_at_least_15_high_risk_ads(corpus: pd.DataFrame) -> None:
    flags = corpus.loc[corpus["label"] == "high_risk", "red_flags"].str.split(";").explode()
    counts = flags.value_counts()
    known = set(redflag_ids())
    thin = {flag: int(counts.get(flag, 0)) for flag in known if counts.get(flag, 0) < 15}
    assert not thin, thin


def test_corpus_has_at_least_800_authored_high_risk_and_500_hard_negatives(corpus: pd.DataFrame) -> None:
    written = corpus[corpus["source"].str.startswith(("authored", "twin"))]
    assert (written["label"] == "high_risk").sum() >= 800
    assert (written["label"] == "legit").sum() >= 500


def test_committed_texts_carry_no_phone_numbers_or_emails(corpus: pd.DataFrame) -> None:
    samples = pd.read_csv(DATA / "samples" / "listings.csv", dtype=str, keep_default_na=False)
    texts = pd.concat([corpus["text"], samples["text"]])
    leaks = [
        text[:80]
        for text in texts
        if any(m.group(0) != "<email>" for m in EMAIL.finditer(text))
        or any("x" not in m.group(0) for m in PHONE.finditer(text))
    ]
    assert not leaks, leaks[:3]


def test_authored_ads_pass_the_checker() -> None:
    files = sorted(str(p) for p in (DATA / "authored").glob("*.jsonl"))
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_authored.py"), *files],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:]


def test_high_risk_twins_of_real_ads_do_not_name_the_real_advertiser(corpus: pd.DataFrame) -> None:
    # Real Loker.id/MagangHub texts carry the portal header: title, then the company's name.
    text_of = corpus.set_index("id")["text"]
    twins = corpus[(corpus["label"] == "high_risk") & corpus["twin_of"].str.match(r"(lokerid|maganghub)-")]
    assert len(twins) > 200
    named = []
    for twin_id, original, text in zip(twins["id"], twins["twin_of"], twins["text"], strict=True):
        company = re.sub(r"^(PT|CV)\.?\s+|,?\s*Tbk\.?$", "", text_of[original].split("\n")[1]).strip()
        if len(company) >= 4 and re.search(rf"(?<!\w){re.escape(company)}(?!\w)", text, re.IGNORECASE):
            named.append((twin_id, company))
    assert not named, named[:5]
