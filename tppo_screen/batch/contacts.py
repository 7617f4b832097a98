"""The contacts in an ad: its phone/WhatsApp numbers, @handles and e-mail addresses, normalised.

Recruiters re-post one offer under new wording; the contact is what stays. `contact_keys` pulls
normalised contacts out of an ad: 08xx… and +62 8xx… are the same number, masked numbers such as
08xx-xxxx-xxxx are ignored, an @handle is what `model.text.HANDLE` (the one handle pattern)
finds and t.me/name is the same handle. `campaigns` links ads through them, only where a
contact is specific (`campaigns.CONTACT_CAP`); a chain through any shared contact is no campaign.
"""

from __future__ import annotations

import re

from tppo_screen.model.text import EMAIL, HANDLE, PHONE

_TG_LINK = re.compile(r"\bt\.me/([A-Za-z][A-Za-z0-9_]{3,31})\b", re.IGNORECASE)
_WA_LINK = re.compile(r"\bwa\.me/\+?(\d{9,15})\b", re.IGNORECASE)
_NOT_DIGIT = re.compile(r"\D")


def _phone_key(raw: str) -> str | None:
    if "x" in raw.lower():
        return None  # masked
    digits = _NOT_DIGIT.sub("", raw)
    if digits.startswith("62"):
        digits = "0" + digits[2:]
    return f"tel:{digits}" if len(digits) >= 9 else None


def contact_keys(text: str) -> set[str]:
    """The contacts in `text`, normalised: `tel:08…` (digits only), `tg:name`, `mail:a@b.id`."""
    keys: set[str] = set()
    for match in PHONE.finditer(text):
        key = _phone_key(match.group())
        if key:
            keys.add(key)
    for match in _WA_LINK.finditer(text):
        key = _phone_key(match.group(1))
        if key:
            keys.add(key)
    for match in EMAIL.finditer(text):
        address = match.group().lower()
        if address != "<email>":
            address = re.sub(r"\s*[\[(]at[\])]\s*|\s@\s", "@", address)
            keys.add(f"mail:{address}")
    for match in HANDLE.finditer(text):
        keys.add(f"tg:{match.group('name').lower()}")
    for match in _TG_LINK.finditer(text):
        keys.add(f"tg:{match.group(1).lower()}")
    return keys
