"""Import real-world texts into data/real/: check each row, mask it like the rest of data/.

Usage: python scripts/import_real_world.py SOURCE.jsonl [...] -o data/real/NAME.jsonl

Rows are checked against `tppo_screen.corpus.realworld.RealText` (fields, labels, modus, a source URL);
their text is masked (phones, e-mails, names after honorifics, handles; `[nama]` → `<nama>`);
a row whose normalised text is already in data/real/ (another file) is left out and listed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tppo_screen.corpus.realworld import RealText, mask, read_real, write_real
from tppo_screen.model.text import normalize

REAL = Path(__file__).resolve().parent.parent / "data" / "real"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="+", type=Path)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    others = [p for p in sorted(REAL.glob("*.jsonl")) if p.resolve() != args.output.resolve()]
    known = {normalize(row.text) for row in read_real(others)}
    kept, skipped = [], []
    for source in args.sources:
        for line in source.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            raw = json.loads(line)
            row = RealText.model_validate({**raw, "text": mask(raw["text"]).strip()})
            if normalize(row.text) in known:
                skipped.append(row.id)
                continue
            known.add(normalize(row.text))
            kept.append(row)
    write_real(kept, args.output)
    print(f"{len(kept)} rows written to {args.output}; {len(skipped)} already in data/real/: {skipped[:20]}")


if __name__ == "__main__":
    main()
