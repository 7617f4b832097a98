"""Behaviour of the shipped default model on ads it has never seen (checklist-style tests).

These sentences were written for the tests and are not in data/. They check minimum
functionality, direction (adding red flags raises the score) and invariance (names and cities
do not matter). A retrained model that fails them is worse in a way users would notice.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tppo_screen.config import DATA_DIR, DEFAULT_MODEL
from tppo_screen.model.artifacts import Model, load_model
from tppo_screen.model.scoring import score_frame, score_texts

pytestmark = pytest.mark.model

BLATANT = [
    "DICARI ADMIN CS untuk kantor di Sihanoukville Kamboja!! gaji 18jt/bln, tanpa pengalaman, "
    "tiket & visa ditanggung bos, paspor dibantu, brgkt minggu ini. minat WA 08xx-xxxx-xxxx",
    "Lowongan ABK kapal ikan Taiwan, non pengalaman ok, syarat cukup KTP + KK, gaji dolar, "
    "biaya proses dipotong gaji 6 bulan, kapal berangkat lusa. hub tekong kami",
    "Butuh cewek usia 17-21 utk kerja cafe di Timika, gaji 6jt, tiket pesawat gratis, bisa kasbon, "
    "kirim foto full body ke inbox, jangan bilang ortu dulu ya",
]
PLAIN = [
    "PT Sentosa Logistik membuka lowongan Staf Administrasi Gudang di Cikarang. Kualifikasi: "
    "D3 semua jurusan, menguasai Microsoft Excel, teliti. Tanggung jawab: mencatat barang masuk dan "
    "keluar, menyusun laporan stok mingguan. Kirim lamaran melalui portal karier perusahaan.",
    "Dibutuhkan guru Bahasa Inggris untuk SMP swasta di Yogyakarta. S1 Pendidikan Bahasa Inggris, "
    "pengalaman mengajar minimal 1 tahun, bersedia mengikuti microteaching dan wawancara.",
]


@pytest.fixture(scope="module")
def model() -> Model:
    if not DEFAULT_MODEL.exists():
        pytest.fail(f"the shipped model {DEFAULT_MODEL} is missing: run `make model`")
    return load_model(DEFAULT_MODEL)


def test_shipped_model_matches_its_card(model: Model) -> None:
    assert model.card.artifact["sha256"]
    assert model.card.metrics["cv"]["roc_auc"] > 0.9
    assert "test" in model.card.metrics


@pytest.mark.parametrize("text", BLATANT)
def test_blatant_trafficking_lures_score_high(model: Model, text: str) -> None:
    assert score_texts(model, [text])[0].level == "high"


@pytest.mark.parametrize("text", PLAIN)
def test_plain_portal_ads_score_low(model: Model, text: str) -> None:
    assert score_texts(model, [text])[0].level == "low"


def test_adding_red_flags_raises_the_score(model: Model) -> None:
    base = PLAIN[0]
    lured = base.replace("di Cikarang", "di Phnom Penh, Kamboja") + (
        " Gaji USD 1.500, tanpa pengalaman, tiket dan visa ditanggung, hubungi via Telegram saja."
    )
    before, after = (s.score for s in score_texts(model, [base, lured]))
    assert before is not None and after is not None
    assert after > before + 0.3


@pytest.mark.parametrize(
    "old, new", [("Cikarang", "Makassar"), ("PT Sentosa Logistik", "CV Maju Bersama"), ("D3", "S1")]
)
def test_names_and_cities_do_not_move_the_score(model: Model, old: str, new: str) -> None:
    a, b = (s.score for s in score_texts(model, [PLAIN[0], PLAIN[0].replace(old, new)]))
    assert a is not None and b is not None
    assert abs(a - b) < 0.1


def test_demo_listings_score_without_errors_and_span_levels(model: Model) -> None:
    listings = pd.read_csv(DATA_DIR / "samples" / "listings.csv", dtype=str, keep_default_na=False)
    scored = score_frame(model, listings)
    assert len(scored) == len(listings) and (scored["risk_level"] != "error").all()
    assert {"low", "high"} <= set(scored["risk_level"])


def test_claimed_licences_do_not_cancel_a_high_severity_red_flag(model: Model) -> None:
    scam = "Dicari admin CS untuk kantor di Kamboja, gaji 15jt, paspor dibantu. WA only 08xx-xxxx-xxxx."
    claimed = (
        scam
        + " PT Maju Jaya (SIP2MI No. 12/2025), terdaftar SISKOP2MI, kontrak ditandatangani sebelum berangkat."
    )
    result = score_texts(model, [claimed])[0]
    assert result.level == "high"
    assert result.green_flags and all(cue.weight == 0.0 for cue in result.green_flags)


def test_legitimacy_cues_lower_the_risk_of_an_overseas_ad(model: Model) -> None:
    plain = "Dibutuhkan ABK kapal niaga rute Asia, gaji USD 900, berangkat bulan depan. Hubungi kantor kami."
    cues = "PT Sinar Bahari (SIP2MI No. 88/2025), daftar lewat SISKOP2MI, kontrak diteken sebelum berangkat."
    licensed = f"{plain} {cues}"
    before, after = (s.score for s in score_texts(model, [plain, licensed]))
    assert before is not None and after is not None and after < before / 10


def test_no_red_flag_lowers_a_score_and_no_cue_raises_one(model: Model) -> None:
    weights = model.flag_weights
    assert weights is not None
    wrong = {
        entry.id: weights[entry.id]
        for entry in model.catalogue.entries
        if (entry.kind == "red" and weights[entry.id] < 0)
        or (entry.kind == "green" and weights[entry.id] > 0)
    }
    assert not wrong, wrong
    result = score_texts(model, [BLATANT[0] + " PT Maju (SIP2MI No. 12/2025), terdaftar SISKOP2MI."])[0]
    lowered, raised = " ".join(result.reasons.lowered), " ".join(result.reasons.raised)
    assert all(hit.label not in lowered for hit in result.red_flags)
    assert all(hit.label not in raised for hit in result.green_flags)


def test_top_terms_are_not_function_words_or_numbers(model: Model) -> None:
    from tppo_screen.model.pipeline import says_something

    texts = pd.read_csv(DATA_DIR / "test.csv", dtype=str, keep_default_na=False)["text"].head(300).tolist()
    terms = {term.term for result in score_texts(model, texts, top_k=8) for term in result.top_terms}
    assert terms and all(says_something(term) for term in terms)


@pytest.mark.parametrize(
    "text",
    [
        # the short posts: a role abroad, pay in dollars, travel paid, a WhatsApp number
        "Loker Malaysia tanpa pengalaman, visa turis dulu nanti diurus",
        "Lowongan ABK kapal Taiwan tanpa pengalaman, gaji dollar",
        "Dicari admin CS untuk kantor di Kamboja, gaji 15jt, tanpa pengalaman, p4sp0r dibantu, "
        "tiket ditanggung. WA only 08xx-xxxx-xxxx",
        "Admin CS Phnom Penh, gaji $1000, tiket & visa ditanggung. WA 08xx-xxxx-xxxx",
    ],
)
def test_short_lures_score_high(model: Model, text: str) -> None:
    assert score_texts(model, [text])[0].level == "high"


@pytest.mark.parametrize(
    "plain, hidden",
    [
        (
            "Dicari admin CS di Kamboja, gaji 15jt, paspor dibantu",
            "Dicari admin CS di Kam\u200bboja, g\u00adaji 15jt, p\u0430sp\u043er dibantu",
        ),
        (
            "Kerja di Malaysia, visa turis dulu, gaji 30 jt",
            "Kerja di M-a-l-a-y-s-i-a, v1sa tur1s dulu, g4ji 3O jt",
        ),
    ],
)
def test_obfuscation_does_not_lower_the_score(model: Model, plain: str, hidden: str) -> None:
    a, b = (s.score for s in score_texts(model, [plain, hidden]))
    assert a is not None and b is not None and abs(a - b) < 0.1, (a, b)


def test_an_offer_told_in_the_third_person_is_scored_on_its_terms(model: Model) -> None:
    reported = (
        "Korban dijanjikan bekerja sebagai admin di Kamboja dengan gaji 15 juta, tiket dan visa "
        "ditanggung, lalu paspornya ditahan."
    )
    result = score_texts(model, [reported])[0]
    assert result.level == "high" and "reported_lure" in {hit.id for hit in result.red_flags}
