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
- an entry may list `requires`: patterns of which at least one must also occur in the ad;
- and `unless`: patterns that cancel a match in the same sentence ("biaya admin … dikenakan
  kepada majikan" is the employer's fee, not the worker's).
- With `negation = true` (the default), a match that starts inside the scope of a negator
  (tidak, tanpa, bukan, jangan, …), or contains one, does not count: "tidak dipungut biaya"
  never fires `upfront_fees`. A negator governs the words attached to it: at most three words
  after it, never past the end of its clause (a comma, semicolon, bracket or sentence end, or
  "tapi", "namun", …), and when it starts a phrase of the catalogue that spells it ("tanpa
  pengalaman", "tidak perlu ijazah"), just that phrase: in "tanpa pengalaman visa turis dulu"
  the visa is not negated. A pattern that spells a negator itself is taken as written.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from pydantic_core import ErrorDetails

from tppo_screen.errors import CatalogueError
from tppo_screen.model.text import Folded, fold

DEFAULT_CATALOGUE = Path(__file__).with_name("redflags.toml")
Kind = Literal["red", "green"]
Severity = Literal["low", "medium", "high"]
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
NEGATORS = frozenset("tidak tanpa bukan jangan tak bebas dilarang larangan anti".split())
NEGATION_WINDOW = 3
# Words that start a new clause: a negation before them does not reach past them.
CLAUSE_WORDS = frozenset("tapi tetapi namun sedangkan melainkan sementara lalu kemudian".split())


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
    unless: tuple[str, ...] = ()
    negation: bool = True
    ilo_indicator: str = ""
    sources: tuple[str, ...] = ()
    fires: tuple[str, ...] = ()  # example sentences it must fire on
    quiet: tuple[str, ...] = ()  # example sentences it must not fire on (negated, look-alikes)


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
    role: str = "main"  # or "requirement" (a `requires` pattern), "exception" (an `unless` one)
    negatable: bool = True  # False when the pattern itself spells a negation ("tanpa pengalaman")


class PatternError(ValueError):
    """A pattern of the catalogue's small language that cannot be compiled."""


def _compile_pattern(source: str, entry: int = 0, role: str = "main") -> _Pattern:
    steps: list[_Step] = []
    gap = 0
    for part in source.lower().split():
        if re.fullmatch(r"~\d+", part):
            if not steps:
                raise PatternError(f"pattern {source!r} cannot start with a gap")
            gap = int(part[1:])
            continue
        alternatives = part.split("|")
        if any(not a or "~" in a for a in alternatives):
            raise PatternError(f"bad word {part!r} in pattern {source!r}")
        exact = frozenset(a for a in alternatives if "*" not in a)
        globs = [re.escape(a).replace(r"\*", r"\w*") for a in alternatives if "*" in a]
        steps.append(_Step(exact, re.compile("|".join(globs)) if globs else None, gap))
        gap = 0
    if not steps:
        raise PatternError(f"empty pattern {source!r}")
    if gap:
        raise PatternError(f"pattern {source!r} cannot end with a gap")
    negatable = not any(step.words & NEGATORS for step in steps)
    return _Pattern(entry, tuple(steps), role, negatable)


def _match_rest(steps: tuple[_Step, ...], words: list[str], i: int, k: int = 0) -> int | None:
    """Step k of `steps` accepted word i: the index of the last word of a match of the steps
    after it (each within its gap of the previous one), or None."""
    k += 1
    if k == len(steps):
        return i
    step = steps[k]
    accepted, globs = step.words, step.globs
    window = words[i + 1 : i + 2 + step.gap]  # the next word, or up to `gap` more
    if globs is None and accepted.isdisjoint(window):
        return None  # most candidates end here: one set operation instead of a loop
    for j, word in enumerate(window, i + 1):
        if word in accepted or (globs is not None and globs.fullmatch(word)):
            end = _match_rest(steps, words, j, k)
            if end is not None:
                return end
    return None


class Catalogue:
    """A loaded catalogue: its entries, the file's SHA-256, and a word index for fast matching.

    Pickles as its TOML text (a model carries the catalogue it was trained with), so the pickle
    is small and its bytes do not depend on set ordering."""

    def __init__(self, entries: list[Entry], sha256: str, source: str, toml: str = "") -> None:
        self.toml = toml
        self.entries = tuple(entries)
        self.sha256 = sha256
        self.source = source
        self.ids = tuple(e.id for e in entries)
        self._position = {entry_id: n for n, entry_id in enumerate(self.ids)}
        self._index: dict[str, list[_Pattern]] = {}
        self._glob_first: list[_Pattern] = []
        for n, entry in enumerate(entries):
            try:
                compiled = [_compile_pattern(p, n) for p in entry.patterns]
                compiled += [_compile_pattern(p, n, "requirement") for p in entry.requires]
                compiled += [_compile_pattern(p, n, "exception") for p in entry.unless]
            except PatternError as exc:
                raise CatalogueError(f"{source}: entry {entry.id!r}: {exc}") from None
            for pattern in compiled:
                first = pattern.steps[0]
                for word in first.words:
                    self._index.setdefault(word, []).append(pattern)
                if first.globs is not None:
                    self._glob_first.append(pattern)

    def __len__(self) -> int:
        return len(self.entries)

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return parse_catalogue, (self.toml, self.source)

    def entry(self, entry_id: str) -> Entry:
        return self.entries[self._position[entry_id]]

    def column(self, entry_id: str) -> int:
        """The position of an entry: its column in the model's catalogue block."""
        return self._position[entry_id]

    def match(self, text: str) -> list[Match]:
        """Every entry found in `text`, in catalogue order, with spans on the original text."""
        return self.match_folded(fold(text))

    def match_folded(self, folded: Folded) -> list[Match]:
        """`match` on an ad already folded (the model pipeline folds each ad once)."""
        hits = self._hits(folded.words)
        found, required = self._kept(folded, hits)
        matches = []
        for n in sorted(found):
            entry = self.entries[n]
            if entry.requires and n not in required:
                continue
            spans = _merge([(folded.starts[i], folded.ends[j]) for i, j in found[n]], folded.text)
            matches.append(Match(entry.id, entry.kind, entry.severity, spans))
        return matches

    def _hits(self, words: list[str]) -> list[tuple[_Pattern, int, int]]:
        """Every pattern that matches the words, with its first and last word."""
        hits: list[tuple[_Pattern, int, int]] = []
        for i, word in enumerate(words):
            candidates = self._index.get(word, [])
            if self._glob_first:
                candidates = candidates + [p for p in self._glob_first if p.steps[0].accepts(word)]
            for pattern in candidates:  # their first step accepts this word
                end = _match_rest(pattern.steps, words, i)
                if end is not None:
                    hits.append((pattern, i, end))
        return hits

    def _kept(
        self, folded: Folded, hits: list[tuple[_Pattern, int, int]]
    ) -> tuple[dict[int, list[tuple[int, int]]], set[int]]:
        """The hits that count, by entry (a negated hit does not; an `unless` hit cancels its
        entry's hits in its sentence), and the entries whose `requires` is met."""
        scopes = _negation_scopes(folded, hits) if not NEGATORS.isdisjoint(folded.words) else {}
        found: dict[int, list[tuple[int, int]]] = {}
        required: set[int] = set()
        excepted: set[tuple[int, int]] = set()  # (entry, sentence) where an `unless` pattern matched
        for pattern, i, end in hits:
            entry = self.entries[pattern.entry]
            if scopes and entry.negation and pattern.negatable and _negated(scopes, i, end):
                continue
            if pattern.role == "requirement":
                required.add(pattern.entry)
            elif pattern.role == "exception":
                excepted.add((pattern.entry, folded.sentences[i]))
            else:
                found.setdefault(pattern.entry, []).append((i, end))
        if excepted:
            found = {
                n: kept
                for n, spans in found.items()
                if (kept := [(i, j) for i, j in spans if (n, folded.sentences[i]) not in excepted])
            }
        return found, required


def _negation_scopes(folded: Folded, hits: list[tuple[_Pattern, int, int]]) -> dict[int, int]:
    """For each negator of the ad, the last word it governs: up to NEGATION_WINDOW words after
    it, not past its clause, and only its own phrase when it starts a phrase of the catalogue
    that spells it ("tanpa pengalaman")."""
    words, clauses = folded.words, folded.clauses
    phrase_end: dict[int, int] = {}
    for pattern, i, end in hits:
        if not pattern.negatable and words[i] in NEGATORS:
            phrase_end[i] = max(phrase_end.get(i, i), end)
    scopes: dict[int, int] = {}
    for k, word in enumerate(words):
        if word not in NEGATORS:
            continue
        last = k
        for j in range(k + 1, min(k + NEGATION_WINDOW, len(words) - 1) + 1):
            if clauses[j] != clauses[k] or words[j] in CLAUSE_WORDS:
                break
            last = j
        scopes[k] = min(last, phrase_end.get(k, last))
    return scopes


def _negated(scopes: dict[int, int], first: int, last: int) -> bool:
    """Whether a match of words first..last starts in a negator's scope or contains a negator."""
    return any(k <= first <= end or first <= k <= last for k, end in scopes.items())


def _merge(raw: list[tuple[int, int]], text: str) -> tuple[Span, ...]:
    spans: list[list[int]] = []
    for start, end in sorted(raw):
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    return tuple(Span(s, e, text[s:e]) for s, e in spans)


class _EntryFile(BaseModel):
    """One `[[red_flag]]` / `[[green_flag]]` table as written in the file (see its header)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    id: str
    severity: Severity
    label_id: str
    label_en: str
    explain_id: str
    explain_en: str
    patterns: list[str]
    requires: list[str] = []
    unless: list[str] = []
    negation: bool = True
    ilo_indicator: str = ""
    sources: list[str] = []
    fires: list[str] = []
    quiet: list[str] = []

    @field_validator("patterns", "requires", "unless")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            _compile_pattern(pattern)  # a PatternError is a ValueError: pydantic reports it
        return patterns

    def entry(self, kind: Kind) -> Entry:
        return Entry(
            id=self.id,
            kind=kind,
            severity=self.severity,
            label={"id": self.label_id, "en": self.label_en},
            explanation={"id": self.explain_id, "en": self.explain_en},
            patterns=tuple(self.patterns),
            requires=tuple(self.requires),
            unless=tuple(self.unless),
            negation=self.negation,
            ilo_indicator=self.ilo_indicator,
            sources=tuple(self.sources),
            fires=tuple(self.fires),
            quiet=tuple(self.quiet),
        )


class _GreenFlagFile(_EntryFile):
    severity: Severity = "low"  # a legitimacy cue needs no severity


class _CatalogueFile(BaseModel):
    """The whole file: `[[red_flag]]` and `[[green_flag]]` tables, nothing else."""

    model_config = ConfigDict(extra="forbid", strict=True)

    red_flag: list[_EntryFile] = []
    green_flag: list[_GreenFlagFile] = []

    def entries(self) -> list[Entry]:
        return [e.entry("red") for e in self.red_flag] + [e.entry("green") for e in self.green_flag]


def _a(value: Any) -> str:
    """What a TOML value is, in words: 'a string', 'an integer', 'a table', …"""
    kinds: tuple[tuple[type, str], ...] = (
        (bool, "a boolean"),  # before int: a bool is an int
        (str, "a string"),
        (int, "an integer"),
        (float, "a number"),
        (list, "a list"),
        (dict, "a table"),
    )
    return next((words for kind, words in kinds if isinstance(value, kind)), f"a {type(value).__name__}")


def _where(loc: tuple[int | str, ...], data: dict[str, Any]) -> str:
    """The entry and field an error is about: "entry 'passport_held' field 'patterns'", or the
    entry's position when it has no id ("entry #3 of [[red_flag]]")."""
    if len(loc) < 2:
        return f"[[{loc[0]}]]"
    table, index, *rest = loc
    raw = data[str(table)][int(index)]
    entry_id = raw.get("id") if isinstance(raw, dict) else None
    where = f"entry {entry_id!r}" if isinstance(entry_id, str) else f"entry #{int(index) + 1} of [[{table}]]"
    if rest:
        where += f" field {rest[0]!r}"
    if len(rest) > 1:
        where += f" item {int(rest[1]) + 1}"
    return where


def _problem(error: ErrorDetails, data: dict[str, Any]) -> str:
    """One validation error of a catalogue file as a sentence naming the entry and the field."""
    loc, kind, value = error["loc"], error["type"], error["input"]
    if kind == "extra_forbidden" and len(loc) == 1:
        return f"unknown table [[{loc[0]}]]: a catalogue has [[red_flag]] and [[green_flag]] tables"
    if kind == "extra_forbidden":
        known = ", ".join(_EntryFile.model_fields)
        return f"{_where(loc[:-1], data)}: unknown field {loc[-1]!r} (the fields are {known})"
    expected = {
        "list_type": "a list of tables" if len(loc) == 1 else "a list of strings",
        "string_type": "a string",
        "bool_type": "true or false",
        "model_type": "a table",
        "literal_error": f"one of {', '.join(SEVERITIES)}",
    }.get(kind)
    if kind == "missing":
        problem = "missing (every entry needs it)"
    elif kind == "value_error":
        problem = str(error.get("ctx", {}).get("error", error["msg"]))
    elif kind == "literal_error":
        problem = f"expected {expected}, got {value!r}"
    elif expected is not None:
        problem = f"expected {expected}, got {_a(value)}"
    else:
        problem = error["msg"]
    return f"{_where(loc, data)}: {problem}"


def _validated(data: dict[str, Any], source: str) -> list[Entry]:
    """The entries of a parsed catalogue file, or a CatalogueError naming the first problem."""
    try:
        entries = _CatalogueFile.model_validate(data).entries()
    except ValidationError as exc:
        errors = exc.errors()
        more = len(errors) - 1
        more_text = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise CatalogueError(f"{source}: {_problem(errors[0], data)}{more_text}") from None
    if not entries:
        raise CatalogueError(f"{source}: no [[red_flag]] or [[green_flag]] entries")
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            raise CatalogueError(f"{source}: entry {entry.id!r} field 'id': is used twice")
        seen.add(entry.id)
    return entries


def load_catalogue(path: Path | str | None = None) -> Catalogue:
    """Load and check a catalogue file (TOML with `[[red_flag]]` and `[[green_flag]]` tables)."""
    path = Path(path) if path is not None else DEFAULT_CATALOGUE
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise CatalogueError(f"cannot read catalogue {path}: {exc.strerror or exc}") from None
    try:
        toml = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CatalogueError(f"{path} is not UTF-8 text: {exc}") from None
    # The shipped file is named without the install path, which would otherwise end up in models.
    return parse_catalogue(toml, "redflags.toml (shipped)" if path == DEFAULT_CATALOGUE else str(path))


def parse_catalogue(toml: str, source: str = "<catalogue>") -> Catalogue:
    """Check and compile a catalogue from its TOML text; `source` names it in error messages.
    (Models pickle their catalogue as a call of this function on its text: keep its name.)"""
    try:
        data = tomllib.loads(toml)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{source} is not a valid TOML catalogue: {exc}") from None
    sha256 = hashlib.sha256(toml.encode("utf-8")).hexdigest()
    return Catalogue(_validated(data, source), sha256, source, toml)


CUE_RULE = (
    "legitimacy cues do not count next to a high-severity red flag: a claimed licence does not cancel it"
)


def cues_count(matches: list[Match]) -> bool:
    """THE cue rule (`CUE_RULE`): whether legitimacy cues may lower the risk of an ad with these
    matches, i.e. no high-severity red flag is present. A licence number or "terdaftar
    SISKOP2MI" is easy to claim, and no licensed channel places workers in a scam compound, on
    a tourist visa or with the passport held (redflags.md), so a claimed cue must not cancel
    such a sign. The model's features (`counted`) and the explanations of a score both follow it."""
    return not any(m.kind == "red" and m.severity == "high" for m in matches)


def counted(matches: list[Match]) -> list[Match]:
    """The matches that are evidence for the model, in order: every red flag, and the
    legitimacy cues when `cues_count` lets them count."""
    return matches if cues_count(matches) else [m for m in matches if m.kind == "red"]


def example_failures(catalogue: Catalogue) -> list[str]:
    """Every example of the catalogue that does not behave as stated: a `fires` sentence its
    entry misses, or a `quiet` sentence it fires on. Empty when the catalogue is consistent."""
    failures = []
    for entry in catalogue.entries:
        for sentence in entry.fires:
            if entry.id not in {m.id for m in catalogue.match(sentence)}:
                failures.append(f"{entry.id}: does not fire on {sentence!r}")
        for sentence in entry.quiet:
            if entry.id in {m.id for m in catalogue.match(sentence)}:
                failures.append(f"{entry.id}: fires on {sentence!r} (listed as quiet)")
    return failures


@cache
def default_catalogue() -> Catalogue:
    """The catalogue shipped with tppo-screen (loaded once, on first use)."""
    return load_catalogue(DEFAULT_CATALOGUE)
