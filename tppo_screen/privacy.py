"""Mask personal data before anything derived from raw sources is shown, stored or committed."""

from __future__ import annotations

import re
import unicodedata

from tppo_screen.text import EMAIL, PHONE

MASKED_PHONE = "08xx-xxxx-xxxx"
MASKED_EMAIL = "<email>"


def _mask_phone(match: re.Match[str]) -> str:
    country = re.match(r"(?:\+|00)(\d{1,3})", match.group(0))
    if country and not country.group(1).startswith("62"):
        return f"+{country.group(1)} xx-xxxx-xxxx"
    return MASKED_PHONE


def mask_personal_data(text: str) -> str:
    """Replace phone numbers with `08xx-xxxx-xxxx` (foreign: `+CC xx-xxxx-xxxx`) and e-mail
    addresses with `<email>`. Already-masked text is left as it is. The text is NFKC-normalised
    first, so full-width digits cannot hide a number."""
    text = unicodedata.normalize("NFKC", text)
    text = EMAIL.sub(MASKED_EMAIL, text)
    return PHONE.sub(_mask_phone, text)
