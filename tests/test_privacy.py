from tppo_screen.privacy import mask_personal_data


def test_phone_numbers_and_emails_are_masked() -> None:
    text = "Hub Bu Rina 0812-3456-7890 / +62 812 3456 7890 / +855 12 345 678 / rina.hrd@gmail.com"
    masked = mask_personal_data(text)
    assert masked == ("Hub Bu Rina 08xx-xxxx-xxxx / 08xx-xxxx-xxxx / +855 xx-xxxx-xxxx / <email>")


def test_masking_is_idempotent_and_keeps_money() -> None:
    text = "gaji Rp 8.000.000, WA 08xx-xxxx-xxxx, kirim ke <email>"
    assert mask_personal_data(text) == text
