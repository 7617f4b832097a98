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
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from tppo_screen.errors import InputError
from tppo_screen.model.memo import word_cache

DEFAULT_OVERRIDES = Path(__file__).with_name("stem_overrides.tsv")
_TOKEN = re.compile(r"[a-z0-9_]+")
STEM_CACHE_BYTES = 16 << 20
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
    if word.startswith("_") or not word.isalpha():
        return word
    if _kept_as_is(word):
        return word
    return str(_stemmer().stem_word(word))


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
        return [get(token) or stem_word(token) for token in _TOKEN.findall(text)]

    def __repr__(self) -> str:
        return f"StemTokenizer(<{len(self.overrides)} overrides>)"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StemTokenizer) and other.overrides == self.overrides

    def __hash__(self) -> int:
        return hash(tuple(sorted(self.overrides.items())))
