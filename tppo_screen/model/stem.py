"""Sastrawi stemming behind a bounded token cache, plus user-editable overrides.

One PySastrawi stemmer lives at module level and is built on first use (never at import, never
pickled into a model: joblib would store its 30k-word dictionary in every artifact). Each distinct
token is stemmed once; a job-ad corpus has a small vocabulary, so the cache makes stemming cheap.

PySastrawi still mis-stems some words that matter here (berikan→ikan, relawan→rawan,
pengalaman→alam). `stem_overrides.tsv` beside this module fixes them; users can pass their own
file (`load_overrides`) without touching code. Overrides travel inside the model as a plain dict,
so a trained model always stems the way it was trained.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from tppo_screen.errors import InputError

DEFAULT_OVERRIDES = Path(__file__).with_name("stem_overrides.tsv")
_TOKEN = re.compile(r"[a-z0-9_]+")


@cache
def _stemmer() -> Any:
    """The PySastrawi stemmer without its own (unbounded) cache; built once per process."""
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer().delegatedStemmer


@lru_cache(maxsize=1 << 18)
def stem_word(word: str) -> str:
    """Sastrawi's stem of one lower-case token; placeholders and numbers pass through."""
    if word.startswith("_") or not word.isalpha():
        return word
    return str(_stemmer().stem_word(word))


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
