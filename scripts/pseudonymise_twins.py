"""Replace the real advertiser's name in high-risk twins of real ads with an invented one.

Usage: python scripts/pseudonymise_twins.py [--raw ../shared/data/raw] data/authored/FILE.jsonl ...

A twin edited from a real Loker.id/MagangHub/DTP ad keeps the original's wording, including the
company's name; next to red flags we wrote, that name must not appear in anything we commit.
The corpus build does the same replacement (and for the portal header it adds), with the same
stable pseudonym per twin id, so running this script and then `make data` changes nothing twice.
Files are rewritten in place, whole, only when something changed.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from tppo_screen.corpus.build import load_real
from tppo_screen.corpus.privacy import pseudonym, replace_company


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--raw", type=Path, default=Path("../shared/data/raw"))
    args = parser.parse_args()
    companies = load_real(args.raw).set_index("id")["company"].to_dict()
    for path in args.files:
        ads = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
        changed = 0
        for ad in ads:
            company = companies.get(ad.get("twin_of", ""), "")
            if ad["label"] == "high_risk" and company:
                text = replace_company(ad["text"], company, pseudonym(ad["id"]))
                changed += text != ad["text"]
                ad["text"] = text
        if changed:
            tmp = path.with_suffix(".tmp")
            tmp.write_text("".join(json.dumps(ad, ensure_ascii=False) + "\n" for ad in ads), encoding="utf-8")
            os.replace(tmp, path)
        print(f"{path}: {changed} of {len(ads)} ads changed")


if __name__ == "__main__":
    main()
