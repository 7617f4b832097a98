"""The one table layer: `score`, `train` and `evaluate` read a file the same way and say the same
about its malformed lines; every write is atomic."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.conftest import TINY
from tppo_screen.cli import app
from tppo_screen.tables.read import UNCLOSED_QUOTE, ReadReport, read_chunks, read_table
from tppo_screen.tables.write import atomic_write, staged_directory, write_text

runner = CliRunner()
TAIL = (
    "Admin CS Kamboja, gaji 15jt,high_risk,authored\n"  # a long row: an unquoted comma
    "Kasir toko\n"  # a short row
    '"Barista kafe di Bandung, gaji UMR",legit,authored\n'
    '"Operator data Phnom Penh gaji dollar,high_risk,authored\n'  # a quote that is never closed
    "Sopir ekspedisi Surabaya,legit,authored\n"
)


@pytest.fixture
def malformed(tmp_path: Path) -> tuple[Path, list[tuple[int, str]]]:
    """TINY with three malformed lines after it, and the (line, reason) each should get."""
    head = TINY.read_text(encoding="utf-8")
    first = head.count("\n") + 1  # the line number of the first line of TAIL
    path = tmp_path / "malformed.csv"
    path.write_text(head + TAIL, encoding="utf-8")
    expected = [
        (first, "4 fields but the header has 3; quote cells that contain the delimiter"),
        (first + 1, "1 fields but the header has 3"),
        (first + 3, UNCLOSED_QUOTE),
    ]
    return path, expected


def test_read_table_skips_malformed_lines_and_reports_them(malformed: tuple[Path, list]) -> None:
    path, expected = malformed
    frame, report = read_table(path)
    assert [(bad.line, bad.reason) for bad in report.bad_lines] == expected
    assert report.bad_lines[2].raw == TAIL.splitlines(keepends=True)[3]  # that line only: ...
    pd.testing.assert_frame_equal(
        frame.iloc[:-2], pd.read_csv(TINY, dtype=str, keep_default_na=False)
    )  # what pandas reads of the well-formed part, cell for cell and in its string dtype
    assert frame["text"].iloc[-2] == "Barista kafe di Bandung, gaji UMR"
    assert frame["text"].iloc[-1] == "Sopir ekspedisi Surabaya"  # ... the next one is read
    assert report.describe(limit=2).endswith("and 1 more")


def _said(text: str, expected: list[tuple[int, str]]) -> bool:
    flat = " ".join(text.split())  # the console may wrap long lines
    return f"{len(expected)} malformed lines skipped" in flat and all(
        f"line {line} ({reason})" in flat for line, reason in expected
    )


def test_score_train_and_evaluate_skip_the_same_lines_and_say_so_in_the_same_words(
    malformed: tuple[Path, list], tiny_model_path: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:  # trains on 32 rows: half a second, so not marked slow
    path, expected = malformed
    scored = runner.invoke(
        app, ["score", str(path), "-o", str(tmp_path / "s.csv"), "-m", str(tiny_model_path)]
    )
    assert scored.exit_code == 0, scored.output
    errors = pd.read_csv(tmp_path / "s.errors.csv", dtype={"line": int, "reason": str})
    assert list(zip(errors["line"], errors["reason"], strict=True)) == expected
    assert _said(scored.stderr, expected)

    with caplog.at_level(logging.WARNING, logger="tppo_screen.training.train"):
        trained = runner.invoke(app, ["train", str(path), "-o", str(tmp_path / "m.joblib"), "--folds", "3"])
    assert trained.exit_code == 0, trained.output
    assert _said(caplog.text, expected)

    evaluated = runner.invoke(
        app, ["evaluate", str(path), "-m", str(tiny_model_path), "-o", str(tmp_path / "m.json")]
    )
    assert evaluated.exit_code == 0, evaluated.output
    assert _said(evaluated.stderr, expected)
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert [(s["line"], s["reason"]) for s in metrics["skipped_lines"]] == expected
    assert metrics["rows"] == 32  # TINY's 30 rows and the well-formed barista and driver rows


def test_evaluate_records_no_skipped_lines_for_a_clean_file(tiny_model_path: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["evaluate", str(TINY), "-m", str(tiny_model_path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["skipped_lines"] == []
    assert "malformed" not in result.stderr


def test_a_quote_closed_before_the_end_is_one_cell_across_lines(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text('id,text\n1,"Kasir\ntoko"\n2,Sopir\n', encoding="utf-8")
    report = ReadReport()
    (chunk,) = read_chunks(path, "csv", False, report)
    assert chunk["text"].tolist() == ["Kasir\ntoko", "Sopir"] and not report.bad_lines


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(tmp_path: Path) -> None:
    target = write_text("old\n", tmp_path / "out.txt")

    def half_then_fail(tmp: Path) -> None:
        tmp.write_text("half", encoding="utf-8")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, half_then_fail)
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_a_failed_staged_directory_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), staged_directory(tmp_path / "report") as staging:
        (staging / "report.md").write_text("# half", encoding="utf-8")
        raise RuntimeError
    assert list(tmp_path.iterdir()) == []
    with staged_directory(tmp_path / "report") as staging:
        (staging / "report.md").write_text("# done", encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["report"]
    assert (tmp_path / "report" / "report.md").read_text() == "# done"
