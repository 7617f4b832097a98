"""Check authored ad files (JSONL) before they enter the corpus.

Usage: python scripts/check_authored.py data/authored/FILE.jsonl [more files...]

Checks: valid JSON per line, required fields, unique ids, known red-flag ids,
word counts 8-400, masked contacts (no real-looking phone numbers or e-mails),
and that no two ads share more than 60% of their word 5-grams.

Counterfactual twins carry `twin_of` (the id of the ad they were edited from: an authored id,
or a real corpus id such as lokerid-123 from data/train.csv or data/test.csv) and `edit` (one
line: what was changed). A twin must have the other label, must differ from its original, and
is exempt from the overlap rule against its original and that original's other twins.
Standard library only, so it runs before anything is installed.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path

RED_FLAGS = {
    "salary_too_good",
    "foreign_currency_salary",
    "no_qualifications_needed",
    "vague_job_description",
    "urgent_pressure",
    "free_departure_debt",
    "unclear_employer",
    "unlicensed_recruiter",
    "trusted_intermediary_lure",
    "chat_only_contact",
    "impersonation_official",
    "phishing_data_harvest",
    "upfront_fees",
    "debt_bondage",
    "withheld_wages",
    "excessive_hours",
    "passport_handling",
    "id_document_collection",
    "tourist_visa",
    "secrecy_instruction",
    "irregular_route",
    "no_contract",
    "document_fraud",
    "bypass_g2g_channel",
    "scam_compound_destination",
    "banned_destination_or_sector",
    "entertainment_sexual_exploitation",
    "body_photo_request",
    "domestic_migration_lure",
    "fishing_vessel",
    "domestic_work_exploitation",
    "internship_disguise",
    "age_gender_targeting",
    "minor_targeting",
}
REQUIRED = {"id", "text", "label", "register", "red_flags", "modus", "language"}
PHONE = re.compile(r"(\+?62|\b0)8\d{2}[- .]?\d{3,4}[- .]?\d{3,5}\b")
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+\b")
WORD = re.compile(r"\w+", re.UNICODE)


def shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    words = WORD.findall(text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def corpus_ads(directory: Path) -> dict[str, dict]:
    """Real and authored ads already in the built corpus (id -> row), for twin checks."""
    ads: dict[str, dict] = {}
    csv.field_size_limit(10_000_000)
    for name in ("train.csv", "test.csv"):
        path = directory / name
        if path.exists():
            with path.open(encoding="utf-8", newline="") as handle:
                ads.update({row["id"]: row for row in csv.DictReader(handle)})
    return ads


def family(ad: dict) -> str:
    """Ads edited from the same original (and the original itself) form one family."""
    return ad.get("twin_of") or ad["id"]


def check(paths: list[Path], corpus: dict[str, dict] | None = None) -> list[str]:
    """Every problem of the ads in `paths`: each ad's own, then the twins', then the overlaps."""
    corpus = corpus if corpus is not None else corpus_ads(Path(__file__).resolve().parent.parent / "data")
    ads, problems = read_ads(paths)
    return problems + twin_problems(ads, corpus) + overlap_problems(ads)


def read_ads(paths: list[Path]) -> tuple[list[dict], list[str]]:
    """The ads of `paths` (each with `_where`: file and line) and the problems of each line."""
    problems: list[str] = []
    ads: list[dict] = []
    seen: set[str] = set()
    for path in paths:
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            where = f"{path.name}:{lineno}"
            try:
                ad = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"{where}: not valid JSON ({exc})")
                continue
            missing = REQUIRED - ad.keys()
            if missing:
                problems.append(f"{where}: missing fields {sorted(missing)}")
                continue
            if ad["id"] in seen:
                problems.append(f"{where}: duplicate id {ad['id']}")
            seen.add(ad["id"])
            problems += [f"{where}: {problem}" for problem in ad_problems(ad)]
            ads.append({**ad, "_where": where})
    return ads, problems


def ad_problems(ad: dict) -> list[str]:
    """What is wrong with one ad on its own: label, register, red flags, length, contacts."""
    problems = []
    if ad["label"] not in {"high_risk", "legit"}:
        problems.append("label must be high_risk or legit")
    if ad["register"] not in {"formal", "informal"}:
        problems.append("register must be formal or informal")
    unknown = set(ad["red_flags"]) - RED_FLAGS
    if unknown:
        problems.append(f"unknown red-flag ids {sorted(unknown)}")
    if ad["label"] == "high_risk" and not ad["red_flags"]:
        problems.append("a high_risk ad needs at least one red flag")
    n_words = len(WORD.findall(ad["text"]))
    if not 8 <= n_words <= 400:
        problems.append(f"{n_words} words (must be 8-400)")
    if PHONE.search(ad["text"]):
        problems.append("unmasked phone number; write 08xx-xxxx-xxxx")
    if EMAIL.search(ad["text"]):
        problems.append("unmasked e-mail; write <email>")
    if "twin_of" in ad and not str(ad.get("edit", "")).strip():
        problems.append("a twin needs `edit`, one line saying what was changed")
    return problems


def twin_problems(ads: list[dict], corpus: dict[str, dict]) -> list[str]:
    """Twins whose original is unknown, has the same label or the same text."""
    by_id = {ad["id"]: ad for ad in ads}
    problems = []
    for ad in ads:
        if "twin_of" not in ad:
            continue
        original = by_id.get(ad["twin_of"]) or corpus.get(ad["twin_of"])
        if original is None:
            problems.append(f"{ad['_where']}: twin_of {ad['twin_of']!r} is not an authored or corpus id")
        elif original["label"] == ad["label"]:
            problems.append(f"{ad['_where']}: a twin must have the other label than {ad['twin_of']}")
        elif original["text"].strip() == ad["text"].strip():
            problems.append(f"{ad['_where']}: twin text is identical to {ad['twin_of']}")
    return problems


def overlap_problems(ads: list[dict]) -> list[str]:
    """Pairs of ads outside one twin family that share more than 60% of their word 5-grams."""
    grams = [shingles(ad["text"]) for ad in ads]
    index: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, gram_set in enumerate(grams):
        for gram in gram_set:
            index[gram].append(i)
    shared: Counter[tuple[int, int]] = Counter()
    for holders in index.values():
        shared.update(combinations(holders, 2))
    problems = []
    for (i, j), count in sorted(shared.items()):
        a, b = ads[i], ads[j]
        if family(a) == family(b) or a["id"] == family(b) or b["id"] == family(a):
            continue
        overlap = count / min(len(grams[i]), len(grams[j]))
        if overlap > 0.6:
            problems.append(f"{a['_where']} and {b['_where']}: share {overlap:.0%} of word 5-grams (max 60%)")
    return problems


def main() -> int:
    paths = [Path(p) for p in sys.argv[1:]]
    if not paths:
        print(__doc__)
        return 2
    problems = check(paths)
    for problem in problems:
        print(problem)
    total = sum(1 for p in paths for line in p.read_text(encoding="utf-8").splitlines() if line.strip())
    print(f"{total} ads checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
