"""The demo page's gallery: real sample ads, verbatim, both classes, in step with its generator."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tppo_screen.errors import DataError
from tppo_screen.corpus.gallery import GALLERY, LISTINGS, PICKS, build_gallery, write_gallery


def _gallery() -> list[dict[str, str]]:
    return json.loads(GALLERY.read_text(encoding="utf-8"))


def test_every_gallery_text_is_verbatim_from_the_sample_listings() -> None:
    with LISTINGS.open(encoding="utf-8", newline="") as handle:
        listings = {row["id"]: row for row in csv.DictReader(handle)}
    texts = {row["text"] for row in listings.values()}
    for ad in _gallery():
        assert ad["text"] in texts, ad["id"]
        assert listings[ad["id"]]["text"] == ad["text"] and listings[ad["id"]]["source"] == ad["source"]


def test_gallery_has_at_least_12_ads_of_both_classes_about_half_each() -> None:
    ads = _gallery()
    labels = [ad["label"] for ad in ads]
    assert len(ads) >= 12 and set(labels) == {"high_risk", "legit"}
    assert abs(labels.count("high_risk") - labels.count("legit")) <= 2
    assert len({ad["id"] for ad in ads}) == len(ads)
    assert all(ad["title"] and len(ad["title"]) <= 60 for ad in ads)


def test_gallery_labels_follow_the_source_classes() -> None:
    for ad in _gallery():
        expected = "high_risk" if ad["source"].endswith("high_risk") else "legit"
        assert ad["label"] == expected, ad["id"]


def test_shipped_gallery_is_what_the_generator_writes(tmp_path: Path) -> None:
    out = tmp_path / "gallery.json"
    write_gallery(build_gallery(LISTINGS), out)
    assert out.read_bytes() == GALLERY.read_bytes(), "run: tppo-screen corpus gallery"


def test_a_pick_missing_from_the_listings_is_named() -> None:
    with pytest.raises(DataError, match="no-such-ad"):
        build_gallery(LISTINGS, (*PICKS[:2], ("no-such-ad", "x")))
