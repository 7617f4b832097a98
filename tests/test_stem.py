import pickle
from pathlib import Path

import pytest

from tppo_screen.errors import InputError
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
