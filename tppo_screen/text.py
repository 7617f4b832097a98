"""Normalise informal Indonesian job-ad text before stemming and vectorising.

`normalize` is the only text clean-up the model sees. It keeps meaning that matters for
trafficking risk (negations, currencies, the scale of amounts, contact channels) and removes
surface noise that says nothing about risk (case, emoji, obfuscation, slang spellings).
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterable
from functools import cache

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

_REGIONAL_INDICATOR = re.compile("([\U0001f1e6-\U0001f1ff]{2})")
URL = re.compile(
    r"(?:https?://|www\.)\S+"
    r"|(?<![\w.@-])[\w-]+\.(?:com|id|net|org|ly|me|co|io)\b(?:\.(?:id|my|sg|uk)\b)?(?:/\S*)?",
    re.I,
)
_WA_LINK = re.compile(r"\b(?:wa\.me|api\.whatsapp\.com|chat\.whatsapp\.com)/\S*", re.I)
_TG_LINK = re.compile(r"\bt\.me/\S*", re.I)
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
_HANDLE = re.compile(r"(?<![\w.])@[a-z0-9_.]{3,}", re.I)
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
_SPACED = re.compile(r"\b(?:[a-z][ .\-_*]){3,}[a-z]\b")
_LEET_TABLE = str.maketrans({"4": "a", "@": "a", "0": "o", "1": "i", "3": "e", "5": "s", "7": "t", "$": "s"})
# A leet character between two letters marks an obfuscated word (p4sp0r, k4mb0j4, g@ji); then
# digits at its ends are leet too. Education and safety codes (s1, d3, k3) and covid19 stay.
_LEET_TOKEN = re.compile(r"(?<![\w@$])(?=[a-z0-9@$]{4,}(?![\w@$]))[a-z0-9@$]*[a-z][4@0135$7][a-z][a-z0-9@$]*")
# Letters repeated 3+ times next to other letters (gajiii, bangettt); "iii" and "xxx" alone stay.
_REPEATS = re.compile(r"(?<=[a-z])([a-z])\1{2,}|([a-z])\2{2,}(?=[a-z])")
_NON_WORD = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")

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


def _number(raw: str) -> float:
    """Parse '15.000.000', '1,200', '8,5' or '7.5' the way Indonesian ads mean them."""
    raw = re.sub(r"(?<=\d{3}),00$", "", raw)
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", raw):
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
        if scale or not re.fullmatch(r"\d{1,3}(?:[.,]\d{3}){2,}", amount):
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


def _flag_word(match: re.Match[str]) -> str:
    pair = match.group(1)
    code = "".join(chr(ord(ch) - 0x1F1E6 + ord("A")) for ch in pair)
    return f" {FLAG_WORDS.get(code, '')} "


@cache
def _symbol_table() -> dict[int, None]:
    """Code points to delete: every Unicode symbol (emoji, arrows, dingbats…) except currency
    signs and @ that carry meaning, plus emoji joiners and variation selectors. Built once."""
    keep = {ord(ch) for ch in "$¥€@"}
    table: dict[int, None] = dict.fromkeys(
        cp
        for cp in range(sys.maxunicode + 1)
        if cp not in keep and unicodedata.category(chr(cp)).startswith("S")
    )
    table.update(dict.fromkeys([0x200D, *range(0xFE00, 0xFE10)]))
    return table


def normalize(text: str) -> str:
    """Return the canonical lower-case form of one ad, ready for stemming.

    >>> normalize("G@JI 15JT!! Hub WA 08xx-xxxx-xxxx 🇰🇭")
    'gaji _money_idr_10to20jt_ hub whatsapp _phone_ kamboja'
    """
    text = unicodedata.normalize("NFKC", text)
    text = _WA_LINK.sub(" _walink_ ", text)
    text = _TG_LINK.sub(" _tglink_ ", text)
    text = EMAIL.sub(" _email_ ", text)
    text = URL.sub(" _url_ ", text)
    text = PHONE.sub(" _phone_ ", text)
    text = _HANDLE.sub(" _handle_ ", text)
    text = _REGIONAL_INDICATOR.sub(_flag_word, text)
    text = text.translate(_symbol_table()).lower()
    text = _MONEY.sub(_money_token, text)
    text = _SPACED.sub(lambda m: re.sub(r"[ .\-_*]", "", m.group(0)), text)
    text = _LEET_TOKEN.sub(lambda m: m.group(0).translate(_LEET_TABLE), text)
    text = _REPEATS.sub(lambda m: m.group(1) or m.group(2), text)
    text = _NON_WORD.sub(" ", text)
    words = text.split()
    for i, word in enumerate(words):
        if word in LIMIT_WORDS:
            following = words[i + 1] if i + 1 < len(words) else ""
            if following[:1].isdigit() or following in _LIMIT_CONTEXT:
                words[i] = LIMIT_WORDS[word]
        else:
            words[i] = SLANG.get(word, word)
    return _SPACES.sub(" ", " ".join(words)).strip()


def normalize_many(texts: Iterable[str]) -> list[str]:
    """`normalize` over a sequence; the first step of the model pipeline."""
    return [normalize(text) for text in texts]
