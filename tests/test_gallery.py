"""The demo page's gallery: real sample ads, verbatim, both classes, in step with its generator."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tppo_screen.cli import app
from tppo_screen.corpus.gallery import GALLERY, LISTINGS, PICKS, build_gallery, write_gallery
from tppo_screen.errors import DataError


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


def test_corpus_gallery_command_writes_the_shipped_gallery(tmp_path: Path) -> None:
    out = tmp_path / "gallery.json"
    result = CliRunner().invoke(app, ["corpus", "gallery", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == GALLERY.read_bytes()
    assert f"{len(PICKS)} ads" in result.output


def test_corpus_gallery_command_names_a_missing_pick_in_one_line(tmp_path: Path) -> None:
    listings = tmp_path / "listings.csv"
    listings.write_text("id,source,text\nx-1,lokerid,Lowongan admin gudang\n", encoding="utf-8")
    args = ["corpus", "gallery", "--listings", str(listings), "--out", str(tmp_path / "g")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert "error:" in result.output and PICKS[0][0] in result.output and "Traceback" not in result.output
    assert not (tmp_path / "g").exists()
