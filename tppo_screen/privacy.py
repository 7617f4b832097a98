"""Mask personal data before anything derived from raw sources is shown, stored or committed."""

from __future__ import annotations

import re

from tppo_screen.text import EMAIL, PHONE

MASKED_PHONE = "08xx-xxxx-xxxx"
MASKED_EMAIL = "<email>"


def _mask_phone(match: re.Match[str]) -> str:
    number = match.group(0)
    if number.startswith("+") and not number.startswith("+62"):
        country = re.match(r"\+\s?(\d{1,3})", number)
        return f"+{country.group(1) if country else ''} xx-xxxx-xxxx"
    return MASKED_PHONE


def mask_personal_data(text: str) -> str:
    """Replace phone numbers with `08xx-xxxx-xxxx` (foreign: `+CC xx-xxxx-xxxx`) and e-mail
    addresses with `<email>`. Already-masked text is left as it is."""
    text = EMAIL.sub(MASKED_EMAIL, text)
    return PHONE.sub(_mask_phone, text)
