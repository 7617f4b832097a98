"""Link ads that share a contact: the same phone/WhatsApp number, @handle or e-mail.

Recruiters re-post one offer under new wording; the contact is what stays. `contact_keys` pulls
normalised contacts out of an ad: 08xx… and +62 8xx… are the same number, masked numbers such as
08xx-xxxx-xxxx are ignored, an @handle is what `model.text.HANDLE` (the one handle pattern)
finds and t.me/name is the same handle. `link_contacts` reads every row's contacts in a first
pass over the file, links each row to the first row that has the same contact, and joins the
links into groups once, with `graph.components`; `ContactGroups.names` names each group of two
or more ads after its first row ("c17").
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd

from tppo_screen.graph import components
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


class ContactGroups:
    """Rows (numbered from 1) joined when they share a contact key. `keys_by_row` gives each
    row's keys; every row is linked to the first row with the same key, and the groups are the
    connected components of those links, computed once."""

    def __init__(self, keys_by_row: Iterable[tuple[int, set[str]]]) -> None:
        self._owner: dict[str, int] = {}  # contact key -> the first row that has it
        rows, cols = array("q"), array("q")
        last = 0
        for row, keys in keys_by_row:
            last = max(last, row)
            for key in keys:
                rows.append(row)
                cols.append(self._owner.setdefault(key, row))
        self._label = components(last + 1, np.frombuffer(rows, np.int64), np.frombuffer(cols, np.int64))
        _, first_row = np.unique(self._label, return_index=True)  # labels are 0..k-1
        named = np.bincount(self._label) > 1
        self._names = np.where(named, np.char.add("c", first_row.astype(str)), "").astype(object)

    def names(self, first_row: int, count: int) -> list[str]:
        """The group of each of rows `first_row` … `first_row + count - 1`: 'c<first row of the
        group>' for a row whose contact appears in another ad, '' otherwise."""
        labels = self._label[first_row : first_row + count]
        return [*self._names[labels], *[""] * (count - len(labels))]

    def contacts_of_group(self, group: str) -> list[str]:
        """The contact keys that joined `group`, sorted."""
        label = self._label[int(group[1:])]
        return sorted(key for key, row in self._owner.items() if self._label[row] == label)


def link_contacts(chunks: Iterable[pd.DataFrame], text_column: str) -> ContactGroups:
    """The contact groups of a file's rows (numbered from 1 in reading order), from its chunks."""
    return ContactGroups(_keys_by_row(chunks, text_column))


def _keys_by_row(chunks: Iterable[pd.DataFrame], text_column: str) -> Iterator[tuple[int, set[str]]]:
    row = 0
    for chunk in chunks:
        if text_column not in chunk.columns:
            return  # scoring reports the missing column
        for text in chunk[text_column]:
            row += 1
            if isinstance(text, str):
                yield row, contact_keys(text)
