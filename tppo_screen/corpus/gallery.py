"""The demo page's gallery: hand-picked ads from data/samples/listings.csv, texts verbatim.

    tppo-screen corpus gallery [--listings data/samples/listings.csv] [--out …/web/gallery.json]

The picks (`PICKS`) are chosen for teaching: both classes, formal and informal ads, emoji, a
high-risk ad next to its honest twin, and honest ads that the shipped model scores high (a
trainer should see that the tool can err). Titles are ours; the text is copied from the listings file,
which is already privacy-masked (phones `08xx-xxxx-xxxx`, `<email>`, `@<akun>`). A pick missing
from the listings stops the command with its id: choose another one from the file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal, TypedDict

import pandas as pd

from tppo_screen.config import DATA_DIR, WEB_DIR
from tppo_screen.errors import DataError

LISTINGS = DATA_DIR / "samples" / "listings.csv"
GALLERY = WEB_DIR / "gallery.json"

Label = Literal["high_risk", "legit"]

# source (data/README.md) → class; twins carry the class they were edited into
LABELS: dict[str, Label] = {
    "authored_high_risk": "high_risk",
    "twin_high_risk": "high_risk",
    "authored_legit": "legit",
    "twin_legit": "legit",
    "lokerid": "legit",
    "maganghub": "legit",
    "dtp": "legit",
}

# (id, title), in the order the gallery and the quiz show them (the classes do not simply alternate)
PICKS: tuple[tuple[str, str], ...] = (
    ("hr2K-090", "Admin & CS di Laos"),
    ("lokerid-3249764", "Admin gudang di Bandung Barat"),
    ("lgH-030", "Perawat ke Jerman (G to G)"),
    ("hrB-038", "Terapis spa di Makau"),
    ("hrA-006", "Marketing di Ho Chi Minh City"),
    ("twC-045", "Marketing di Ho Chi Minh City (versi 2)"),
    ("lg2F-080", "Pekerja rumah tangga di Singapura"),
    ("hrC-039", "ART & jaga anak di Tawau, Sabah"),
    ("twC-025", "Pelayan kedai kopi di Timika"),
    ("hr2E-002", "LC karaoke di Timika"),
    ("hrE-014", "Program kerja ke Korea Selatan (LPK)"),
    ("twC-013", "Kursus EPS-TOPIK Korea (LPK)"),
    ("maganghub-f5007228", "Sales online di Sleman (MagangHub)"),
    ("twG-049", "Admin optimalisasi aset di Makassar"),
    ("hr2K-029", "Kru kapal pesiar internasional"),
    ("lgG-012", "Desainer & operator percetakan di Medan"),
)


class GalleryAd(TypedDict):
    id: str
    title: str
    label: Label
    source: str
    text: str


def build_gallery(listings: Path, picks: tuple[tuple[str, str], ...] = PICKS) -> list[GalleryAd]:
    """The picked ads from `listings` (columns id, source, text), texts verbatim, in pick order."""
    frame = pd.read_csv(listings, dtype=str, keep_default_na=False).set_index("id")
    missing = [ad_id for ad_id, _ in picks if ad_id not in frame.index]
    if missing:
        raise DataError(f"{listings}: no listing with id {', '.join(missing)}; pick others in PICKS")
    ads: list[GalleryAd] = []
    for ad_id, title in picks:
        source = str(frame.at[ad_id, "source"])
        if source not in LABELS:
            raise DataError(f"{listings}: listing {ad_id} has source {source!r}, whose class is unknown")
        ads.append(
            GalleryAd(
                id=ad_id, title=title, label=LABELS[source], source=source, text=str(frame.at[ad_id, "text"])
            )
        )
    return ads


def write_gallery(ads: list[GalleryAd], out: Path) -> None:
    """Write the gallery as indented UTF-8 JSON (emoji kept as they are), ending in a newline."""
    out.write_text(json.dumps(ads, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
