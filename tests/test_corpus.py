"""The committed corpus (data/train.csv, data/test.csv) teaches red flags, not style, and keeps its
promises: twins stay together, every red flag is covered, no personal data."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

from tppo_screen.cli import app
from tppo_screen.corpus.realworld import read_real
from tppo_screen.corpus.style import length_only_auc, style_only_auc
from tppo_screen.model.artifacts import load_model
from tppo_screen.model.scoring import score_frame
from tppo_screen.model.text import EMAIL, PHONE, normalize

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


@pytest.mark.data
@pytest.mark.slow
def test_style_alone_does_not_give_the_label_away(style_auc: float) -> None:
    assert style_auc <= 0.70, f"style-only classifier reaches ROC-AUC {style_auc:.3f} on the grouped split"


@pytest.mark.data
def test_length_alone_does_not_give_the_label_away(corpus: pd.DataFrame) -> None:
    auc = length_only_auc(corpus)
    assert auc <= 0.65, (
        f"a gradient-boosted classifier on words, characters and lines reaches ROC-AUC {auc:.3f}"
    )


@pytest.mark.data
def test_short_texts_are_plenty_in_both_classes(corpus: pd.DataFrame) -> None:
    short = corpus[corpus["text"].str.split().str.len() <= 30]
    counts = short["label"].value_counts()
    assert counts["high_risk"] >= 1000 and counts["legit"] >= 1000, counts.to_dict()
    posts = corpus[
        corpus["source"].str.startswith("authored") & corpus["text"].str.split().str.len().between(8, 40)
    ]
    written = posts["label"].value_counts()  # hand-written short posts: WA broadcasts, captions, replies
    assert written["high_risk"] >= 500 and written["legit"] >= 500, written.to_dict()


@pytest.fixture(scope="module")
def real_world() -> pd.DataFrame:
    rows = read_real(
        sorted((DATA / "real").glob("*.jsonl")) + sorted((DATA / "real" / "heldout").glob("*.jsonl"))
    )
    return pd.DataFrame([row.model_dump(by_alias=True) for row in rows])


@pytest.mark.data
def test_real_world_texts_are_at_least_300_per_label_with_their_sources(real_world: pd.DataFrame) -> None:
    counts = real_world["label"].value_counts()
    assert counts["high_risk"] >= 300 and counts["legit"] >= 300, counts.to_dict()
    assert real_world["source_url"].str.match(r"https?://").all() and real_world["reason"].str.strip().all()
    assert set(real_world["modus"][real_world["label"] == "high_risk"]) >= {
        "scam_compound",
        "nonprocedural_migration",
        "fishing",
        "entertainment",
        "domestic_work",
        "fake_internship",
        "hoax_official",
        "task_scam",
    }


@pytest.mark.data
def test_real_world_texts_carry_no_phone_numbers_emails_or_unmasked_names(real_world: pd.DataFrame) -> None:
    leaks = [
        text[:80]
        for text in real_world["text"]
        if any(m.group(0) != "<email>" for m in EMAIL.finditer(text))
        or any("x" not in m.group(0) for m in PHONE.finditer(text))
        or "[nama]" in text
    ]
    assert not leaks, leaks[:3]


@pytest.mark.data
def test_the_real_world_test_split_shares_no_group_or_text_with_training(corpus: pd.DataFrame) -> None:
    real_test = pd.read_csv(DATA / "real" / "test.csv", dtype=str, keep_default_na=False)
    assert len(real_test) >= 150 and set(real_test["label"]) == {"high_risk", "legit"}
    train = corpus[corpus["split"] == "train"]
    assert not set(real_test["group"]) & set(train["group"])
    assert not set(real_test["text"].map(normalize)) & set(train["text"].map(normalize))
    pages = train.loc[train["source_url"] != "", "source_url"].str.replace(r"[?#].*$", "", regex=True)
    news = real_test["source_url"][~real_test["source_url"].str.contains("github.com")]
    assert not set(news.str.replace(r"[?#].*$", "", regex=True)) & set(pages)


@pytest.mark.data
def test_snippets_sit_with_their_ad_and_keep_its_evidence(corpus: pd.DataFrame) -> None:
    from tppo_screen.model.catalogue import default_catalogue

    snippets = corpus[corpus["origin"] == "snippet"]
    assert len(snippets) > 1000
    parents = corpus.set_index("id")
    assert (parents.loc[snippets["snippet_of"], "group"].to_numpy() == snippets["group"].to_numpy()).all()
    assert (parents.loc[snippets["snippet_of"], "split"].to_numpy() == snippets["split"].to_numpy()).all()
    catalogue = default_catalogue()
    for snippet in snippets[snippets["label"] == "high_risk"].head(300).itertuples():
        flags = set(snippet.red_flags.split(";"))
        found = {m.id for m in catalogue.match(snippet.text) if m.kind == "red" and m.severity != "low"}
        assert found & flags, snippet.id


@pytest.mark.data
@pytest.mark.slow
def test_shipped_model_is_far_above_the_style_baseline(corpus: pd.DataFrame, style_auc: float) -> None:
    test = corpus[corpus["split"] == "test"].reset_index(drop=True)
    scored = score_frame(load_model(ROOT / "models" / "default.joblib"), test, "text")
    model_auc = roc_auc_score(test["label"] == "high_risk", scored["risk_score"])
    assert model_auc >= 0.90 and model_auc - style_auc >= 0.20, (model_auc, style_auc)


@pytest.mark.data
def test_twins_share_a_group_and_a_split_with_their_original(corpus: pd.DataFrame) -> None:
    by_id = corpus.set_index("id")
    twins = corpus[corpus["twin_of"] != ""]
    assert len(twins) > 0
    originals = by_id.loc[twins["twin_of"]]
    assert (originals["group"].to_numpy() == twins["group"].to_numpy()).all()
    assert (originals["split"].to_numpy() == twins["split"].to_numpy()).all()
    assert (originals["label"].to_numpy() != twins["label"].to_numpy()).all()


@pytest.mark.data
def test_corpus_has_at_least_300_counterfactual_twin_pairs(corpus: pd.DataFrame) -> None:
    assert (corpus["twin_of"] != "").sum() >= 300


@pytest.mark.data
def test_no_group_straddles_the_split(corpus: pd.DataFrame) -> None:
    sides = corpus.groupby("group")["split"].nunique()
    assert (sides == 1).all(), sides[sides > 1].index.tolist()[:5]


@pytest.mark.data
def test_every_red_flag_is_in_at_least_15_high_risk_ads(corpus: pd.DataFrame) -> None:
    flags = corpus.loc[corpus["label"] == "high_risk", "red_flags"].str.split(";").explode()
    counts = flags.value_counts()
    known = set(redflag_ids())
    thin = {flag: int(counts.get(flag, 0)) for flag in known if counts.get(flag, 0) < 15}
    assert not thin, thin


@pytest.mark.data
def test_corpus_has_at_least_800_authored_high_risk_and_500_hard_negatives(corpus: pd.DataFrame) -> None:
    written = corpus[corpus["source"].str.startswith(("authored", "twin"))]
    assert (written["label"] == "high_risk").sum() >= 800
    assert (written["label"] == "legit").sum() >= 500


@pytest.mark.data
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


@pytest.mark.data
def test_authored_ads_pass_the_checker() -> None:
    files = sorted(str(p) for p in (DATA / "authored").glob("*.jsonl"))
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_authored.py"), *files],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:]


@pytest.mark.data
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


def _synthetic(n: int, labels: list[str] | None = None) -> pd.DataFrame:
    """`n` texts of random words, one group each: high-risk ones short (5-15 words), legitimate
    ones long (40-80 words), unless `labels` are given."""
    rng = np.random.default_rng(7)
    vocabulary = [f"kata{i}" for i in range(300)]
    label = labels or ["high_risk" if i % 2 else "legit" for i in range(n)]
    truth = ["high_risk" if i % 2 else "legit" for i in range(n)]
    texts = [
        " ".join(
            rng.choice(vocabulary, size=rng.integers(5, 16) if t == "high_risk" else rng.integers(40, 81))
        )
        for t in truth
    ]
    return pd.DataFrame({"text": texts, "label": label, "group": [f"g{i}" for i in range(n)]})


def test_style_and_length_checks_see_a_label_that_length_decides() -> None:
    frame = _synthetic(200)
    assert length_only_auc(frame) >= 0.95
    assert style_only_auc(frame) >= 0.95


def test_style_and_length_checks_find_nothing_in_shuffled_labels() -> None:
    labels = np.random.default_rng(3).permutation(["high_risk", "legit"] * 100).tolist()
    frame = _synthetic(200, labels)
    assert abs(length_only_auc(frame) - 0.5) <= 0.15
    assert abs(style_only_auc(frame) - 0.5) <= 0.15


runner = CliRunner()


def test_corpus_build_help_explains_its_options() -> None:
    result = runner.invoke(app, ["corpus", "build", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for option in ("--raw", "--out", "--json"):
        assert option in result.output
    assert "../shared/data/raw" in result.output


def test_corpus_build_without_the_raw_folder_is_one_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-raw"
    result = runner.invoke(app, ["corpus", "build", "--raw", str(missing), "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "error:" in result.output and str(missing) in result.output
    assert "Traceback" not in result.output and not (tmp_path / "train.csv").exists()


def test_corpus_build_names_the_data_folders_it_lacks(tmp_path: Path) -> None:
    raw = ROOT.parent / "shared" / "data" / "raw"
    if not raw.is_dir():
        pytest.skip("needs the raw sources in ../shared/data/raw")
    result = runner.invoke(app, ["corpus", "build", "--raw", str(raw), "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert str(tmp_path / "authored") in result.output and str(tmp_path / "real") in result.output


def test_corpus_stats_summarises_the_committed_build(tmp_path: Path) -> None:
    result = runner.invoke(app, ["corpus", "stats", "--data", str(DATA)], terminal_width=200)
    assert result.exit_code == 0
    stats = json.loads((DATA / "stats.json").read_text(encoding="utf-8"))
    assert f"{stats['rows']['train']:,} train" in result.output
    assert f"ROC-AUC {stats['style_only_roc_auc']:.3f}" in result.output
    as_json = runner.invoke(app, ["corpus", "stats", "--data", str(DATA), "--json"])
    assert json.loads(as_json.stdout) == stats
    missing = runner.invoke(app, ["corpus", "stats", "--data", str(tmp_path)])
    assert missing.exit_code == 1 and "corpus build" in missing.output
