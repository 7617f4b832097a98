"""Short texts cut from annotated ads, so that length says nothing about the label.

Real lures are often one to three sentences, while most of the corpus's ads are long; a model
trained on it learns that a short text is a safe one. `windows` cuts an ad into runs of one to
three consecutive sentences (lines, or sentences ending in . ! ?) of 8–40 words, each a
substring of the ad as written. A high-risk window is kept only when it still holds a medium- or
high-severity red flag that the ad is annotated with (the evidence travels with the snippet);
any window of a legitimate ad is legitimate. `balance` then picks windows so that, in every
length cell up to 40 words (words × lines × characters per word), the two labels come in the
same proportion as in the long ads.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from tppo_screen.model.catalogue import Catalogue

MIN_WORDS, MAX_WORDS = 8, 40
MAX_SENTENCES = 3
# Word-count bands in which the labels are balanced (the last one holds every longer text).
BANDS = (8, 13, 18, 25, 33, 41)
LINE_BANDS = (1, 2, 4)  # one line, two or three, four or more
# Characters per word (spaces included): chat posts use short words, portal Indonesian long
# affixed ones; a band each so that word length does not give the label away either.
WORD_LENGTH_BANDS = (0.0, 6.0, 6.75, 7.5)
# a sentence ends at . ! ? before a space or the end, or at a line break ("KP.003/1/14" is one word)
_SENTENCE = re.compile(r"(?:[^\n.!?]|[.!?](?![\s.!?]|$))*(?:[.!?]+(?=\s|$)|\n|$)")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence or line of `text` that holds a word."""
    spans = []
    for m in _SENTENCE.finditer(text):
        piece = m.group(0)
        if piece.strip() and any(ch.isalnum() for ch in piece):
            start = m.start() + len(piece) - len(piece.lstrip())
            spans.append((start, m.start() + len(piece.rstrip())))
    return spans


def windows(text: str) -> list[str]:
    """Every run of 1–3 consecutive sentences of `text` with 8–40 words, as written."""
    spans = sentences(text)
    found = []
    for i in range(len(spans)):
        for j in range(i, min(i + MAX_SENTENCES, len(spans))):
            window = text[spans[i][0] : spans[j][1]]
            words = len(window.split())
            if words > MAX_WORDS:
                break
            if words >= MIN_WORDS and window != text.strip():
                found.append(window)
    return found


def keeps_evidence(window: str, flags: set[str], catalogue: Catalogue) -> bool:
    """Whether a high-risk ad's window holds a medium- or high-severity red flag of the ad."""
    return any(m.kind == "red" and m.severity != "low" and m.id in flags for m in catalogue.match(window))


def candidates(frame: pd.DataFrame, catalogue: Catalogue, seed: int, per_ad: int = 3) -> pd.DataFrame:
    """Up to `per_ad` windows of each ad of `frame` (`id`, `text`, `label`, `red_flags`, `key`,
    `register`), chosen at random among those that qualify; each inherits its ad's label,
    register, grouping key and modus and names its ad in `snippet_of`."""
    rng = np.random.default_rng(seed)
    rows = []
    for ad in frame.itertuples(index=False):
        flags = set(filter(None, str(ad.red_flags).split(";")))
        found = windows(str(ad.text))
        if ad.label == "high_risk":
            found = [w for w in found if keeps_evidence(w, flags, catalogue)]
        for n in sorted(rng.permutation(len(found))[:per_ad]):
            rows.append(
                {
                    "id": f"{ad.id}~s{n}",
                    "text": found[n],
                    "label": ad.label,
                    "register": ad.register,
                    "modus": ad.modus,
                    "red_flags": ad.red_flags if ad.label == "high_risk" else "",
                    "key": ad.key,
                    "snippet_of": ad.id,
                }
            )
    return pd.DataFrame(rows)


def cells(texts: pd.Series) -> np.ndarray:
    """Each text's length cell: its band of BANDS (words) × LINE_BANDS × WORD_LENGTH_BANDS;
    -1 for texts of more than 40 words."""
    n_words = texts.str.split().map(len).to_numpy()
    words = np.searchsorted(BANDS, n_words, side="right") - 1
    lines = np.searchsorted(LINE_BANDS, texts.str.count("\n").to_numpy() + 1, side="right") - 1
    word_length = texts.str.len().to_numpy() / np.maximum(n_words, 1)
    length = np.searchsorted(WORD_LENGTH_BANDS, word_length, side="right") - 1
    cell = (words * len(LINE_BANDS) + lines) * len(WORD_LENGTH_BANDS) + length
    return np.where(words == len(BANDS) - 1, -1, cell)


def balance(base: pd.DataFrame, pool: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The windows of `pool` to add to `base` (both with `text`, `label`) so that each length
    cell of 8–40 words (`cells`: words × lines) holds legitimate and high-risk texts in the ratio
    of the longer texts of `base`: in each cell, as many windows as that allows, at random."""
    rng = np.random.default_rng(seed)
    base_cell, pool_cell = cells(base["text"]), cells(pool["text"])
    long = base_cell == -1
    ratio = (base["label"][long] == "legit").sum() / max(1, (base["label"][long] == "high_risk").sum())
    chosen: list[int] = []
    for cell in range((len(BANDS) - 1) * len(LINE_BANDS) * len(WORD_LENGTH_BANDS)):
        have = {
            label: int(((base_cell == cell) & (base["label"] == label)).sum())
            for label in ("legit", "high_risk")
        }
        spare = {
            label: np.flatnonzero((pool_cell == cell) & (pool["label"] == label).to_numpy())
            for label in ("legit", "high_risk")
        }
        high_risk = min(
            have["high_risk"] + len(spare["high_risk"]), (have["legit"] + len(spare["legit"])) / ratio
        )
        legit = ratio * high_risk
        for label, target in (("high_risk", high_risk), ("legit", legit)):
            take = int(round(max(0.0, target - have[label])))
            chosen += rng.permutation(spare[label])[:take].tolist()
    return pool.iloc[sorted(chosen)].reset_index(drop=True)
