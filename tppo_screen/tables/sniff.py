"""Which delimiter a CSV file uses: `,` `;` tab or `|`, told from its first records.

Excel on a Windows set to an Indonesian (or most European) locale saves "CSV" with `;` between
cells, because `,` is the decimal mark there. `detect_delimiter` counts each candidate outside
quoted cells in the header and in the records after it (at most `SNIFF_RECORDS` records or
`SNIFF_CHARS` characters) and keeps a candidate only when the header has it and most data
records have it as often as the header does. A comma that fits is always kept (today's files
read as before); otherwise the fitting candidate that splits the header the most. A file with a
header and no data record is never guessed from: it is read with `,`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from tppo_screen.errors import InputError

CANDIDATES = (",", ";", "\t", "|")
NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
SNIFF_RECORDS = 50
SNIFF_CHARS = 65_536
AGREEMENT = 0.8  # share of data records that must split as the header does


def parse_delimiter(value: str) -> str:
    """The delimiter a user named: one character, or `tab`, `\\t`, `comma`, `semicolon`, `pipe`."""
    named = {name: char for char, name in NAMES.items()} | {"\\t": "\t"}
    delimiter = named.get(value.lower(), value)
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise InputError(f"--delimiter must be one character (or tab, comma, semicolon, pipe), not {value!r}")
    return delimiter


def describe(delimiter: str) -> str:
    """'semicolon (;)', 'tab', or the character quoted."""
    name = NAMES.get(delimiter)
    if delimiter == "\t":
        return "tab"
    return f"{name} ({delimiter})" if name else repr(delimiter)


def _records(text: str) -> Iterable[dict[str, int]]:
    """Per record of `text` (quoted line breaks stay inside a record), how often each candidate
    occurs outside quotes; a last record cut off by the end of `text` is left out, and so are
    blank lines."""
    counts = dict.fromkeys(CANDIDATES, 0)
    quoted, empty = False, True
    for char in text:
        if char == '"':
            quoted, empty = not quoted, False
        elif quoted:
            continue
        elif char in "\r\n":
            if not empty:
                yield counts
            counts, empty = dict.fromkeys(CANDIDATES, 0), True
        else:
            empty = False
            if char in counts:
                counts[char] += 1


def detect_delimiter(text: str, complete: bool) -> str:
    """The delimiter of CSV `text` (the start of a file; `complete` when it is the whole file)."""
    if not complete:
        text = _cut(text)
    elif not text.endswith(("\n", "\r")):
        text += "\n"
    records = list(itertools.islice(_records(text), SNIFF_RECORDS + 1))
    if len(records) < 2:
        return ","
    header, data = records[0], records[1:]
    fitting = [
        d
        for d in CANDIDATES
        if header[d] and sum(1 for record in data if record[d] == header[d]) >= AGREEMENT * len(data)
    ]
    if not fitting or "," in fitting:
        return ","
    return max(fitting, key=lambda d: header[d])


def _cut(text: str) -> str:
    """`text` up to its last line break (the record after it may be cut short)."""
    end = max(text.rfind("\n"), text.rfind("\r"))
    return text[: end + 1]
