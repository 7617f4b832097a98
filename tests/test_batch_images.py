"""`tppo-screen score` over pictures: a folder of images and a table's --image-column, with real
Tesseract and posters rendered here in DejaVu (fonts-dejavu-core)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from typer.testing import CliRunner, Result

from tests.posters import SANS, SCAM_POSTER_TEXT, encoded, render_poster
from tppo_screen.cli import app

runner = CliRunner()
LEGIT_POSTER_TEXT = """Lowongan Staf Administrasi
PT Sinar Abadi, Bandung
Pendidikan minimal D3 Akuntansi
Lamaran dikirim lewat situs resmi perusahaan"""
pytestmark = pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract missing: run `make ocr`")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two posters (one in a sub-folder, one as JPEG), a text file, a cut-off PNG, an empty
    file and a hidden file; six rows in path order, two chunks of pictures."""
    root = tmp_path_factory.mktemp("pictures")
    (root / "sub").mkdir()
    scam = encoded(render_poster(SCAM_POSTER_TEXT).image)
    (root / "b_scam.png").write_bytes(scam)
    legit = render_poster(LEGIT_POSTER_TEXT, paper=(255, 255, 255)).image
    (root / "sub" / "legit.jpg").write_bytes(encoded(legit, "JPEG", quality=85))
    (root / "a_notes.txt").write_text("bukan gambar", encoding="utf-8")
    (root / "c_cut.png").write_bytes(scam[: len(scam) // 3])
    (root / "d_empty.webp").write_bytes(b"")
    (root / ".hidden.png").write_bytes(scam)
    return root


def _score(source: Path, output: Path, *options: str) -> Result:
    return runner.invoke(app, ["score", str(source), "-o", str(output), "--quiet", *options])


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def folder_run(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, str]:
    """The folder scored once: the output table and what the command printed."""
    output = tmp_path_factory.mktemp("out") / "pictures.csv"
    result = _score(folder, output)
    assert result.exit_code == 0, result.output
    return _read(output), result.output


@pytest.fixture(scope="module")
def scored_folder(folder_run: tuple[pd.DataFrame, str]) -> pd.DataFrame:
    return folder_run[0]


def test_the_summary_of_a_folder_names_the_riskiest_pictures_by_their_paths(
    folder_run: tuple[pd.DataFrame, str],
) -> None:
    assert "b_scam.png" in folder_run[1]


def test_a_folder_is_scored_picture_by_picture_in_path_order(scored_folder: pd.DataFrame) -> None:
    rows = scored_folder.set_index("image")
    assert list(scored_folder["image"]) == [
        "a_notes.txt",
        "b_scam.png",
        "c_cut.png",
        "d_empty.webp",
        "sub/legit.jpg",
    ]
    assert list(scored_folder.columns[:3]) == ["image", "ocr_text", "ocr_confidence"]
    assert {"risk_score", "risk_level", "red_flags", "error"} <= set(scored_folder.columns)
    assert "KAMBOJA" in rows.loc["b_scam.png", "ocr_text"] and "paspor" in rows.loc["b_scam.png", "ocr_text"]
    assert rows.loc["b_scam.png", "risk_level"] == "high"
    assert float(rows.loc["b_scam.png", "ocr_confidence"]) > 80
    assert "Administrasi" in rows.loc["sub/legit.jpg", "ocr_text"]
    assert float(rows.loc["sub/legit.jpg", "risk_score"]) < float(rows.loc["b_scam.png", "risk_score"])


def test_files_that_are_not_readable_pictures_keep_their_row_with_the_reason(
    scored_folder: pd.DataFrame,
) -> None:
    rows = scored_folder.set_index("image")
    reasons = {
        "a_notes.txt": "not a picture",
        "c_cut.png": "damaged or cut short",
        "d_empty.webp": "the file is empty (0 bytes)",
    }
    for name, reason in reasons.items():
        assert rows.loc[name, "risk_level"] == "error"
        assert reason in rows.loc[name, "error"], rows.loc[name, "error"]
        assert rows.loc[name, "ocr_text"] == "" and rows.loc[name, "risk_score"] == ""
    assert set(rows.loc[["b_scam.png", "sub/legit.jpg"], "error"]) == {""}


def test_a_table_names_its_pictures_relative_to_its_folder(
    folder: Path, scored_folder: pd.DataFrame, tmp_path: Path
) -> None:
    pictures = tmp_path / "pictures"
    shutil.copytree(folder, pictures)
    table = tmp_path / "uploads.csv"
    paths = ["pictures/sub/legit.jpg", "pictures/missing.png", "", "pictures/b_scam.png", "pictures"]
    pd.DataFrame({"id": ["u1", "u2", "u3", "u4", "u5"], "path": paths}).to_csv(table, index=False)
    result = _score(table, tmp_path / "out.csv", "--image-column", "path", "--id-column", "id")
    assert result.exit_code == 0, result.output
    out = _read(tmp_path / "out.csv")
    assert list(out["id"]) == ["u1", "u2", "u3", "u4", "u5"] and list(out["path"]) == paths
    assert list(out["risk_level"][[1, 2, 4]]) == ["error"] * 3
    assert "no such file" in out["error"][1] and "no image path" in out["error"][2]
    assert "a folder, not a file" in out["error"][4]
    by_image = scored_folder.set_index("image")
    assert out["ocr_text"][0] == by_image.loc["sub/legit.jpg", "ocr_text"]
    assert out["risk_score"][3] == by_image.loc["b_scam.png", "risk_score"]


def test_a_missing_image_column_or_an_empty_folder_is_refused_without_output(tmp_path: Path) -> None:
    table = tmp_path / "uploads.csv"
    table.write_text("id,file\n1,a.png\n", encoding="utf-8")
    result = _score(table, tmp_path / "out.csv", "--image-column", "path")
    assert result.exit_code != 0
    assert "no column 'path'" in result.output and "--image-column" in result.output
    (tmp_path / "empty").mkdir()
    result = _score(tmp_path / "empty", tmp_path / "out.csv")
    assert result.exit_code != 0 and "no files in the folder" in result.output
    (tmp_path / "empty" / "a.png").write_bytes(b"")
    result = _score(tmp_path / "empty", tmp_path / "out.csv", "--campaigns")
    assert result.exit_code != 0 and "does not work on pictures" in result.output
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.slow
def test_two_workers_give_the_same_rows(folder: Path, scored_folder: pd.DataFrame, tmp_path: Path) -> None:
    result = _score(folder, tmp_path / "two.csv", "--workers", "2")
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(_read(tmp_path / "two.csv"), scored_folder)


def test_a_picture_read_with_low_confidence_is_scored_with_a_warning(tmp_path: Path) -> None:
    """Small grey text under heavy noise, blur and JPEG q30: Tesseract reads it (badly, ~30/100)."""
    face = ImageFont.truetype(str(SANS), 16)
    image = Image.new("RGB", (420, 60), (200, 200, 200))
    draw = ImageDraw.Draw(image)
    draw.text((5, 5), "Lowongan kerja Kamboja gaji besar", font=face, fill=(90, 90, 90))
    draw.text((5, 30), "hubungi WA segera paspor dibantu", font=face, fill=(60, 60, 60))
    noise = np.random.default_rng(1).normal(0, 40, (60, 420, 1))
    noisy = np.clip(np.asarray(image, dtype=float) + noise, 0, 255).astype("uint8")
    picture = Image.fromarray(noisy).filter(ImageFilter.GaussianBlur(0.6))
    (tmp_path / "pictures").mkdir()
    (tmp_path / "pictures" / "low.jpg").write_bytes(encoded(picture, "JPEG", quality=30))
    result = _score(tmp_path / "pictures", tmp_path / "out.csv")
    assert result.exit_code == 0, result.output
    row = _read(tmp_path / "out.csv").iloc[0]
    assert row["risk_level"] in {"low", "medium", "high"} and float(row["ocr_confidence"]) < 70
    assert "keyakinan rendah" in row["warnings"]
