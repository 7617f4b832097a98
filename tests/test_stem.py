import pickle
from pathlib import Path

import pytest

from tppo_screen.errors import InputError
from tppo_screen.model.artifacts import Model
from tppo_screen.model.stem import DEFAULT_OVERRIDES, StemTokenizer, load_overrides, stem_word


def test_sastrawi_stems_affixed_words() -> None:
    assert stem_word("keberangkatan") == "berangkat"
    assert stem_word("ditanggung") == "tanggung"


def test_placeholders_and_numbers_are_not_stemmed() -> None:
    assert stem_word("_money_usd_") == "_money_usd_"
    assert stem_word("2025") == "2025"


def test_packaged_overrides_fix_known_mis_stems() -> None:
    overrides = load_overrides()
    tokenizer = StemTokenizer(overrides)
    # PySastrawi alone: berikan→ikan, relawan→rawan, pengalaman→alam, menemani→tani
    assert StemTokenizer()("berikan relawan pengalaman menemani") == ["ikan", "rawan", "alam", "tani"]
    assert tokenizer("berikan relawan pengalaman menemani") == ["beri", "relawan", "pengalaman", "teman"]


def test_user_override_file_changes_stemming_without_code(tmp_path: Path) -> None:
    path = tmp_path / "mine.tsv"
    path.write_text("# my fixes\nkamboja\tkh\npaspor\tdokumen  # comment\n", encoding="utf-8")
    assert StemTokenizer(load_overrides(path))("kerja kamboja paspor") == ["kerja", "kh", "dokumen"]


def test_malformed_override_line_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text("ok\tok\nonly-one-column\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.tsv:2: expected 'word<TAB>stem'"):
        load_overrides(path)


def test_missing_override_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read stem overrides"):
        load_overrides(tmp_path / "nope.tsv")


def test_tokenizer_pickles_without_the_sastrawi_dictionary() -> None:
    tokenizer = StemTokenizer(load_overrides(DEFAULT_OVERRIDES))
    tokenizer("warm the stemmer cache: pekerjaan keberangkatan")
    blob = pickle.dumps(tokenizer)
    assert b"Sastrawi" not in blob
    assert len(blob) < 5_000
    assert pickle.loads(blob)("pekerjaan") == ["kerja"]


def _unseen_words(count: int, seed: int) -> list[str]:
    import random
    import string

    rng = random.Random(seed)
    return ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 14))) for _ in range(count)]


def test_word_cache_holds_no_more_bytes_than_its_bound() -> None:
    """Charged bytes stay under the bound, and the memory really held (tracemalloc) is no more
    than what is charged: the stated bound is a real one."""
    import gc
    import tracemalloc

    from tppo_screen.model.memo import WordCache

    gc.collect()
    tracemalloc.start()
    try:
        cache = WordCache(lambda word: (word[:-1], word[1:]), 512 << 10)
        before = tracemalloc.get_traced_memory()[0]
        for word in _unseen_words(12_000, seed=1):
            cache(word)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert 1000 < len(cache) < 12_000  # it filled up and evicted
    assert cache.nbytes <= cache.max_bytes
    assert held <= cache.max_bytes
    long = "x" * 65
    assert cache(long) == (long[:-1], long[1:]) and long not in cache  # never kept


def test_scoring_caches_are_bounded_in_bytes_under_unseen_words(tiny_model) -> None:  # type: ignore[no-untyped-def]
    """Unseen words through the real scoring path: every word cache (stem, fold, the compiled
    model's two) stays within its byte bound, and the recent words are still served."""
    from tppo_screen.model import memo
    from tppo_screen.model.scoring import score_texts
    from tppo_screen.model.text import fold_word

    score_texts(tiny_model, ["lowongan kerja"])  # builds the compiled model's caches
    caches = memo.live()
    assert {id(stem_word), id(fold_word)} <= {id(cache) for cache in caches} and len(caches) >= 4
    limits = [cache.max_bytes for cache in caches]
    try:
        for cache in caches:
            cache.max_bytes = 64 << 10  # small, so that a quick test fills them many times over
        words = _unseen_words(8_000, seed=2)
        for start in range(0, len(words), 400):
            score_texts(tiny_model, [" ".join(words[start : start + 400])])
        for cache in caches:
            assert 0 < cache.nbytes <= cache.max_bytes
        assert memo.total_bytes() <= memo.total_limit()
        assert words[-1] in fold_word  # the latest words are kept
    finally:
        for cache, limit in zip(caches, limits, strict=True):
            cache.max_bytes = limit
    assert memo.total_limit() >= (16 + 16 + 24 + 8) << 20


def test_words_kept_as_is_are_what_pysastrawi_returns_unchanged() -> None:
    """The shortcut past PySastrawi (`_kept_as_is`) never changes a stem: checked against
    PySastrawi itself on the real test ads' words, random letters and Indonesian-like syllables."""
    import random
    import re

    import pandas as pd

    from tppo_screen.model import stem
    from tppo_screen.model.text import fold

    texts = pd.read_csv(Path(__file__).parents[1] / "data" / "real" / "test.csv", dtype=str)["text"]
    words = {w for t in texts.dropna() for w in re.findall("[a-z]+", " ".join(fold(t).words))}
    words |= set(_unseen_words(1_500, seed=3))
    rng = random.Random(4)
    syllables = "ka ba ma pe ri ng an ku mu la ta nya er el in me ter ber di se i kan lah".split()
    words |= {"".join(rng.choices(syllables, k=rng.randint(1, 5))) for _ in range(1_500)}
    sastrawi = stem._stemmer()
    kept = [word for word in words if stem._kept_as_is(word)]
    assert len(kept) > 1_500  # most random words and many real ones take the shortcut
    assert [word for word in kept if sastrawi.stem_word(word) != word] == []
    assert not stem._kept_as_is("keberangkatan") and not stem._kept_as_is("gajinya")


def test_an_ad_sends_at_most_the_budget_of_unseen_words_through_pysastrawi() -> None:
    """Known words (overrides, the model's training words) are always stemmed; of the other words
    that need PySastrawi only the first `budget` distinct ones are, the rest kept as they are —
    whatever the caches hold, so every process scores an ad alike."""
    from tppo_screen.model.stem import KnownStems

    stems = KnownStems({"berikan": "beri"}, {"keberangkatan": "berangkat"}, budget=2)
    text = "berikan keberangkatan ditanggung ditanggung menemani dibayarkan keberangkatan kamboja 2025"
    expected = [
        "beri",
        "berangkat",
        "tanggung",
        "tanggung",
        "temani",
        "dibayarkan",
        "berangkat",
        "kamboja",
        "2025",
    ]
    expected[4] = stem_word("menemani")
    assert stems(text) == expected
    stem_word.cache_clear()
    stem_word("dibayarkan")  # a warm cache changes nothing
    assert stems(text) == expected
    assert KnownStems({}, {}, budget=10)(text)[5] == "bayar"


def test_a_fitted_word_block_keeps_the_stems_of_its_training_words(tiny_model: Model) -> None:
    from tppo_screen.model.stem import KnownStems

    words = tiny_model.pipeline.named_steps["features"].transformer_list[0][1]
    assert isinstance(words.build_tokenizer(), KnownStems)
    assert words.stems_ and all(stem_word(word) == stem for word, stem in words.stems_.items())


@pytest.mark.model
@pytest.mark.data
@pytest.mark.slow
def test_no_test_text_reaches_the_stem_budget_so_the_budget_changes_no_score() -> None:
    """The budget is for crafted ads: in both test splits no text has more than a few words that
    need PySastrawi and that the shipped model did not see in training (11 at most), far below
    `STEM_BUDGET`, so each is stemmed exactly as without a budget."""
    import pandas as pd

    from tppo_screen.config import DATA_DIR, DEFAULT_MODEL
    from tppo_screen.model.artifacts import load_model
    from tppo_screen.model.stem import STEM_BUDGET, TOKEN, needs_stemmer
    from tppo_screen.model.text import fold

    words = load_model(DEFAULT_MODEL).pipeline.named_steps["features"].transformer_list[0][1]
    seen = words.stems_.keys() | words.tokenizer.overrides.keys()
    splits = [pd.read_csv(DATA_DIR / "test.csv"), pd.read_csv(DATA_DIR / "real" / "test.csv")]
    texts = pd.concat(splits)["text"]
    unseen = [
        len({t for t in TOKEN.findall(fold(str(text)).normalized) if t not in seen and needs_stemmer(t)})
        for text in texts
    ]
    assert 0 < max(unseen) < STEM_BUDGET // 4
