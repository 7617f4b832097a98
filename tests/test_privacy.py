import pytest

from tppo_screen.corpus.privacy import mask_personal_data, pseudonym, replace_company


def test_phone_numbers_and_emails_are_masked() -> None:
    text = "Hub Bu Rina 0812-3456-7890 / +62 812 3456 7890 / +855 12 345 678 / rina.hrd@gmail.com"
    masked = mask_personal_data(text)
    assert masked == ("Hub Bu Rina 08xx-xxxx-xxxx / 08xx-xxxx-xxxx / +855 xx-xxxx-xxxx / <email>")


def test_masking_is_idempotent_and_keeps_money() -> None:
    text = "gaji Rp 8.000.000, WA 08xx-xxxx-xxxx, kirim ke <email>"
    assert mask_personal_data(text) == text


@pytest.mark.parametrize(
    "raw, masked",
    [
        ("WA (+62) 812-3456-7890", "WA 08xx-xxxx-xxxx"),
        ("WA +62 (812) 3456 7890", "WA 08xx-xxxx-xxxx"),
        ("Hub: 0812–3456–7890", "Hub: 08xx-xxxx-xxxx"),
        ("Hub: ０８１２３４５６７８９０", "Hub: 08xx-xxxx-xxxx"),  # full-width digits
        ("WA Kamboja 012 345 678", "WA Kamboja 08xx-xxxx-xxxx"),
        ("00855 12 345 678", "+855 xx-xxxx-xxxx"),
        ("+855 (0)12 345 678", "+855 xx-xxxx-xxxx"),
        ("email rina.hrd [at] gmail.com", "email <email>"),
    ],
)
def test_everyday_contact_formats_are_masked(raw: str, masked: str) -> None:
    assert mask_personal_data(raw) == masked


@pytest.mark.parametrize(
    "text",
    [
        "gaji Rp 4.000.000 + 1.500.000 uang makan",
        "Rp 162.850.000",
        "jam 08.00-17.00, 12.08.2025",
        "fee 250.000-300.000/hari",
    ],
)
def test_money_and_times_are_not_mistaken_for_phones(text: str) -> None:
    assert mask_personal_data(text) == text


def test_company_names_are_replaced_whole_word_and_keep_the_legal_form() -> None:
    text = "PT Maju Karya Tbk. membuka lowongan. Bergabunglah dengan maju karya! Majukaryaku bukan."
    replaced = replace_company(text, "PT Maju Karya Tbk.", "Sinar Abadi")
    assert (
        replaced
        == "PT Sinar Abadi Tbk. membuka lowongan. Bergabunglah dengan Sinar Abadi! Majukaryaku bukan."
    )


def test_pseudonyms_are_stable_and_short_names_are_left_alone() -> None:
    assert pseudonym("twA-001") == pseudonym("twA-001")
    assert len({pseudonym(f"twA-{i:03d}") for i in range(100)}) > 50
    assert replace_company("CV AB jual beli", "CV AB", "Sinar Abadi") == "CV AB jual beli"
