"""The red-flag catalogue: it loads, spans point at the original text, obfuscation and slang are
seen through, negation cancels a match, and a broken catalogue file is refused clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from tppo_screen.errors import CatalogueError
from tppo_screen.redflags import default_catalogue, fold, load_catalogue


def ids(text: str) -> set[str]:
    return {m.id for m in default_catalogue().match(text)}


def test_shipped_catalogue_covers_every_red_flag_id_of_the_taxonomy() -> None:
    from tests.test_corpus import redflag_ids

    catalogue = default_catalogue()
    red = {e.id for e in catalogue.entries if e.kind == "red"}
    assert red == set(redflag_ids())
    assert all(e.explanation["id"] and e.explanation["en"] and e.sources for e in catalogue.entries)


def test_spans_are_slices_of_the_original_text() -> None:
    text = "LOWONGAN CS di Phnom Penh!! G@JI $1.200, p4sp0r dibantu, hub WA 08xx-xxxx-xxxx"
    matches = default_catalogue().match(text)
    assert matches
    for match in matches:
        for span in match.spans:
            assert text[span.start : span.end] == span.text


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("p4sp0r dibantu perusahaan", "passport_handling"),
        ("pspr diurus kami", "passport_handling"),
        ("kerja di k a m b o j a, gaji besar", "scam_compound_destination"),
        ("KERJA DI KAMBOJA", "scam_compound_destination"),
        ("gaji $1.500 per bulan", "foreign_currency_salary"),
        ("berangkat pakai visa turis dulu", "tourist_visa"),
    ],
)
def test_obfuscated_and_slang_forms_fire(text: str, flag: str) -> None:
    assert flag in ids(text)


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("Seluruh proses tidak dipungut biaya pendaftaran apapun.", "upfront_fees"),
        ("Paspor tidak ditahan; paspor tidak dipegang agen.", "passport_handling"),
        ("Gaji dibayar penuh tanpa potongan dari gaji untuk biaya apa pun.", "debt_bondage"),
    ],
)
def test_negated_forms_do_not_fire(text: str, flag: str) -> None:
    assert flag not in ids(text)


def test_folding_keeps_one_span_per_word() -> None:
    folded = fold("yg brgkt ke 🇰🇭")
    assert folded.words == ["yang", "berangkat", "ke", "kamboja"]


def test_a_malformed_catalogue_is_refused_with_its_path(tmp_path: Path) -> None:
    bad = tmp_path / "mine.toml"
    bad.write_text('[[red_flag]]\nid = "x"\nseverity = "extreme"\n', encoding="utf-8")
    with pytest.raises(CatalogueError, match="mine.toml"):
        load_catalogue(bad)
    bad.write_text("not = [toml", encoding="utf-8")
    with pytest.raises(CatalogueError, match="not a valid TOML"):
        load_catalogue(bad)
