"""One-off: add the seal (tppo_screen.model.artifacts.seal_of) to a card written before cards
were sealed, without retraining and without touching the model file.

    .venv/bin/python scripts/seal_card.py models/default.joblib

It refuses unless the model file still matches the SHA-256 its card records, and it changes
nothing in the card but the added `seal` (checked: the card re-read without its seal equals
the card as it was). Used once, for the shipped models/default.card.json (issue 21).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tppo_screen.model.artifacts import ModelCard, card_path, seal_of, sha256_file


def main(model: Path) -> None:
    cpath = card_path(model)
    before = json.loads(cpath.read_text(encoding="utf-8"))
    sha = sha256_file(model)
    if before.get("artifact", {}).get("sha256") != sha:
        raise SystemExit(f"{model} does not match its card: not sealing")
    card = ModelCard.model_validate(before)  # also validates the thresholds
    after = {**before, "seal": seal_of(card, sha)}
    assert {k: v for k, v in after.items() if k != "seal"} == before
    cpath.write_text(json.dumps(after, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"sealed {cpath}: {', '.join(after['seal'])}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
