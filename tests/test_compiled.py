"""Compiled scoring must give exactly the fitted pipeline's probabilities and features, and the
private scikit-learn names the model relies on must still be there in the pinned version."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer

from tppo_screen.config import DATA_DIR, DEFAULT_MODEL, ROOT
from tppo_screen.errors import ModelError
from tppo_screen.model.artifacts import Model, load_model
from tppo_screen.model.compiled import Compiled
from tppo_screen.model.pipeline import char_block, word_block
from tppo_screen.model.scoring import score_texts
from tppo_screen.model.text import fold, fold_many

ODD_TEXTS = [
    "Admin CS Kamboja gaji 15jt, paspor dibantu, tiket ditanggung",
    "qqqq zzzz xxxx",  # letters but no known word: an all-zero word block
    "a",
    "G@JI 15JT!! Hub WA 08xx-xxxx-xxxx 🇰🇭 k a m b o j a",
    "Lowongan kerja " * 400,
    # more affixed words the model never saw than an ad may send through PySastrawi
    " ".join(
        f"{prefix}{root}{suffix}"
        for prefix in ("me", "di", "ber", "pe")
        for root in ("nulis", "tanam", "jual", "kirim", "angkut", "periksa", "bangun", "pinjam")
        for suffix in ("kan", "i", "an")
    ),
]


def _assert_same(model: Model, texts: list[str]) -> None:
    folded = model.compiled.fold(texts)
    found = [model.catalogue.match_folded(ad) for ad in folded]
    compiled = model.compiled.features(folded, found)
    reference = model.pipeline[:-1].transform(texts).tocsr()
    assert compiled.shape == reference.shape
    assert (compiled != reference).nnz == 0
    expected = model.pipeline.predict_proba(texts)[:, 1]
    np.testing.assert_array_equal(model.compiled.probabilities(compiled), expected)
    np.testing.assert_array_equal([s.score for s in score_texts(model, texts, top_k=0)], expected)


def test_compiled_scoring_equals_the_pipeline_on_odd_texts(tiny_model: Model) -> None:
    _assert_same(tiny_model, ODD_TEXTS)
    for text in ODD_TEXTS:  # one at a time, as the API scores
        _assert_same(tiny_model, [text])


@pytest.mark.model
@pytest.mark.slow
def test_compiled_scoring_equals_the_shipped_pipeline_on_the_test_split() -> None:
    model = load_model(DEFAULT_MODEL)
    texts = pd.read_csv(DATA_DIR / "test.csv")["text"].tolist()
    _assert_same(model, texts + ODD_TEXTS)


def test_a_model_with_warm_caches_still_pickles(tiny_model: Model, tmp_path: Path) -> None:
    score_texts(tiny_model, ODD_TEXTS)  # fills the compiled word caches
    copy = pickle.loads(pickle.dumps(tiny_model))
    expected = [s.score for s in score_texts(tiny_model, ODD_TEXTS)]
    assert [s.score for s in score_texts(copy, ODD_TEXTS)] == expected


def test_unknown_pipeline_parts_are_refused_not_approximated(tiny_model: Model) -> None:
    pipeline = pickle.loads(pickle.dumps(tiny_model.pipeline))
    pipeline.named_steps["features"].transformer_list[0][1].norm = "l1"
    with pytest.raises(ModelError, match="norm='l2'"):
        Compiled.of(pipeline)


@pytest.mark.model
def test_compiled_scoring_equals_pipelines_with_other_tfidf_settings() -> None:
    """The generic word analyzer and mixed sublinear/linear term frequencies (the shipped model
    uses the stemming analyzer and sublinear tf in both blocks)."""
    from tppo_screen.model.pipeline import build_pipeline

    data = pd.read_csv(DATA_DIR / "test.csv").groupby("label").head(200)  # both classes
    pipeline = build_pipeline(
        features__words__tokenizer=None,
        features__words__token_pattern=r"(?u)\b\w\w+\b",
        features__chars__sublinear_tf=False,
    ).fit(data["text"].tolist(), data["label"].eq("high_risk").to_numpy())
    model = Model(pipeline=pipeline, card=load_model(DEFAULT_MODEL).card)
    _assert_same(model, data["text"].tolist()[:100] + ODD_TEXTS)


# Private scikit-learn names the model relies on (scikit-learn is pinned exactly for them): where
# each is used and why. A new scikit-learn may rename or drop any of them without notice.
PRIVATE_SKLEARN = {
    "TfidfVectorizer._char_wb_ngrams": "model/compiled.py reads a char_wb vectorizer's n-grams of one word",
    "TfidfVectorizer._tfidf": "model/pipeline.py (WordTfidf.fit) resizes it after dropping n-grams",
    "TfidfVectorizer._stop_words_id": "model/pipeline.py (slim) drops it: a memory address in the model file",
}


def _pinned_sklearn() -> str:
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    return next(
        line.split("==")[1].strip() for line in lock.splitlines() if line.startswith("scikit-learn==")
    )


def _fitted_blocks() -> tuple[TfidfVectorizer, TfidfVectorizer]:
    """A fitted word block (transform run once, as in scoring) and character block."""
    ads = fold_many(["kerja di kamboja gaji besar", "kerja pabrik gaji umr", "lowongan kerja pabrik"])
    words = word_block({}).set_params(min_df=1, max_df=1.0).fit(ads)
    chars = char_block().set_params(min_df=1, max_df=1.0).fit(ads)
    words.transform(ads)
    return words, chars


@pytest.mark.parametrize("name", sorted(PRIVATE_SKLEARN))
def test_each_private_scikit_learn_name_we_rely_on_still_exists(name: str) -> None:
    words, chars = _fitted_blocks()
    attribute = name.split(".")[1]
    holder = chars if attribute == "_char_wb_ngrams" else words
    assert hasattr(holder, attribute), (
        f"scikit-learn {sklearn.__version__} has no {name}, which {PRIVATE_SKLEARN[name]}; "
        f"requirements.lock pins scikit-learn {_pinned_sklearn()}: install the pinned version, or "
        "adapt that code to the new version and pin it instead"
    )


def test_the_private_names_still_mean_what_the_model_assumes() -> None:
    words, chars = _fitted_blocks()
    # the n-grams of one word are the analyzer's n-grams of a text of that one word
    assert chars._char_wb_ngrams("kamboja") == chars.build_analyzer()(fold("kamboja"))
    # the fitted idf lives in the inner transformer that WordTfidf.fit resizes
    assert isinstance(words._tfidf, TfidfTransformer) and words._tfidf.n_features_in_ == len(words.idf_)
    assert words._stop_words_id is not None


def test_scikit_learn_is_the_pinned_version() -> None:
    assert sklearn.__version__ == _pinned_sklearn(), (
        f"scikit-learn {sklearn.__version__} is installed but requirements.lock pins {_pinned_sklearn()}: "
        f"the private names {', '.join(sorted(PRIVATE_SKLEARN))} were checked against the pinned version"
    )
