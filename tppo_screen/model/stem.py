"""Sastrawi stemming behind a bounded token cache, plus user-editable overrides.

One PySastrawi stemmer lives at module level and is built on first use (never at import, never
pickled into a model: joblib would store its 30k-word dictionary in every artifact). Each distinct
token is stemmed once; a job-ad corpus has a small vocabulary, so the cache makes stemming cheap.
The cache holds at most `STEM_CACHE_BYTES` (16 MiB; tokens over 64 characters are not kept):
see `tppo_screen.model.memo`.

PySastrawi still mis-stems some words that matter here (berikan→ikan, relawan→rawan,
pengalaman→alam). `stem_overrides.tsv` beside this module fixes them; users can pass their own
file (`load_overrides`) without touching code. Overrides travel inside the model as a plain dict,
so a trained model always stems the way it was trained.

A fitted model also keeps the stems of every word of its training texts that needs PySastrawi
(`KnownStems`; 6,859 words for the shipped model). Scoring stems a word it has not seen with
PySastrawi only for the first `STEM_BUDGET` (64) such distinct words of an ad, and keeps the rest
as they are: PySastrawi costs 0.3-0.7 ms a word, so an ad crafted from thousands of affixed
nonsense words ("mexyzkan") would otherwise cost a second of CPU. No text of the corpus or its
test sets comes near the budget (at most 11 such words); the rule depends on the ad and the model
alone, never on what a cache holds, so every process scores an ad the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from tppo_screen.errors import InputError
from tppo_screen.model.memo import word_cache

DEFAULT_OVERRIDES = Path(__file__).with_name("stem_overrides.tsv")
TOKEN = re.compile(r"[a-z0-9_]+")
STEM_CACHE_BYTES = 16 << 20
STEM_BUDGET = 64  # unseen words an ad may send through PySastrawi; the rest are kept as they are
# A superset of the starts PySastrawi's prefix rules match (di- ke- se- be- te- me- pe- ku- kau-,
# and a consonant + el/em/er/in + vowel for the infixes) and of the ends its suffix rules match
# (-i -is -isme -isasi -kan -an -ku -mu -nya -lah -kah -tah -pun). See `_kept_as_is`.
_AFFIXED_START = re.compile(r"di|ke|se|be|te|me|pe|ku|kau|[bcdfghjklmnpqrstvwxyz](?:el|em|er|in)[aiueo]")
_AFFIXED_END = ("i", "is", "me", "an", "ku", "mu", "nya", "lah", "kah", "tah", "pun")


@cache
def _stemmer() -> Any:
    """The PySastrawi stemmer without its own (unbounded) cache; built once per process."""
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer().delegatedStemmer


@word_cache(STEM_CACHE_BYTES)
def stem_word(word: str) -> str:
    """Sastrawi's stem of one lower-case token; placeholders and numbers pass through.
    Remembered for recent tokens in at most 16 MiB (`STEM_CACHE_BYTES`)."""
    if not needs_stemmer(word):
        return word
    return str(_stemmer().stem_word(word))


def needs_stemmer(word: str) -> bool:
    """Whether the stem of a lower-case token takes PySastrawi: not a placeholder, a number or a
    word it is known to keep as it is (`_kept_as_is`)."""
    return not word.startswith("_") and word.isalpha() and not _kept_as_is(word)


def _kept_as_is(word: str) -> bool:
    """Whether PySastrawi is sure to return `word` unchanged, known without running it (~150 µs a
    word): so random letters, names and foreign words cost a few look-ups. PySastrawi returns
    either the word or a root of its dictionary that one of its steps produced. With no prefix
    rule's start, no step ever changes the word's start (truncated, the start still matches no
    prefix rule): every form it tries is a beginning of the word, so if no beginning of it is a
    root, no root can come out. With no suffix rule's end either, nothing is tried at all.
    (tests/test_stem.py checks this against PySastrawi on the corpus and random words.)"""
    if _AFFIXED_START.match(word):
        return False
    if not word.endswith(_AFFIXED_END):
        return True
    roots = _stemmer().dictionary.words
    return not any(word[:end] in roots for end in range(1, len(word)))


def load_overrides(path: Path | str = DEFAULT_OVERRIDES) -> dict[str, str]:
    """Read a tab-separated `word<TAB>stem` file; `#` starts a comment."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read stem overrides {path}: {exc.strerror}") from exc
    overrides: dict[str, str] = {}
    for lineno, line in enumerate(lines, 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not all(parts):
            raise InputError(f"{path}:{lineno}: expected 'word<TAB>stem', got {line!r}")
        overrides[parts[0].strip().lower()] = parts[1].strip().lower()
    return overrides


class StemTokenizer:
    """Split normalised text into tokens and stem them; a picklable `tokenizer=` for TF-IDF.

    Only the overrides dict is stored on the instance, so pickling it stores no dictionary.
    """

    def __init__(self, overrides: dict[str, str] | None = None) -> None:
        self.overrides = dict(overrides or {})

    def __call__(self, text: str) -> list[str]:
        get = self.overrides.get
        return [get(token) or stem_word(token) for token in TOKEN.findall(text)]

    def __repr__(self) -> str:
        return f"StemTokenizer(<{len(self.overrides)} overrides>)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StemTokenizer) and other.overrides == self.overrides

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.overrides.items())))


class KnownStems:
    """A fitted model's stemming: overrides, then the stems of the words seen in training
    (`known`), then PySastrawi for at most `budget` other distinct words an ad needs it for (in
    the order they come); further such words are kept as they are. Call it on a text (as a
    TF-IDF `tokenizer`), or give `stems` the tokens and the set of words already sent to
    PySastrawi for this ad (the compiled scorer stems an ad word by word)."""

    def __init__(self, overrides: dict[str, str], known: dict[str, str], budget: int = STEM_BUDGET) -> None:
        self.overrides = overrides
        self.known = known
        self.budget = budget

    def free(self, token: str) -> str | None:
        """The stem of `token` when it costs no PySastrawi call for this ad; else None."""
        stem = self.overrides.get(token) or self.known.get(token)
        if stem is None and not needs_stemmer(token):
            return token
        return stem

    def stems(self, tokens: list[str], spent: set[str]) -> list[str]:
        """The stems of `tokens`; `spent` holds the ad's words PySastrawi stemmed so far."""
        out = []
        for token in tokens:
            stem = self.free(token)
            if stem is None:
                if token in spent or len(spent) < self.budget:
                    spent.add(token)
                    stem = stem_word(token)
                else:
                    stem = token
            out.append(stem)
        return out

    def __call__(self, text: str) -> list[str]:
        return self.stems(TOKEN.findall(text), set())


def known_stems(texts: Iterable[str], overrides: dict[str, str]) -> dict[str, str]:
    """The stems of the tokens of `texts` that need PySastrawi (not in `overrides`), in the order
    they first come: what a fitted model keeps (`KnownStems`)."""
    known: dict[str, str] = {}
    for text in texts:
        for token in TOKEN.findall(text):
            if token not in known and token not in overrides and needs_stemmer(token):
                known[token] = stem_word(token)
    return known
