"""Check authored ad files (JSONL) before they enter the corpus.

Usage: python scripts/check_authored.py data/authored/FILE.jsonl [more files...]

Checks: valid JSON per line, required fields, unique ids, known red-flag ids,
word counts 10-400, masked contacts (no real-looking phone numbers or e-mails),
and that no two ads share more than 60% of their word 5-grams.
Standard library only, so it runs before anything is installed.
"""

from __future__ import annotations

import json
import re
import sys
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


def check(paths: list[Path]) -> list[str]:
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
            if ad["label"] not in {"high_risk", "legit"}:
                problems.append(f"{where}: label must be high_risk or legit")
            if ad["register"] not in {"formal", "informal"}:
                problems.append(f"{where}: register must be formal or informal")
            unknown = set(ad["red_flags"]) - RED_FLAGS
            if unknown:
                problems.append(f"{where}: unknown red-flag ids {sorted(unknown)}")
            if ad["label"] == "high_risk" and not ad["red_flags"]:
                problems.append(f"{where}: a high_risk ad needs at least one red flag")
            n_words = len(WORD.findall(ad["text"]))
            if not 10 <= n_words <= 400:
                problems.append(f"{where}: {n_words} words (must be 10-400)")
            if PHONE.search(ad["text"]):
                problems.append(f"{where}: unmasked phone number; write 08xx-xxxx-xxxx")
            if EMAIL.search(ad["text"]):
                problems.append(f"{where}: unmasked e-mail; write <email>")
            ads.append({**ad, "_where": where})
    grams = [shingles(ad["text"]) for ad in ads]
    for (i, a), (j, b) in combinations(enumerate(ads), 2):
        ga, gb = grams[i], grams[j]
        if not ga or not gb:
            continue
        overlap = len(ga & gb) / min(len(ga), len(gb))
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
