"""Real-world texts: job ads and offers quoted from public pages, each with its source.

`data/real/*.jsonl` holds them, one object per line (`RealText`): the text as the page gives it
(masked), its label, how it was obtained (`kind`: a verbatim quote, a close paraphrase of the
offer's terms, a portal listing, an official announcement, an honest informal post), the scheme
(`modus`), the register, the source URL and date, and one line of reason. Nobody in this
project wrote them, so they measure what users meet; `corpus` groups them by source page and
keeps a real-world test split apart (`data/real/test.csv`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tppo_screen.corpus.privacy import mask_contacts
from tppo_screen.errors import DataError

Kind = Literal["verbatim", "paraphrase", "portal", "official", "informal"]
HIGH_RISK_MODUS = (
    "scam_compound",
    "nonprocedural_migration",
    "fishing",
    "entertainment",
    "domestic_work",
    "fake_internship",
    "fee_scam",
    "hoax_official",
    "phishing",
    "task_scam",
)
LEGIT_MODUS = ("legit_portal", "legit_official", "legit_overseas_official", "legit_informal")


class RealText(BaseModel):
    """One real-world text and where it comes from."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str = Field(pattern=r"^rw[\w-]+$")
    text: str = Field(min_length=1)
    label: Literal["high_risk", "legit"]
    kind: Kind
    modus: str
    register_: Literal["formal", "informal"] = Field(alias="register")  # BaseModel has .register
    source_url: str = Field(pattern=r"^https?://\S+$")
    source_date: str = Field(pattern=r"^(\d{4}(-\d{2}(-\d{2})?)?)?$")
    reason: str = Field(min_length=1)

    @model_validator(mode="after")
    def _modus_fits_label(self) -> RealText:
        allowed = HIGH_RISK_MODUS if self.label == "high_risk" else LEGIT_MODUS
        if self.modus not in allowed:
            raise ValueError(f"modus {self.modus!r} is not one of {', '.join(allowed)} for {self.label}")
        return self


def mask(text: str) -> str:
    """Phones, e-mails and t.me/wa.me links masked (`privacy.mask_contacts`), the `[nama]` of the
    shared pool written `<nama>` like everywhere else in data/. Names of private persons are
    masked by whoever quotes a text (the pool's curators, the importers), not by a pattern: a
    pattern also masks brands ("atas nama Shopee Indonesia")."""
    return mask_contacts(text.replace("[nama]", "<nama>"))


def read_real(paths: Iterable[Path]) -> list[RealText]:
    """Every row of these JSONL files, checked; a bad row is a `DataError` naming file and line."""
    rows: list[RealText] = []
    for path in paths:
        for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append(RealText.model_validate(json.loads(line)))
            except (json.JSONDecodeError, ValidationError) as exc:
                raise DataError(f"{path}:{lineno}: {exc}") from None
    seen: set[str] = set()
    for row in rows:
        if row.id in seen:
            raise DataError(f"real-world id {row.id!r} is used twice")
        seen.add(row.id)
    return rows


def page_key(url: str, text: str) -> str:
    """The source page a text belongs to, so a grouped split keeps a page together. A news page
    is its address without query or fragment (`?page=2` is the same article); a row of a data
    file on GitHub (cited with `#id=…`) is its own item; a portal scrape's rows group by the
    advertiser ("Title – Company – City")."""
    parts = urlsplit(url)
    page = f"{parts.netloc.removeprefix('www.').removeprefix('m.')}{parts.path.rstrip('/')}".lower()
    if parts.netloc == "github.com" and "/blob/" in parts.path:
        fields = re.split(r"\s[–-]\s", text, maxsplit=2)
        if parts.fragment:
            return f"page:{page}#{parts.fragment}"
        if len(fields) == 3:
            return f"company:{fields[1].strip().lower()}"
    return f"page:{page}"


def real_frame(rows: list[RealText]) -> pd.DataFrame:
    """The rows as a corpus frame (`source` = real_<kind>, grouping `key` = the source page)."""
    return pd.DataFrame(
        {
            "id": [row.id for row in rows],
            "text": [row.text for row in rows],
            "label": [row.label for row in rows],
            "source": [f"real_{row.kind}" for row in rows],
            "register": [row.register_ for row in rows],
            "red_flags": "",
            "modus": [row.modus for row in rows],
            "key": [page_key(row.source_url, row.text) for row in rows],
            "source_url": [row.source_url for row in rows],
        }
    )


def write_real(rows: Iterable[RealText], path: Path) -> None:
    """Write rows as JSONL (UTF-8, one object per line, in the order given)."""
    lines = [json.dumps(row.model_dump(by_alias=True), ensure_ascii=False) for row in rows]
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
