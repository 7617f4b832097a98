import pytest

from tppo_screen.text import normalize


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Dicari ADMIN CS", "dicari admin cs"),
        ("g@ji besar, p4sp0r dibantu", "gaji besar paspor dibantu"),
        ("kerja di k a m b o j a", "kerja di kamboja"),
        ("yg minat lgsg brgkt, gk pake pspr", "yang minat langsung berangkat tidak pake paspor"),
        ("gajiii gedeee", "gaji gede"),
        ("loker admin", "lowongan kerja admin"),
    ],
)
def test_normalize_undoes_obfuscation_and_slang(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    "raw, token",
    [
        ("gaji 15jt", "_money_idr_10to20jt_"),
        ("gaji Rp 15.000.000/bulan", "_money_idr_10to20jt_"),
        ("Rp8,5 juta", "_money_idr_5to10jt_"),
        ("Rp15-30 juta", "_money_idr_over20jt_"),
        ("gaji 2.500.000", "_money_idr_1to5jt_"),
        ("USD 1.200", "_money_usd_"),
        ("$900", "_money_usd_"),
        ("1.000 - 1.500 dolar AS", "_money_usd_"),
        ("RM 2.000", "_money_myr_"),
        ("¥180.000", "_money_jpy_"),
        ("gaji besar 5 juta", "_money_idr_5to10jt_"),  # "besar" is not Saudi riyal (SAR)
    ],
)
def test_money_amounts_keep_currency_and_scale(raw: str, token: str) -> None:
    assert token in normalize(raw).split()


@pytest.mark.parametrize(
    "raw, token",
    [
        ("hub 08xx-xxxx-xxxx", "_phone_"),
        ("WA 0812 3456 7890", "_phone_"),
        ("+855 12 345 678", "_phone_"),
        ("kirim ke <email>", "_email_"),
        ("kirim ke hrd@contoh.co.id", "_email_"),
        ("klik wa.me/6281234567890", "_walink_"),
        ("gabung t.me/lokerluar", "_tglink_"),
        ("DM @hrd_global", "_handle_"),
        ("daftar di https://contoh.id/form", "_url_"),
    ],
)
def test_contacts_become_placeholders(raw: str, token: str) -> None:
    assert token in normalize(raw).split()


def test_negations_and_plain_numbers_are_kept() -> None:
    text = normalize("Tidak dipungut biaya, tanpa calo, bukan agen. Usia 18-25 tahun, tinggi 160 cm")
    assert text.split()[:2] == ["tidak", "dipungut"]
    assert {"tanpa", "bukan", "18", "25", "160"} <= set(text.split())


def test_flag_emoji_become_country_names_and_other_emoji_vanish() -> None:
    assert normalize("🇰🇭 admin 🔥🔥 gaji 💰") == "kamboja admin gaji"


def test_education_codes_are_not_read_as_leetspeak() -> None:
    assert normalize("lulusan S1 atau D3, sertifikat K3") == "lulusan s1 atau d3 sertifikat k3"


def test_empty_text_normalizes_to_empty() -> None:
    assert normalize("  \n ") == ""
