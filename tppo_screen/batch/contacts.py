"""Link ads that share a contact: the same phone/WhatsApp number, Telegram handle or e-mail.

Recruiters re-post one offer under new wording; the contact is what stays. `contact_keys` pulls
normalised contacts out of an ad (08xx… and +62 8xx… are the same number; masked numbers such
as 08xx-xxxx-xxxx are ignored), `ContactGroups` joins rows that share any key (union-find), and
`group_of(row)` names each group of two or more ads after its first row ("c17").
"""

from __future__ import annotations

import re

from tppo_screen.model.text import EMAIL, PHONE

_HANDLE = re.compile(r"(?<![\w.@])@([A-Za-z][A-Za-z0-9_]{3,31})\b")
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
    for pattern in (_HANDLE, _TG_LINK):
        for match in pattern.finditer(text):
            keys.add(f"tg:{match.group(1).lower()}")
    return keys


class ContactGroups:
    """Rows joined when they share a contact key (union-find over row numbers)."""

    def __init__(self) -> None:
        self._parent: dict[int, int] = {}
        self._owner: dict[str, int] = {}  # contact key -> a row that has it
        self._size: dict[int, int] = {}

    def add(self, row: int, keys: set[str]) -> None:
        for key in keys:
            self._parent.setdefault(row, row)
            self._size.setdefault(row, 1)
            other = self._owner.setdefault(key, row)
            self._union(row, other)

    def _find(self, row: int) -> int:
        root = row
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[row] != root:  # path compression
            self._parent[row], row = root, self._parent[row]
        return root

    def _union(self, a: int, b: int) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra != rb:
            low, high = min(ra, rb), max(ra, rb)  # the first row names the group
            self._parent[high] = low
            self._size[low] += self._size.pop(high)

    def group_of(self, row: int) -> str:
        """'c<first row>' for a row whose contact appears in another ad; '' otherwise."""
        if row not in self._parent:
            return ""
        root = self._find(row)
        return f"c{root}" if self._size[root] > 1 else ""

    def contacts_of_group(self, group: str) -> list[str]:
        root = int(group[1:])
        return sorted(key for key, row in self._owner.items() if self._find(row) == root)
