"""The red-flag catalogue: documented warning signs (and legitimacy cues) found as spans of an ad.

The catalogue is data (`redflags.toml`, or a user's own file with the same layout); this module
loads it and matches it. Matching works on *folded words*: each word of the original ad is
lower-cased, de-obfuscated (p4sp0r → paspor, g@ji → gaji, k a m b o j a → kamboja, gajiii →
gaji), slang-expanded (yg → yang, pspr → paspor, brgkt → berangkat), money amounts become
tokens (`_money_usd_`, `_money_idr_10to20jt_`) and a few emoji become words (🛂 → paspor, flags
→ country names). Every folded word remembers its span in the original text, so a match is
reported as (start, end, text) on exactly what the user wrote.

Pattern language (one phrase per pattern; see the header of redflags.toml):
- words separated by spaces must follow each other;
- `a|b|c` — any of these words; `kerja*` — a word starting with "kerja"; `*tahan` — ending;
- `~N` — up to N other words in between;
- an entry may list `requires`: patterns of which at least one must also occur in the ad.
- With `negation = true` (the default), a match preceded within three words (same sentence) by
  a negator (tidak, tanpa, bukan, jangan, …), or containing one, does not count: "tidak
  dipungut biaya" never fires `upfront_fees`. A pattern that spells a negator itself ("tanpa
  pengalaman", "tidak perlu paspor") is taken as written.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

from tppo_screen.errors import CatalogueError
from tppo_screen.text import (
    _LEET_TABLE,
    _LEET_TOKEN,
    _MONEY,
    _REPEATS,
    EMAIL,
    FLAG_WORDS,
    PHONE,
    SLANG,
    URL,
    _money_token,
)

DEFAULT_CATALOGUE = Path(__file__).with_name("redflags.toml")
Kind = Literal["red", "green"]
Severity = Literal["low", "medium", "high"]
SEVERITIES = ("low", "medium", "high")
NEGATORS = frozenset("tidak tanpa bukan jangan tak bebas dilarang larangan anti".split())
NEGATION_WINDOW = 3

# Emoji that stand in for words in scam posts ("🛂 diurus", "✈️ gratis").
EMOJI_WORDS = {
    "🛂": "paspor",
    "✈": "pesawat",
    "🛫": "pesawat",
    "💰": "uang",
    "💵": "uang",
    "💸": "uang",
    "🤑": "uang",
    "💲": "uang",
    "🏨": "hotel",
    "🚢": "kapal",
    "🛳": "kapal",
    "⛴": "kapal",
    "🎤": "karaoke",
    "🍻": "minum",
    "🍺": "minum",
    "📞": "telepon",
    "📱": "telepon",
}
_FREE_MAIL = re.compile(r"@(?:g-?mail|yahoo|ymail|hotmail|outlook|live|icloud|proton(?:mail)?)\.", re.I)
_SHORT_URL = re.compile(
    r"\b(?:bit\.ly|s\.id|tinyurl|linktr\.ee|forms\.gle|cutt\.ly|shorturl|rb\.gy|t\.ly)\b", re.I
)
_KINDS = ("email", "url", "phone", "flag", "money", "word", "newline", "sym")
_TOKEN = re.compile(
    rf"(?P<email>{EMAIL.pattern})"
    rf"|(?P<url>{URL.pattern})"
    rf"|(?P<phone>{PHONE.pattern})"
    r"|(?P<flag>[\U0001f1e6-\U0001f1ff]{2})"
    rf"|(?P<money>{_MONEY.pattern})"
    r"|(?P<word>[\w@$]+)"
    r"|(?P<newline>\n)"
    r"|(?P<sym>[^\w\s])",
    re.IGNORECASE,
)
_SENTENCE_END = frozenset(".!?;:•\n")
_SPACING = re.compile(r"[ .\-_*]+")


@dataclass(frozen=True)
class Span:
    """Where a pattern matched, on the original text: `text[start:end] == text`."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Match:
    """One catalogue entry found in an ad, with every span that triggered it."""

    id: str
    kind: Kind
    severity: Severity
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class Entry:
    """One red flag (kind 'red') or legitimacy cue (kind 'green') of the catalogue."""

    id: str
    kind: Kind
    severity: Severity
    label: dict[str, str]
    explanation: dict[str, str]
    patterns: tuple[str, ...]
    requires: tuple[str, ...] = ()
    negation: bool = True
    ilo_indicator: str = ""
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Step:
    words: frozenset[str]
    globs: re.Pattern[str] | None
    gap: int = 0  # up to `gap` other words may come before this step

    def accepts(self, word: str) -> bool:
        return word in self.words or bool(self.globs and self.globs.fullmatch(word))


@dataclass(frozen=True)
class _Pattern:
    entry: int
    steps: tuple[_Step, ...]
    requirement: bool = False  # a `requires` pattern of entry `entry`
    negatable: bool = True  # False when the pattern itself spells a negation ("tanpa pengalaman")


@dataclass
class Folded:
    """The folded words of an ad with their spans on the original text and sentence numbers."""

    words: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    sentences: list[int] = field(default_factory=list)

    def add(self, word: str, start: int, end: int, sentence: int) -> None:
        self.words.append(word)
        self.starts.append(start)
        self.ends.append(end)
        self.sentences.append(sentence)


@cache
def fold_word(token: str) -> tuple[str, ...]:
    """The folded form of one original word: lower-case, de-leeted, repeats collapsed, slang
    expanded ('pspr' → ('paspor',), 'loker' → ('lowongan', 'kerja'))."""
    word = unicodedata.normalize("NFKC", token).lower()
    word = _LEET_TOKEN.sub(lambda m: m.group(0).translate(_LEET_TABLE), word)
    word = _REPEATS.sub(lambda m: m.group(1) or m.group(2), word)
    if len(word) > 3 and word.endswith("2") and word[:-1].isalpha():
        word = word[:-1]  # reduplication: "teteh2", "jam2"
    word = word.strip("@$")
    return tuple(SLANG.get(word, word).split()) if word else ()


def fold(text: str) -> Folded:
    """Folded words of `text` with their original spans (see the module docstring)."""
    folded = Folded()
    sentence = 0
    pending: list[re.Match[str]] = []  # single letters that may spell a word: "k a m b o j a"

    def flush() -> None:
        if len(pending) >= 4:
            joined = _SPACING.sub("", text[pending[0].start() : pending[-1].end()])
            for word in fold_word(joined):
                folded.add(word, pending[0].start(), pending[-1].end(), sentence)
        else:
            for m in pending:
                for word in fold_word(m.group()):
                    folded.add(word, m.start(), m.end(), sentence)
        pending.clear()

    for m in _TOKEN.finditer(text):
        kind = next(k for k in _KINDS if m.group(k))
        token = m.group()
        if pending and kind == "sym" and token in ".-_*":
            continue  # separators inside a spaced-out word: "k.a.m.b.o.j.a"
        if kind == "word" and len(token) == 1 and token.isalpha():
            if pending and not _SPACING.fullmatch(text[pending[-1].end() : m.start()] or " "):
                flush()
            pending.append(m)
            continue
        if pending:
            flush()
        if kind == "word":
            for word in fold_word(token):
                folded.add(word, m.start(), m.end(), sentence)
        elif kind in ("email", "url", "phone"):
            for word in _contact_words(kind, token):
                folded.add(word, m.start(), m.end(), sentence)
        elif kind == "money":
            money = _money_token(m).strip()
            if money.startswith("_money_"):
                words = [money]
            else:
                words = [w for t in money.split() for w in fold_word(t)]
            for word in words:
                folded.add(word, m.start(), m.end(), sentence)
        elif kind == "flag":
            code = "".join(chr(ord(ch) - 0x1F1E6 + ord("A")) for ch in token)
            for word in FLAG_WORDS.get(code, "").split():
                folded.add(word, m.start(), m.end(), sentence)
        elif kind == "newline" or token in _SENTENCE_END:
            sentence += 1
        elif token in EMOJI_WORDS:
            folded.add(EMOJI_WORDS[token], m.start(), m.end(), sentence)
    flush()
    return folded


def _contact_words(kind: str, token: str) -> list[str]:
    """Placeholder words for a contact: `_email_` (+ `_email_company_` or `_email_free_`),
    `_url_` (+ `_url_gov_`, `_url_short_`), `_phone_` (+ `_phone_foreign_`)."""
    words = [f"_{kind}_"]
    if kind == "email" and token != "<email>":
        words.append("_email_free_" if _FREE_MAIL.search(token) else "_email_company_")
    elif kind == "url":
        lowered = token.lower()
        if ".go.id" in lowered or "bp2mi" in lowered or "kp2mi" in lowered:
            words.append("_url_gov_")
        if _SHORT_URL.search(lowered):
            words.append("_url_short_")
        if "wa.me" in lowered or "whatsapp.com" in lowered:
            words.append("whatsapp")
        if "t.me/" in lowered:
            words.append("telegram")
    elif kind == "phone":
        international = token.lstrip("(").startswith(("+", "00"))
        if international and not token.lstrip("(+0").startswith("62"):
            words.append("_phone_foreign_")
    return words


def _compile_pattern(source: str, entry: int, where: str, requirement: bool = False) -> _Pattern:
    steps: list[_Step] = []
    gap = 0
    for part in source.lower().split():
        if re.fullmatch(r"~\d+", part):
            if not steps:
                raise CatalogueError(f"{where}: pattern {source!r} cannot start with a gap")
            gap = int(part[1:])
            continue
        alternatives = part.split("|")
        if any(not a or "~" in a for a in alternatives):
            raise CatalogueError(f"{where}: bad word {part!r} in pattern {source!r}")
        exact = frozenset(a for a in alternatives if "*" not in a)
        globs = [re.escape(a).replace(r"\*", r"\w*") for a in alternatives if "*" in a]
        steps.append(_Step(exact, re.compile("|".join(globs)) if globs else None, gap))
        gap = 0
    if not steps:
        raise CatalogueError(f"{where}: empty pattern")
    if gap:
        raise CatalogueError(f"{where}: pattern {source!r} cannot end with a gap")
    negatable = not any(step.words & NEGATORS for step in steps)
    return _Pattern(entry, tuple(steps), requirement, negatable)


def _match_at(steps: tuple[_Step, ...], words: list[str], i: int) -> int | None:
    """Index of the last word of a match of `steps` starting at word i, or None."""
    if not steps[0].accepts(words[i]):
        return None
    if len(steps) == 1:
        return i
    step = steps[1]
    for j in range(i + 1, min(i + 2 + step.gap, len(words))):
        end = _match_at(steps[1:], words, j)
        if end is not None:
            return end
    return None


class Catalogue:
    """A loaded catalogue: its entries, the file's SHA-256, and a word index for fast matching."""

    def __init__(self, entries: list[Entry], sha256: str, source: str) -> None:
        self.entries = tuple(entries)
        self.sha256 = sha256
        self.source = source
        self.ids = tuple(e.id for e in entries)
        self._index: dict[str, list[_Pattern]] = {}
        self._glob_first: list[_Pattern] = []
        for n, entry in enumerate(entries):
            where = f"{source}: entry {entry.id!r}"
            compiled = [_compile_pattern(p, n, where) for p in entry.patterns]
            compiled += [_compile_pattern(p, n, where, requirement=True) for p in entry.requires]
            for pattern in compiled:
                first = pattern.steps[0]
                for word in first.words:
                    self._index.setdefault(word, []).append(pattern)
                if first.globs is not None:
                    self._glob_first.append(pattern)

    def __len__(self) -> int:
        return len(self.entries)

    def entry(self, entry_id: str) -> Entry:
        for entry in self.entries:
            if entry.id == entry_id:
                return entry
        raise KeyError(entry_id)

    def match(self, text: str) -> list[Match]:
        """Every entry found in `text`, in catalogue order, with spans on the original text."""
        folded = fold(text)
        words = folded.words
        found: dict[int, list[tuple[int, int]]] = {}
        required: set[int] = set()
        for i, word in enumerate(words):
            candidates = self._index.get(word, [])
            if self._glob_first:
                candidates = candidates + [p for p in self._glob_first if p.steps[0].accepts(word)]
            for pattern in candidates:
                end = _match_at(pattern.steps, words, i)
                if end is None:
                    continue
                entry = self.entries[pattern.entry]
                if entry.negation and pattern.negatable and self._negated(folded, i, end):
                    continue
                if pattern.requirement:
                    required.add(pattern.entry)
                else:
                    found.setdefault(pattern.entry, []).append((i, end))
        matches = []
        for n in sorted(found):
            entry = self.entries[n]
            if entry.requires and n not in required:
                continue
            spans = _merge([(folded.starts[i], folded.ends[j]) for i, j in found[n]], text)
            matches.append(Match(entry.id, entry.kind, entry.severity, spans))
        return matches

    @staticmethod
    def _negated(folded: Folded, first: int, last: int) -> bool:
        sentence = folded.sentences[first]
        for k in range(max(0, first - NEGATION_WINDOW), last + 1):
            if folded.words[k] in NEGATORS and folded.sentences[k] == sentence:
                return True
        return False


def _merge(raw: list[tuple[int, int]], text: str) -> tuple[Span, ...]:
    spans: list[list[int]] = []
    for start, end in sorted(raw):
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    return tuple(Span(s, e, text[s:e]) for s, e in spans)


def _entry(raw: dict, kind: Kind, where: str) -> Entry:
    try:
        entry_id = str(raw["id"])
        severity = raw.get("severity", "low" if kind == "green" else None)
        if severity not in SEVERITIES:
            raise CatalogueError(f"{where}: severity must be one of {', '.join(SEVERITIES)}")
        return Entry(
            id=entry_id,
            kind=kind,
            severity=severity,
            label={"id": str(raw["label_id"]), "en": str(raw["label_en"])},
            explanation={"id": str(raw["explain_id"]), "en": str(raw["explain_en"])},
            patterns=tuple(str(p) for p in raw["patterns"]),
            requires=tuple(str(p) for p in raw.get("requires", ())),
            negation=bool(raw.get("negation", True)),
            ilo_indicator=str(raw.get("ilo_indicator", "")),
            sources=tuple(str(s) for s in raw.get("sources", ())),
        )
    except KeyError as exc:
        raise CatalogueError(f"{where}: missing field {exc.args[0]!r}") from None


def load_catalogue(path: Path | str | None = None) -> Catalogue:
    """Load and check a catalogue file (TOML with `[[red_flag]]` and `[[green_flag]]` tables)."""
    path = Path(path) if path is not None else DEFAULT_CATALOGUE
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise CatalogueError(f"cannot read catalogue {path}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw_bytes.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CatalogueError(f"{path} is not a valid TOML catalogue: {exc}") from None
    entries: list[Entry] = []
    for kind, table in (("red", "red_flag"), ("green", "green_flag")):
        for n, raw in enumerate(data.get(table, []), 1):
            entries.append(_entry(raw, kind, f"{path}: [[{table}]] #{n}"))
    if not entries:
        raise CatalogueError(f"{path}: no [[red_flag]] or [[green_flag]] entries")
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            raise CatalogueError(f"{path}: id {entry.id!r} is used twice")
        seen.add(entry.id)
    return Catalogue(entries, hashlib.sha256(raw_bytes).hexdigest(), str(path))


@cache
def default_catalogue() -> Catalogue:
    """The catalogue shipped with tppo-screen (loaded once, on first use)."""
    return load_catalogue(DEFAULT_CATALOGUE)
