"""Normalise informal Indonesian job-ad text before stemming and vectorising.

`normalize` is the only text clean-up the model sees. It keeps meaning that matters for
trafficking risk (negations, currencies, the scale of amounts, contact channels) and removes
surface noise that says nothing about risk (case, emoji, obfuscation, slang spellings).

Obfuscation is decoded by rule, never by a list of spellings: invisible format characters
(zero-width spaces and joiners, soft hyphens, bidi marks) are dropped and look-alike letters of
other scripts (Cyrillic "а", Greek "ο") read as the Latin letters Unicode's confusables table
gives them (`confusable-homoglyphs`); then, inside each word, digits that stand for letters
(4→a, 3→e, 1→i or l, 0→o, 5→s, 7→t) are read as letters when they sit between letters, or when
the word they give is a known word (Sastrawi's root words, slang, country names); letters split
by spaces, dots or hyphens ("M-a-l-a-y-s-i-a") are joined; the letter O in an amount is a zero
("3O jt"). Spans always point into the text as written.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files

from tppo_screen.model.memo import word_cache

FOLD_CACHE_BYTES = 16 << 20

# Slang and abbreviations common in informal job posts -> standard form.
SLANG: dict[str, str] = {
    "yg": "yang",
    "yng": "yang",
    "dgn": "dengan",
    "dg": "dengan",
    "utk": "untuk",
    "untk": "untuk",
    "gk": "tidak",
    "ga": "tidak",
    "gak": "tidak",
    "nggak": "tidak",
    "ngga": "tidak",
    "enggak": "tidak",
    "tdk": "tidak",
    "tak": "tidak",
    "kagak": "tidak",
    "krj": "kerja",
    "kerjaa": "kerja",
    "brgkt": "berangkat",
    "brangkat": "berangkat",
    "pspr": "paspor",
    "passport": "paspor",
    "pasport": "paspor",
    "loker": "lowongan kerja",
    "lowker": "lowongan kerja",
    "sy": "saya",
    "aq": "aku",
    "bs": "bisa",
    "bsa": "bisa",
    "lgsg": "langsung",
    "lgs": "langsung",
    "lsg": "langsung",
    "tp": "tapi",
    "tpi": "tapi",
    "blm": "belum",
    "sdh": "sudah",
    "udh": "sudah",
    "udah": "sudah",
    "jd": "jadi",
    "krn": "karena",
    "karna": "karena",
    "org": "orang",
    "bln": "bulan",
    "thn": "tahun",
    "th": "tahun",
    "jam2": "jam",
    "pengalamn": "pengalaman",
    "pngalaman": "pengalaman",
    "exp": "pengalaman",
    "pria/wanita": "pria wanita",
    "cwo": "pria",
    "cowo": "pria",
    "cowok": "pria",
    "cwe": "wanita",
    "cewe": "wanita",
    "cewek": "wanita",
    "gratiss": "gratis",
    "free": "gratis",
    "tiket2": "tiket",
    "bnyk": "banyak",
    "sm": "sama",
    "smua": "semua",
    "sgt": "sangat",
    "bgt": "banget",
    "sbg": "sebagai",
    "pd": "pada",
    "kpd": "kepada",
    "msh": "masih",
    "hrs": "harus",
    "wajib2": "wajib",
    "sma/smk": "sma smk",
    "dll": "dan lain lain",
    "dsb": "dan sebagainya",
    "info2": "info",
    "minat": "minat",
    "japri": "hubungi pribadi",
    "dm": "hubungi pribadi",
    "inbox": "hubungi pribadi",
    "wa": "whatsapp",
    "whatsap": "whatsapp",
    "watsap": "whatsapp",
    "wha": "whatsapp",
    "tele": "telegram",
    "tg": "telegram",
}

# "min"/"max" mean minimal/maksimal only before a number or a requirement ("halo min" is "admin").
LIMIT_WORDS = {"min": "minimal", "max": "maksimal", "maks": "maksimal"}
_LIMIT_CONTEXT = {
    "sma",
    "smk",
    "smp",
    "sd",
    "d1",
    "d2",
    "d3",
    "d4",
    "s1",
    "s2",
    "lulusan",
    "pendidikan",
    "pengalaman",
    "usia",
    "umur",
    "tinggi",
    "berat",
    "tahun",
}

# Flags as emoji carry destinations ("🇰🇭 admin CS"); other emoji are dropped.
FLAG_WORDS: dict[str, str] = {
    "KH": "kamboja",
    "MM": "myanmar",
    "TH": "thailand",
    "LA": "laos",
    "PH": "filipina",
    "MY": "malaysia",
    "SA": "arab saudi",
    "AE": "uni emirat arab",
    "QA": "qatar",
    "KW": "kuwait",
    "JP": "jepang",
    "KR": "korea",
    "TW": "taiwan",
    "HK": "hongkong",
    "DE": "jerman",
    "SG": "singapura",
    "BN": "brunei",
    "VN": "vietnam",
    "TR": "turki",
    "ID": "indonesia",
    "AU": "australia",
    "CN": "china",
    "OM": "oman",
}

URL = re.compile(
    r"(?:https?://|www\.)\S+"
    r"|(?<![\w.@-])[\w-]+\.(?:com|id|net|org|ly|me|co|io)\b(?:\.(?:id|my|sg|uk)\b)?(?:/\S*)?",
    re.I,
)
EMAIL = re.compile(r"<email>|(?<![\w.+-])[\w.+-]+(?:@|\s?[\[(]at[\])]\s?|\s@\s)[\w-]+(?:\.[\w-]+)+", re.I)
_SEP = r"[\s.\-–—/]?"
PHONE = re.compile(
    # Indonesian mobile: 0812…, +62 812…, (+62) 812…, 62-812…
    rf"(?:(?<![\w+.,])\(?\+?62\)?{_SEP}\(?|(?<![\w.,])0)8[\dx]{{1,3}}\)?(?:{_SEP}[\dx]{{2,5}}){{1,3}}(?!\w)"
    # foreign with country code: +855 12 345 678, 00855…; never "+ 1.500.000" or "+1.500.000"
    rf"|(?<![\w+.,])(?:\+|00)(?!\d{{1,3}}(?:[.,]\d{{3}})+(?!\d))\d{{1,3}}(?:\s?\(\d{{1,4}}\))?(?:{_SEP}[\dx]{{1,5}}){{2,5}}(?!\w)"
    # landline or local numbers abroad: (021) 555-1234, 021-5551234, 012 345 678
    rf"|(?<![\w.,])\(?0\d{{2,3}}\)?{_SEP}\d{{3,4}}{_SEP}\d{{3,5}}(?!\w)",
    re.I,
)
# A social-media handle (Instagram, Telegram, TikTok, X): "@" and a name of three or more letters,
# digits, underscores and inner dots that starts with a letter or an underscore; never part of an
# e-mail address ("nama@gmail.com", "a.@b"). Group `name` is the handle without its "@" and without
# the dots that follow it ("@fhci.bumn." → "fhci.bumn"); "@12 jam", "@50rb" are no handles. The one
# handle pattern of tppo_screen: the model's `_handle_` word, privacy masking and contact keys.
MASKED_HANDLE = "@<akun>"  # what privacy masking writes for a handle; folded as a handle too
HANDLE = re.compile(r"(?<![\w.])@(?P<name>[a-z_](?:[a-z0-9_]|\.(?=[a-z0-9_])){2,})", re.I)
_CURRENCY = (
    r"\b(?:rp|idr|usd|us\$|rm|myr|sgd|s\$|yen|jpy|ntd|nt\$|twd|hkd|sar|riyal|aed|dirham|eur|euro|"
    r"aud|krw|won|dolar|dollar)\.?|[$¥€]"
)
_NUM = r"\d{1,3}(?:[.,]\d{3})+(?:,00)?|\d+(?:[.,]\d+)?"
_MONEY = re.compile(
    rf"(?:(?P<cur>{_CURRENCY})\s?|(?<![\w.,]))(?P<num>{_NUM})"
    rf"(?:\s?(?:-|–|s/?d|sampai|hingga)\s?(?:{_CURRENCY})?\s?(?P<num2>{_NUM}))?\s?"
    r"(?P<scale>jt|juta|jutaan|jtan|rb|ribu|k|m|miliar|million|ribuan)?\b\s?"
    r"(?P<cur2>usd|dolar|dollar|rm|ringgit|yen|sgd|euro|eur|riyal|sar|aed|dirham|ntd|won|aud)?\b",
    re.I,
)
_LEET = {"4": "a", "@": "a", "0": "o", "1": "i", "3": "e", "5": "s", "7": "t", "$": "s"}
_LEET_TABLE = str.maketrans(_LEET)
# A leet character between two letters marks an obfuscated word (p4sp0r, k4mb0j4, g@ji); then
# digits at its ends are leet too. Education and safety codes (s1, d3, k3) and covid19 stay.
_LEET_TOKEN = re.compile(r"(?<![\w@$])(?=[a-z0-9@$]{4,}(?![\w@$]))[a-z0-9@$]*[a-z][4@0135$7][a-z][a-z0-9@$]*")
# A word of letters with leet digits only at its ends (gaj1, 5ingapura, v1sa is the rule above):
# decoded only when the result is a known word, since "5tahun" is five years, not "stahun".
_EDGE_LEET = re.compile(r"[4@0135$7]*[a-z]{2,}[4@0135$7]*")
# Letters repeated 3+ times next to other letters (gajiii, bangettt); "iii" and "xxx" alone stay.
_REPEATS = re.compile(r"(?<=[a-z])([a-z])\1{2,}|([a-z])\2{2,}(?=[a-z])")
# The letter O for a zero inside an amount: "3O jt", "Rp 1.5OO.OOO", "2OO USD".
_O_IN_NUMBER = re.compile(
    r"(?<![^\W\d_])\d[\d.,]*[oO][\doO.,]*"
    r"(?=\s?(?:jt|juta|rb|ribu|k|usd|dolar|dollar|rm|ringgit|yen|won|ntd|sgd|riyal)?(?![^\W\d_]))",
    re.I,
)
_DIGIT_O = re.compile(r"[0-9][oO]")  # an amount starts with a digit: "3O", "1.5OO"

_FOREIGN = {
    "usd": "usd",
    "us$": "usd",
    "$": "usd",
    "dolar": "usd",
    "dollar": "usd",
    "rm": "myr",
    "myr": "myr",
    "ringgit": "myr",
    "sgd": "sgd",
    "s$": "sgd",
    "¥": "jpy",
    "yen": "jpy",
    "jpy": "jpy",
    "ntd": "twd",
    "nt$": "twd",
    "twd": "twd",
    "hkd": "hkd",
    "sar": "sar",
    "riyal": "sar",
    "aed": "aed",
    "dirham": "aed",
    "€": "eur",
    "eur": "eur",
    "euro": "eur",
    "aud": "aud",
    "krw": "krw",
    "won": "krw",
}
_SCALE = {
    "jt": 1e6,
    "juta": 1e6,
    "jutaan": 1e6,
    "jtan": 1e6,
    "m": 1e6,
    "million": 1e6,
    "rb": 1e3,
    "ribu": 1e3,
    "ribuan": 1e3,
    "k": 1e3,
    "miliar": 1e9,
}


_CENTS = re.compile(r"(?<=\d{3}),00$")
_THOUSANDS = re.compile(r"\d{1,3}(?:[.,]\d{3})+")
_MILLIONS = re.compile(r"\d{1,3}(?:[.,]\d{3}){2,}")


def _number(raw: str) -> float:
    """Parse '15.000.000', '1,200', '8,5' or '7.5' the way Indonesian ads mean them."""
    raw = _CENTS.sub("", raw)
    if _THOUSANDS.fullmatch(raw):
        return float(re.sub(r"[.,]", "", raw))
    return float(raw.replace(",", "."))


def _money_token(match: re.Match[str]) -> str:
    cur = (match.group("cur") or match.group("cur2") or "").lower().rstrip(".").strip()
    scale = (match.group("scale") or "").lower()
    amount = match.group("num2") or match.group("num")
    value = _number(amount) * _SCALE.get(scale, 1.0)
    if scale == "m" and cur in ("rp", "idr"):
        value *= 1000  # with rupiah, "M" is miliar: "Rp 1,5M"
    if not cur and (not scale or scale == "m"):
        # A bare number is money only when it is a large amount with thousand separators
        # ("7.500.000"); "5 m" is more often metres than millions.
        if scale or not _MILLIONS.fullmatch(amount):
            return match.group(0)
    if cur in _FOREIGN:
        return f" _money_{_FOREIGN[cur]}_ "
    if value < 1e6:
        bucket = "under1jt"
    elif value < 5e6:
        bucket = "1to5jt"
    elif value < 10e6:
        bucket = "5to10jt"
    elif value < 20e6:
        bucket = "10to20jt"
    else:
        bucket = "over20jt"
    return f" _money_idr_{bucket}_ "


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
_FREE_MAIL = re.compile(r"\b(?:g-?mail|yahoo|ymail|hotmail|outlook|live|icloud|proton(?:mail)?)\.", re.I)
_SHORT_URL = re.compile(
    r"\b(?:bit\.ly|s\.id|tinyurl|linktr\.ee|forms\.gle|cutt\.ly|shorturl|rb\.gy|t\.ly)\b", re.I
)
_TOKEN = re.compile(
    # A token and the spaces after it (consumed here: failing every alternative at each space
    # cost a third of the tokenising). Its text and span are those of the named group.
    r"(?:"
    # Fast path, tried first: words of two letters or more, one space apart, the last followed
    # by a space or plain punctuation that no other alternative could extend (not an e-mail
    # "nama (at) …", not a currency before a number). Single letters may spell a word: "k a m".
    r"(?P<plain>[^\W\d_]{2,}(?: [^\W\d_]{2,})*(?=[\s,;!?)\]\"'*]|$)(?!\s?[\[(]at[\])]|\s@\s|\s?[\d$¥€]))"
    # Next, line breaks and the punctuation no other alternative can start with (a symbol).
    r"|(?P<newline>\n)"
    r"|(?P<mark>[,:;!?)\]|/&•*\"'])"
    rf"|(?P<email>{EMAIL.pattern})"
    rf"|(?P<url>{URL.pattern})"
    rf"|(?P<phone>{PHONE.pattern})"
    # a masked handle, or a handle with the dots right after it (as the model was trained: a dot
    # right after a handle ends no sentence)
    rf"|(?P<handle>{re.escape(MASKED_HANDLE)}|{HANDLE.pattern}\.*)"
    r"|(?P<flag>[\U0001f1e6-\U0001f1ff]{2})"
    rf"|(?P<money>{_MONEY.pattern})"
    r"|(?P<word>[\w@$]+)"
    r"|(?P<sym>[^\w\s])"
    r")[^\S\n]*",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W_]+")
_SENTENCE_END = frozenset(".!?;:•\n")
_SPACING = re.compile(r"[ .\-_*]+")


# Characters that never show: zero-width spaces and joiners, soft hyphen, word joiner, bidi
# marks, byte-order mark (Unicode category Cf). Dropped before tokenising.
_FORMAT_RANGES = (
    (0x00AD, 0x00AD),
    (0x061C, 0x061C),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
)
_FORMAT_CHARS = frozenset(chr(code) for low, high in _FORMAT_RANGES for code in range(low, high + 1))
_FORMAT_CLASS = re.compile("[" + "".join(f"{chr(low)}-{chr(high)}" for low, high in _FORMAT_RANGES) + "]")
# Clause boundaries inside a sentence: a negation never reaches across them.
_CLAUSE_MARKS = frozenset(",;()[]|")


@cache
def _look_alikes() -> dict[int, str]:
    """Letters of other scripts that Unicode's confusables table reads as one Latin letter
    (Cyrillic а е о р с у х і ѕ, Greek α ο ι ν ρ υ, their capitals, …), same case preferred."""
    table = json.loads(files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8"))
    mapping: dict[int, str] = {}
    for char, entries in table.items():
        if len(char) != 1 or char.isascii() or not unicodedata.category(char).startswith("L"):
            continue
        compatible = unicodedata.normalize("NFKC", char)
        if compatible != char:  # 𝙄, Ｉ: NFKC already reads them (as I, not as the skeleton's l)
            if len(compatible) == 1 and compatible.isascii() and compatible.isalpha():
                mapping[ord(char)] = compatible
            continue
        latin = [e["c"] for e in entries if len(e["c"]) == 1 and e["c"].isascii() and e["c"].isalpha()]
        if latin:
            same_case = [c for c in latin if c.isupper() == char.isupper()]
            mapping[ord(char)] = (same_case or latin)[0]
    return mapping


@cache
def _hidden() -> frozenset[str]:
    """The format characters and look-alike letters: the texts `reveal` has work on hold one.
    (A set, not a regular expression: a character class of a thousand letters is slow.)"""
    return _FORMAT_CHARS | {chr(code) for code in _look_alikes()}


def reveal(text: str) -> tuple[str, list[int] | None]:
    """`text` as a reader sees it: format characters dropped, look-alike letters read as Latin
    ones, the letter O in an amount read as a zero. Also, when characters were dropped, the
    position in `text` of each character kept (else None: positions are unchanged)."""
    positions = None
    if not text.isascii() and not _hidden().isdisjoint(text):
        positions = [i for i, char in enumerate(text) if char not in _FORMAT_CHARS]
        if len(positions) == len(text):
            positions = None
        text = _FORMAT_CLASS.sub("", text).translate(_look_alikes())
    if _DIGIT_O.search(text):
        text = _O_IN_NUMBER.sub(lambda m: m.group(0).replace("o", "0").replace("O", "0"), text)
    return text, positions


@dataclass
class Folded:
    """The folded words of an ad, each with its span on the original `text`, its sentence and
    its clause (a stretch of a sentence between commas, semicolons or brackets)."""

    text: str = ""
    words: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    sentences: list[int] = field(default_factory=list)
    clauses: list[int] = field(default_factory=list)

    def add(self, word: str, start: int, end: int, sentence: int, clause: int) -> None:
        self.words.append(word)
        self.starts.append(start)
        self.ends.append(end)
        self.sentences.append(sentence)
        self.clauses.append(clause)

    @property
    def normalized(self) -> str:
        """The words joined by spaces: what stemming and the TF-IDF features see."""
        return " ".join(self.words)


@cache
def _lexicon() -> frozenset[str]:
    """Known words that decide how a word with digits reads: Sastrawi's root words, slang and
    what it stands for, and country names (loaded on first use)."""
    roots = files("Sastrawi").joinpath("Stemmer/data/kata-dasar.txt").read_text("utf-8").split()
    expansions = [*SLANG.values(), *FLAG_WORDS.values()]
    return frozenset([*roots, *SLANG, *(word for phrase in expansions for word in phrase.split())])


def decode_leet(word: str) -> str:
    """A lower-case word with the digits that stand for letters read as letters: always when a
    digit sits between letters (p4sp0r → paspor, ma1aysia → malaysia: 1 reads as l when that
    gives a known word, else as i), and at a word's ends only when that gives a known word
    (gaj1 → gaji, 5ingapura → singapura; but 5tahun, s1, d3, covid19 stay)."""
    inside = _LEET_TOKEN.fullmatch(word) is not None
    if not inside and (len(word) < 4 or not _EDGE_LEET.fullmatch(word) or word.isalpha()):
        return word
    readings = [word.translate(_LEET_TABLE)]
    if "1" in word:
        readings.append(word.replace("1", "l").translate(_LEET_TABLE))
    known = _lexicon()
    for reading in readings:
        if reading in known:
            return reading
    return readings[0] if inside else word


@word_cache(FOLD_CACHE_BYTES)  # bounded in bytes: a fresh scrape keeps bringing new words
def fold_word(token: str) -> tuple[str, ...]:
    """The folded form of one original word: lower-case, de-leeted, repeats collapsed, slang
    expanded ('pspr' → ('paspor',), 'loker' → ('lowongan', 'kerja')). Remembered for recent
    words in at most 16 MiB (`FOLD_CACHE_BYTES`; words over 64 characters are not kept)."""
    word = decode_leet(unicodedata.normalize("NFKC", token).lower())
    word = _REPEATS.sub(lambda m: m.group(1) or m.group(2), word)
    if len(word) > 3 and word.endswith("2") and word[:-1].isalpha():
        word = word[:-1]  # reduplication: "teteh2", "jam2"
    word = word.strip("@$")
    return tuple(SLANG.get(word, word).split()) if word else ()


def fold(text: str) -> Folded:
    """Folded words of `text` with their spans on `text` as written (see the module docstring)."""
    shown, positions = reveal(text)
    folded = _fold(shown)
    folded.text = text
    if positions is not None:
        folded.starts = [positions[i] for i in folded.starts]
        folded.ends = [positions[i - 1] + 1 for i in folded.ends]
    return folded


_CONTACTS = frozenset(("email", "url", "phone"))
_MARKS = frozenset(("newline", "mark", "sym"))  # the tokens `_Folder.mark` reads
_FAST = frozenset(("plain", *_MARKS))  # the tokens `_fold` reads itself while no letter is pending
_SPELLING_MARKS = frozenset(".-_*")  # separators inside a spaced-out word: "k.a.m.b.o.j.a"


class _Folder:
    """One pass of `_fold` over a text: the folded words so far, the sentence and clause they
    are in, and the single letters waiting to be read as one spelled-out word ("k a m b o j a")."""

    __slots__ = ("clause", "folded", "pending", "sentence", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.folded = Folded(text)
        self.sentence = self.clause = 0
        self.pending: list[tuple[int, int]] = []

    def add(self, token: str, start: int, end: int) -> None:
        """The folded words of one original word, all with the span start..end."""
        for word in fold_word[token]:
            self.folded.add(word, start, end, self.sentence, self.clause)

    def read(self, match: re.Match[str], kind: str, token: str) -> None:
        """Any token while letters are pending, and any token but plain words and punctuation."""
        start, end = match.span(kind)
        if kind == "word" and len(token) == 1 and token.isalpha():
            self.letter(start, end)
            return
        if self.pending:
            if kind in _MARKS and token in _SPELLING_MARKS:
                return  # a separator inside a spaced-out word: "k.a.m.b.o.j.a"
            self.flush()
        if kind == "plain":
            for plain in token.split(" "):
                self.add(plain, start, start + len(plain))
                start += len(plain) + 1
        elif kind in _MARKS:
            self.mark(token, start, end)
        else:
            self.other(match, kind, token, start, end)

    def letter(self, start: int, end: int) -> None:
        """A single letter: kept pending, since it may spell a word with the next ones. Letters
        of one spaced-out word are split the same way throughout: "M-a-l-a-y-s-i-a T.e.l.e" is
        two words."""
        pending, text = self.pending, self.text
        if pending:
            gap = text[pending[-1][1] : start]
            if not _SPACING.fullmatch(gap or " ") or (
                len(pending) > 1 and gap != text[pending[0][1] : pending[1][0]]
            ):
                self.flush()
        pending.append((start, end))

    def flush(self) -> None:
        """The pending letters: one word when four or more spell it, else each on its own."""
        pending = self.pending
        if len(pending) >= 4:
            start, end = pending[0][0], pending[-1][1]
            self.add(_SPACING.sub("", self.text[start:end]), start, end)
        else:
            for start, end in pending:
                self.add(self.text[start:end], start, end)
        pending.clear()

    def other(self, match: re.Match[str], kind: str, token: str, start: int, end: int) -> None:
        """A word (not a single letter), contact, amount or flag."""
        if kind == "word":
            self.add(token, start, end)
        elif kind == "handle":
            self.folded.add("_handle_", start, end, self.sentence, self.clause)
        elif kind in _CONTACTS:
            for word in _contact_words(kind, token):
                self.folded.add(word, start, end, self.sentence, self.clause)
        elif kind == "money":
            self.money(match, token, start, end)
        elif kind == "flag":
            code = "".join(chr(ord(ch) - 0x1F1E6 + ord("A")) for ch in token)
            for word in FLAG_WORDS.get(code, "").split():
                self.folded.add(word, start, end, self.sentence, self.clause)

    def money(self, match: re.Match[str], token: str, start: int, end: int) -> None:
        """An amount as its `_money_…_` word; a plain number or range ("18-25", "08.00") as its words."""
        money = _money_token(match).strip()
        if money.startswith("_money_"):
            self.folded.add(money, start, end, self.sentence, self.clause)
            return
        for part in _WORD.finditer(token):
            self.add(part.group(), start + part.start(), start + part.end())

    def mark(self, token: str, start: int, end: int) -> None:
        """A line break or a symbol: a sentence or clause boundary, an emoji's word, or nothing."""
        if token in _SENTENCE_END:
            self.sentence += 1
            self.clause += 1
        elif token in _CLAUSE_MARKS:
            self.clause += 1
        elif token in EMOJI_WORDS:
            self.folded.add(EMOJI_WORDS[token], start, end, self.sentence, self.clause)


def _fold(text: str) -> Folded:
    """The folded words of a revealed text. Plain words and punctuation, most of an ad, are read
    here; everything else, and anything while spelled-out letters are pending, by `_Folder.read`."""
    folder = _Folder(text)
    folded, pending = folder.folded, folder.pending
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup  # the named alternative that matched (inner groups close first)
        token = m.group(kind)  # type: ignore[arg-type]  # every alternative is a named group
        if pending or kind not in _FAST:
            folder.read(m, kind, token)  # type: ignore[arg-type]
        elif kind == "plain":  # words of letters, one space apart: each word its own span
            start, sentence, clause = m.start(kind), folder.sentence, folder.clause
            for plain in token.split(" "):
                end = start + len(plain)
                for word in fold_word[plain]:
                    folded.add(word, start, end, sentence, clause)
                start = end + 1
        elif token in _SENTENCE_END:
            folder.sentence += 1
            folder.clause += 1
        else:
            folder.mark(token, *m.span(kind))
    folder.flush()
    _expand_limits(folded.words)
    return folded


def _expand_limits(words: list[str]) -> None:
    """'min'/'max' become minimal/maksimal before a number or a requirement (in place)."""
    for i, word in enumerate(words):
        if word in LIMIT_WORDS:
            following = words[i + 1] if i + 1 < len(words) else ""
            if following[:1].isdigit() or following in _LIMIT_CONTEXT:
                words[i] = LIMIT_WORDS[word]


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


def normalize(text: str) -> str:
    """Return the canonical lower-case form of one ad, ready for stemming: its folded words.

    >>> normalize("G@JI 15JT!! Hub WA 08xx-xxxx-xxxx 🇰🇭")
    'gaji _money_idr_10to20jt_ hub whatsapp _phone_ kamboja'
    """
    return fold(text).normalized


def fold_many(texts: Iterable[str]) -> list[Folded]:
    """`fold` over a sequence: the first step of the model pipeline (its words feed stemming
    and TF-IDF, its spans feed the red-flag catalogue, so each ad is tokenised once)."""
    return [fold(text) for text in texts]


def normalize_many(texts: Iterable[str]) -> list[str]:
    """`normalize` over a sequence."""
    return [normalize(text) for text in texts]


def normalized_text(folded: Folded) -> str:
    """The normalised text of a folded ad (the TF-IDF preprocessor of the pipeline)."""
    return folded.normalized
