"""Campaigns: the ads of a file that are one offer, re-posted with new numbers, cities and names.

A first pass over the file (`find_campaigns`) reads every row's text once. Each ad becomes a
MinHash of its word 3-shingles after `slots.slot_words` (numbers, contacts, money, places and
names replaced by slot tokens, so re-posts read alike), and a MinHash LSH index (datasketch)
finds, for every ad, the earlier ads that may share its template. Ads are linked when

- their texts are the same template: estimated Jaccard of the shingles >= `TEMPLATE_JACCARD`;
- they share a specific contact: a contact found in at most `CONTACT_CAP` ads, and only into
  same-template groups where at least half the ads carry it (one ad of a large group that happens
  to list another poster's number does not pull the two groups together);
- they share any contact and their texts are alike: Jaccard >= `CONTACT_JACCARD`.

A contact re-used across many unrelated ads therefore joins nothing by itself: the issue's case
of one number shared by an honest and a risky poster (923 ads chained into one group) stays two
campaigns. Every link keeps its reason (`Link.reason`). Campaigns are the connected components
of the links (`graph.components`); those of two or more ads are named `c0001`, `c0002`, … by
size (the largest first; ties by first row); an ad that is its own campaign gets an empty name
and size 1. The second pass (scoring) tallies each campaign's levels and keeps a few samples
(`CampaignTally`), from which `Campaign` summaries with their template are made.
"""

from __future__ import annotations

import difflib
import re
import zlib
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from datasketch import MinHash, MinHashLSH

from tppo_screen.batch.slots import CONTACT, mask_contact, slot_words
from tppo_screen.graph import components
from tppo_screen.model.text import EMAIL, HANDLE, PHONE, URL

TEMPLATE_JACCARD = 0.5  # shingle Jaccard at which two ads are one template
CONTACT_JACCARD = 0.3  # ... at which two ads sharing a contact are one campaign
CONTACT_CAP = 10  # a contact in at most this many ads is specific to one poster
SHINGLE_WORDS = 3
NUM_PERM = 64
LSH_THRESHOLD = 0.4  # candidate pairs from the LSH index; verified against TEMPLATE_JACCARD
COVERED = 0.8  # an ad this close to one already indexed is not indexed itself (keeps buckets small)
MAX_REPRESENTATIVES = 400  # same-template groups compared pairwise per shared contact
SAMPLES = 5  # distinct ads kept per campaign for its template and sample ids
LISTED = 20  # campaigns in the summary
WORDS_KEPT = 1 << 20  # word hashes cached while signing
VARYING = "‹…›"

_TEMPLATE, _CONTACT, _CONTACT_TEXT = 0, 1, 2
_SHOWN_CONTACT = re.compile(f"{URL.pattern}|{EMAIL.pattern}|{PHONE.pattern}|{HANDLE.pattern}", re.I)


@dataclass(frozen=True)
class Link:
    """Two ads (rows numbered from 1) in one campaign, and why."""

    first: int
    second: int
    reason: str


@dataclass
class Campaign:
    """One campaign as the summary and the report show it. `template` is the common text of its
    sample ads with the varying parts marked `‹…›` (contacts masked); `contacts` the masked
    contacts its ads share; `links` why its ads were joined; `sample_ids` a few of its ads."""

    id: str
    size: int
    high: int
    medium: int
    max_score: float
    template: str
    contacts: list[str]
    links: list[str]
    sample_ids: list[str]


class CampaignIndex:
    """The campaign of every row of a file (rows numbered from 1), from its rows' template links
    and contacts. Built by `find_campaigns`; `names` and `sizes` give the output columns."""

    def __init__(self, signatures: _Signatures, links: _Links, contacts: dict[str, array[int]]) -> None:
        self._links, self._contacts = links, contacts
        self._shared: dict[int, Counter[str]] | None = None  # label -> contacts shared in it
        count = len(signatures.present)
        template = components(count, np.frombuffer(links.rows, np.int64), np.frombuffer(links.cols, np.int64))
        sizes, matrix = np.bincount(template), signatures.matrix()
        for key, ads in contacts.items():
            if len(ads) > 1:
                _contact_links(links, key, np.frombuffer(ads, np.int64), template, sizes, matrix)
        self._label = components(
            count, np.frombuffer(links.rows, np.int64), np.frombuffer(links.cols, np.int64)
        )
        self._sizes = np.bincount(self._label)
        _, first_row = np.unique(self._label, return_index=True)
        named = sorted(np.nonzero(self._sizes > 1)[0].tolist(), key=lambda g: (-self._sizes[g], first_row[g]))
        self._names = np.full(len(self._sizes), "", dtype=object)
        for number, label in enumerate(named, start=1):
            self._names[label] = f"c{number:04d}"
        self.by_name = {str(self._names[label]): int(label) for label in named}

    def names(self, first_row: int, count: int) -> list[str]:
        """The campaign of each of rows `first_row` … `first_row + count - 1` ('' if alone)."""
        return [str(self._names[label]) if label >= 0 else "" for label in self._labels(first_row, count)]

    def sizes(self, first_row: int, count: int) -> list[int]:
        """How many ads the campaign of each of those rows has (1 for an ad alone)."""
        return [int(self._sizes[label]) if label >= 0 else 1 for label in self._labels(first_row, count)]

    def _labels(self, first_row: int, count: int) -> list[int]:
        labels = self._label[first_row : first_row + count].tolist()
        return labels + [-1] * (count - len(labels))

    def _positions(self, name: str) -> list[int]:
        rows = np.frombuffer(self._links.rows, np.int64)
        return np.nonzero(self._label[rows] == self.by_name[name])[0].tolist()

    def links_of(self, name: str) -> list[Link]:
        """Every link inside campaign `name`, with its reason."""
        links = self._links
        return [Link(links.rows[k], links.cols[k], links.reason(k)) for k in self._positions(name)]

    def reasons_of(self, name: str) -> list[str]:
        """Why campaign `name`'s ads were joined: its template links in one line, then each
        distinct contact link."""
        links, positions = self._links, self._positions(name)
        template = [links.values[k] for k in positions if links.kinds[k] == _TEMPLATE]
        lines = []
        if template:
            span = (
                f"{min(template):.2f}–{max(template):.2f}"
                if min(template) < max(template)
                else f"{max(template):.2f}"
            )
            lines.append(f"same template, Jaccard {span} ({len(template)} links)")
        others = (links.reason(k) for k in positions if links.kinds[k] != _TEMPLATE)
        return lines + list(dict.fromkeys(others))

    def contacts_of(self, name: str) -> list[str]:
        """The masked contacts that two or more ads of campaign `name` share, most shared first."""
        if self._shared is None:
            self._shared = defaultdict(Counter)
            for key, ads in self._contacts.items():
                if len(ads) > 1:
                    for label, count in Counter(self._label[np.frombuffer(ads, np.int64)].tolist()).items():
                        if count > 1:
                            self._shared[label][key] = count
        return [mask_contact(key) for key, _ in self._shared[self.by_name[name]].most_common()]


class _Links:
    """The links found so far, as parallel arrays: rows, kinds, values (a Jaccard, or how many ads
    share the contact) and the contact behind a contact link."""

    def __init__(self) -> None:
        self.rows, self.cols = array("q"), array("q")
        self.kinds, self.values = array("b"), array("d")
        self.keys: list[str] = []

    def add(self, first: int, second: int, kind: int, value: float, key: str = "") -> None:
        self.rows.append(first)
        self.cols.append(second)
        self.kinds.append(kind)
        self.values.append(value)
        self.keys.append(key)

    def reason(self, position: int) -> str:
        kind, value, key = self.kinds[position], self.values[position], self.keys[position]
        if kind == _TEMPLATE:
            return f"same template, Jaccard {value:.2f}"
        if kind == _CONTACT:
            others = int(value) - 1
            return f"shares contact {mask_contact(key)} with {others} other ad{'s' if others > 1 else ''}"
        return f"shares contact {mask_contact(key)} and text, Jaccard {value:.2f}"


class _Signatures:
    """Every row's MinHash values (row 0 unused), and the LSH index of the rows not `COVERED`
    by an earlier indexed row."""

    def __init__(self) -> None:
        self._minhash = MinHash(num_perm=NUM_PERM, hashfunc=int)  # shingles come hashed
        self._lsh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
        self._indexed: dict[int, np.ndarray] = {}
        self._words: dict[str, int] = {}
        self.values = array("I", bytes(4 * NUM_PERM))
        self.present = array("b", [0])

    def add(self, row: int, words: list[str], links: _Links) -> None:
        """Sign row `row` (rows come in order from 1) from its slotted words and link it to the
        earlier rows of its template."""
        if not words:
            self.values.frombytes(bytes(4 * NUM_PERM))
            self.present.append(0)
            return
        minhash = self._minhash
        minhash.clear()
        minhash.update_batch(self._shingles(words))
        signature = minhash.hashvalues.astype(np.uint32)
        self.values.frombytes(signature.tobytes())
        self.present.append(1)
        best = 0.0
        candidates = self._lsh.query(minhash)
        if candidates:
            earlier = np.fromiter(candidates, np.int64, len(candidates))
            similar = (np.stack([self._indexed[c] for c in earlier.tolist()]) == signature).mean(axis=1)
            close = similar >= TEMPLATE_JACCARD
            for other, jaccard in zip(earlier[close].tolist(), similar[close].tolist(), strict=True):
                links.add(other, row, _TEMPLATE, jaccard)
            best = float(similar.max())
        if best < COVERED:
            self._lsh.insert(row, minhash, check_duplication=False)
            self._indexed[row] = signature

    def _shingles(self, words: list[str]) -> list[int]:
        """The distinct 32-bit hashes of the word 3-shingles (or of all words, for fewer)."""
        known = self._words
        if len(known) > WORDS_KEPT:
            known.clear()
        ids = np.array(
            [known.get(w) or known.setdefault(w, zlib.crc32(w.encode()) | 1) for w in words], np.uint64
        )
        if len(ids) >= SHINGLE_WORDS:
            ids = ids[:-2] * np.uint64(0x9E3779B1) + ids[1:-1] * np.uint64(0x85EBCA77) + ids[2:]
        else:
            ids = np.array([ids.sum() * np.uint64(0xC2B2AE3D)], np.uint64)
        return np.unique(ids & np.uint64(0xFFFFFFFF)).tolist()

    def matrix(self) -> np.ndarray:
        """The signatures as a rows × NUM_PERM array (a copy; zeros for rows without words)."""
        return np.frombuffer(self.values, np.uint32).reshape(-1, NUM_PERM).copy()


def _contact_links(
    links: _Links, key: str, ads: np.ndarray, template: np.ndarray, sizes: np.ndarray, matrix: np.ndarray
) -> None:
    """Link the same-template groups (`template` labels, of `sizes`) whose ads share contact
    `key`: all of them when the contact is specific (in at most CONTACT_CAP ads, carried by at
    least half of each group's ads), otherwise the pairs of groups whose texts are alike."""
    groups, first = np.unique(template[ads], return_index=True)
    if len(groups) < 2:
        return
    representatives = ads[first]
    joined = np.zeros(len(groups), dtype=bool)
    if len(ads) <= CONTACT_CAP:
        carried = np.bincount(np.searchsorted(groups, template[ads]), minlength=len(groups))
        joined = 2 * carried >= sizes[groups]
        chosen = representatives[joined]
        for other in chosen[1:].tolist():
            links.add(int(chosen[0]), other, _CONTACT, float(len(ads)), key)
    shown = representatives[:MAX_REPRESENTATIVES]
    signatures = matrix[shown]
    for i in range(len(shown) - 1):
        similar = (signatures[i + 1 :] == signatures[i]).mean(axis=1)
        for j in np.nonzero(similar >= CONTACT_JACCARD)[0].tolist():
            if not (joined[i] and joined[i + 1 + j]):
                links.add(int(shown[i]), int(shown[i + 1 + j]), _CONTACT_TEXT, float(similar[j]), key)


@dataclass
class _Seen:
    """What the scoring pass saw of one campaign."""

    size: int
    high: int = 0
    medium: int = 0
    max_score: float = 0.0
    samples: dict[str, str] = field(default_factory=dict)  # distinct text -> its ad's id


class CampaignTally:
    """The scoring pass's view of the campaigns: each one's levels, highest score and first
    SAMPLES distinct texts, from which `campaigns` makes the summary's `Campaign`s."""

    def __init__(self, index: CampaignIndex) -> None:
        self.index = index
        self._seen: dict[str, _Seen] = {}

    @property
    def count(self) -> int:
        """How many campaigns of two or more ads the file has."""
        return len(self.index.by_name)

    def add(
        self, first_row: int, scored: pd.DataFrame, text_column: str, id_column: str | None
    ) -> pd.DataFrame:
        """`scored` (rows `first_row`… of the file) with `campaign` and `campaign_size` after
        red_flags, tallied."""
        count = len(scored)
        names, sizes = self.index.names(first_row, count), self.index.sizes(first_row, count)
        ids = scored[id_column].astype(str) if id_column else [str(first_row + k) for k in range(count)]
        columns = (names, sizes, scored["risk_level"], scored["risk_score"], ids, scored[text_column])
        for name, size, level, score, ident, text in zip(*columns, strict=True):
            if not name:
                continue
            seen = self._seen.setdefault(name, _Seen(size))
            seen.high += level == "high"
            seen.medium += level == "medium"
            if score == score:  # not NaN
                seen.max_score = max(seen.max_score, float(score))
            if len(seen.samples) < SAMPLES and isinstance(text, str):
                seen.samples.setdefault(text, ident)
        place = list(scored.columns).index("red_flags") + 1
        scored.insert(place, "campaign", names)
        scored.insert(place + 1, "campaign_size", sizes)
        return scored

    def campaigns(self, top: int = LISTED) -> list[Campaign]:
        """The `top` campaigns with the most high- and medium-risk ads (then the largest)."""
        order = sorted(
            self._seen.items(), key=lambda kv: (-kv[1].high - kv[1].medium, -kv[1].high, -kv[1].size, kv[0])
        )
        return [self._campaign(name, seen) for name, seen in order[:top]]

    def _campaign(self, name: str, seen: _Seen) -> Campaign:
        return Campaign(
            id=name,
            size=seen.size,
            high=seen.high,
            medium=seen.medium,
            max_score=seen.max_score,
            template=template_of(list(seen.samples)),
            contacts=self.index.contacts_of(name),
            links=self.index.reasons_of(name),
            sample_ids=list(seen.samples.values()),
        )


def template_of(texts: list[str]) -> str:
    """The words the first text shares with every other, in its order; each run of words that
    varies becomes `‹…›`, contacts `‹kontak›` (never shown)."""
    if not texts:
        return ""
    words = [_SHOWN_CONTACT.sub(CONTACT, text).split() for text in texts]
    base = [word.lower() for word in words[0]]
    kept = [True] * len(base)
    for other in words[1:]:
        matcher = difflib.SequenceMatcher(None, base, [word.lower() for word in other], autojunk=False)
        common = [False] * len(base)
        for block in matcher.get_matching_blocks():
            common[block.a : block.a + block.size] = [True] * block.size
        kept = [a and b for a, b in zip(kept, common, strict=True)]
    shown: list[str] = []
    for word, keep in zip(words[0], kept, strict=True):
        if keep:
            shown.append(word)
        elif not shown or shown[-1] != VARYING:
            shown.append(VARYING)
    return " ".join(shown)


def find_campaigns(chunks: Iterable[pd.DataFrame], text_column: str) -> CampaignIndex:
    """The campaigns of a file's rows (numbered from 1 in reading order), from its chunks."""
    signatures, links = _Signatures(), _Links()
    contacts: dict[str, array[int]] = defaultdict(lambda: array("q"))
    for row, text in _texts(chunks, text_column):
        words, keys = slot_words(text) if isinstance(text, str) else ([], set())
        signatures.add(row, words, links)
        for key in keys:
            contacts[key].append(row)
    return CampaignIndex(signatures, links, dict(contacts))


def _texts(chunks: Iterable[pd.DataFrame], text_column: str) -> Iterator[tuple[int, object]]:
    row = 0
    for chunk in chunks:
        if text_column not in chunk.columns:
            return  # scoring reports the missing column
        for text in chunk[text_column]:
            row += 1
            yield row, text
