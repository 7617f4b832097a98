import pytest

from tppo_screen.model.text import HANDLE, fold, normalize


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
        ("klik wa.me/6281234567890", "whatsapp"),
        ("gabung t.me/lokerluar", "telegram"),
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


def test_flag_and_word_emoji_become_words_and_other_emoji_vanish() -> None:
    assert normalize("🇰🇭 admin 🔥🔥 gaji 💰 🛂") == "kamboja admin gaji uang paspor"


def test_education_codes_are_not_read_as_leetspeak() -> None:
    assert normalize("lulusan S1 atau D3, sertifikat K3") == "lulusan s1 atau d3 sertifikat k3"


def test_empty_text_normalizes_to_empty() -> None:
    assert normalize("  \n ") == ""


@pytest.mark.parametrize(
    "raw, expected",
    [
        # an allowance after "+" is money, never a phone number (the model's strongest risk term)
        ("gaji Rp 4.000.000 + 1.500.000 uang makan", "gaji _money_idr_1to5jt_ _money_idr_1to5jt_ uang makan"),
        ("Gaji 1,7jt + 1.000/galon", "gaji _money_idr_1to5jt_ 1 000 galon"),
        # a missing space after a full stop is not a URL
        ("Gaji besar.Mess disediakan", "gaji besar mess disediakan"),
        ("Penempatan di Kec.Medan Baru", "penempatan di kec medan baru"),
        # job-ad words that look like slang keep their meaning
        ("Dibutuhkan HR Staff", "dibutuhkan hr staff"),
        ("Lowongan dr umum", "lowongan dr umum"),
        ("halo min, masih buka?", "halo min masih buka"),
        ("min 2 tahun, min. SMA, usia max 30", "minimal 2 tahun minimal sma usia maksimal 30"),
        ("Golongan III, PT XXX", "golongan iii pt xxx"),
        # leetspeak with digits at the ends of the word
        ("k4mb0j4", "kamboja"),
        ("k3rj4 di m4l4ys14", "kerja di malaysia"),
        # rupiah amounts: "M" is miliar, ",00" cents
        ("gaji Rp 1,5M", "gaji _money_idr_over20jt_"),
        ("Rp 3.500.000,00", "_money_idr_1to5jt_"),
        ("jam 08.00-17.00", "jam 08 00 17 00"),
    ],
)
def test_normalize_keeps_meaning_on_tricky_inputs(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "WA (+62) 812-3456-7890",
        "Hub: 0812–3456–7890",
        "Hub: 0812/3456/7890",
        "WA Kamboja 012 345 678",
        "00855 12 345 678",
        "telp 021-5551234",
        "+1 (555) 123-4567",
    ],
)
def test_phone_formats_become_placeholders(raw: str) -> None:
    assert "_phone_" in normalize(raw).split()


@pytest.mark.parametrize("raw", ["email rina.hrd [at] gmail.com", "email rina.hrd @ gmail.com"])
def test_spelled_out_emails_become_placeholders(raw: str) -> None:
    assert normalize(raw) == "email _email_ _email_free_"


def test_pathological_input_is_linear_time() -> None:
    import time

    started = time.perf_counter()
    normalize("1" * 40_000)
    normalize("a-" * 20_000)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Kam\u200bboja", "kamboja"),  # zero-width space
        ("g\u00adaji", "gaji"),  # soft hyphen
        ("pa\u200dspor di\u2060bantu", "paspor dibantu"),  # zero-width joiner, word joiner
        ("К\u0430mb\u043ej\u0430", "kamboja"),  # Cyrillic К а о а
        ("\u03a1\u0391SPOR", "paspor"),  # Greek capital rho and alpha
        ("𝙋𝙀𝙍𝙏𝘼𝙈𝙄𝙉𝘼", "pertamina"),  # mathematical bold letters (NFKC)
        ("v1sa tik3t gaj1 5ingapura", "visa tiket gaji singapura"),  # a digit anywhere in a word
        ("ma1aysia", "malaysia"),  # 1 reads as l when that gives a known word
        ("M-a-l-a-y-s-i-a T.e.l.e", "malaysia telegram"),  # letters split by hyphens and dots
    ],
)
def test_obfuscation_is_decoded_by_rule(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize("raw", ["5tahun", "s1", "d3", "covid19", "4x6", "24jam", "3bulan", "k3"])
def test_numbers_glued_to_words_and_codes_stay(raw: str) -> None:
    assert normalize(raw) == raw


@pytest.mark.parametrize(
    "raw, token", [("gaji 3O jt", "_money_idr_over20jt_"), ("Rp 1.5OO.OOO", "_money_idr_1to5jt_")]
)
def test_the_letter_o_in_an_amount_is_a_zero(raw: str, token: str) -> None:
    assert token in normalize(raw).split()


def test_spans_point_into_the_text_as_written_when_hidden_characters_are_dropped() -> None:
    text = "kerja di Kam\u200bboja, p\u0430spor dibantu"
    folded = fold(text)
    spans = {
        word: text[start:end]
        for word, start, end in zip(folded.words, folded.starts, folded.ends, strict=True)
    }
    assert spans["kamboja"] == "Kam\u200bboja" and spans["paspor"] == "p\u0430spor"


def test_commas_start_a_new_clause() -> None:
    folded = fold("tanpa pengalaman, visa turis; paspor (dibantu)")
    assert folded.clauses == [0, 0, 1, 1, 2, 3]


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("DM IG @lpk.hanbit_jaya ya", "lpk.hanbit_jaya"),  # inner dots belong to the name
        ("akun @fhci.bumn. Syarat", "fhci.bumn"),  # the dot after it does not
        ("(@_loker_bali_)", "_loker_bali_"),
        ("hub @abc", "abc"),
    ],
)
def test_handle_names_the_account_without_its_at_sign_or_the_dots_after_it(raw: str, name: str) -> None:
    assert [m.group("name") for m in HANDLE.finditer(raw)] == [name]


@pytest.mark.parametrize(
    "raw", ["nama@gmail.com", "a.@bcde", "kerja @12 jam", "gaji @50rb/hari", "@ab", "@<akun>"]
)
def test_handle_is_no_email_amount_short_word_or_masked_handle(raw: str) -> None:
    assert HANDLE.search(raw) is None


def test_the_model_reads_a_handle_and_the_dots_after_it_as_one_word() -> None:
    folded = fold("diumumkan lewat @fhci.bumn. Syarat: WNI")
    assert folded.words == ["diumumkan", "lewat", "_handle_", "syarat", "wni"]
    assert folded.sentences == [0, 0, 0, 0, 1]  # as trained: the dot after a handle ends no sentence
