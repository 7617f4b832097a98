"""Bring the hand-labelled Telegram job posts into data/real/ as real-world texts.

Usage: python scripts/import_telegram.py [--raw ../shared/data/raw]

The labels (message id, label, red flags, one-line reason) live in data/labels/telegram.csv;
the texts come from the raw Telegram dump (`telegram_group_id`, see SOURCES.md), masked with
`privacy.mask_people` (phones, e-mails, names after honorifics, handles: the dump holds real
members' personal data). Posts that read as English, or have fewer than 8 words, are left out:
tppo-screen scores Indonesian ads. Writes data/real/telegram.jsonl.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from tppo_screen.corpus.build import MIN_WORDS, guess_language
from tppo_screen.corpus.privacy import mask_people
from tppo_screen.corpus.realworld import RealText, write_real

ROOT = Path(__file__).resolve().parent.parent
DUMP = "https://github.com/nabilafirdaiss/telegram_UAP/blob/25e421c0c4edd29d0934b3a8d442c5d88b0c096a/datasetTelegram.csv"
# the scheme of each high-risk post, read from its text and reason
HIGH_RISK_MODUS = {
    "118739": "hoax_official",
    "119941": "phishing",
    "117532": "hoax_official",
    "116338": "phishing",
    "117047": "hoax_official",
    "117417": "hoax_official",
    "117472": "task_scam",
    "120173": "task_scam",
    "122455": "task_scam",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=ROOT.parent / "shared" / "data" / "raw")
    args = parser.parse_args()
    labels = pd.read_csv(ROOT / "data" / "labels" / "telegram.csv", dtype=str, keep_default_na=False)
    dump = (
        pd.read_csv(
            args.raw / "telegram_group_id" / "datasetTelegram.csv",
            usecols=["id", "date", "message"],
            dtype=str,
            keep_default_na=False,
        )
        .drop_duplicates("id")
        .set_index("id")
    )
    rows, skipped = [], []
    for label in labels.itertuples(index=False):
        text = mask_people(dump.at[label.message_id, "message"]).strip()
        if len(text.split()) < MIN_WORDS or guess_language(text) != "id":
            skipped.append(label.message_id)
            continue
        high_risk = label.label == "high_risk"
        rows.append(
            RealText(
                id=f"rw_tg_{label.message_id}",
                text=text,
                label=label.label,
                kind="verbatim" if high_risk else "informal",
                modus=HIGH_RISK_MODUS[label.message_id] if high_risk else "legit_informal",
                register="informal",
                source_url=f"{DUMP}#id={label.message_id}",
                source_date=dump.at[label.message_id, "date"][:10],
                reason=label.reason,
            )
        )
    write_real(rows, ROOT / "data" / "real" / "telegram.jsonl")
    print(f"{len(rows)} posts written; {len(skipped)} left out (English or under {MIN_WORDS} words)")


if __name__ == "__main__":
    main()
