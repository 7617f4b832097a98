"""Hostile or unlucky input files: a stray quote never merges rows silently, a huge cell is one
reported line, UTF-16 and CR-only files are read, and every JSONL column is known to the report."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from tppo_screen.errors import InputError
from tppo_screen.tables import read
from tppo_screen.tables.read import (
    MAX_RECORD_CHARS,
    MAX_RECORD_LINES,
    ReadReport,
    read_chunks,
    read_table,
)

ROWS = [f"{i},Lowongan {i} gaji UMR" for i in range(1, 11)]


def _csv(tmp_path: Path, rows: list[str], name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text("id,text\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_runaway_quote_in_the_last_column_is_one_bad_line_and_the_rest_is_read(tmp_path: Path) -> None:
    rows = ROWS.copy()
    rows[2] = '3,"Gaji besar kerja di Kamboja'  # opened, never closed ...
    rows[6] = '7,Kaos ukuran "XL" gratis'  # ... until this quote, which used to close it
    frame, report = read_table(_csv(tmp_path, rows))
    assert frame["id"].tolist() == [str(i) for i in range(1, 11) if i != 3]
    assert frame["text"].iloc[5] == 'Kaos ukuran "XL" gratis'
    assert [bad.line for bad in report.bad_lines] == [4]
    assert "unbalanced quote?" in report.bad_lines[0].reason
    assert report.bad_lines[0].raw == rows[2] + "\n"


def test_a_quote_never_closed_before_the_end_of_the_file_costs_one_line(tmp_path: Path) -> None:
    rows = ROWS.copy()
    rows[4] = '5,"Gaji besar kerja di Kamboja'
    report = ReadReport()
    (chunk,) = read_chunks(_csv(tmp_path, rows), "csv", False, report)
    assert chunk["id"].tolist() == [str(i) for i in range(1, 11) if i != 5]
    assert [bad.line for bad in report.bad_lines] == [6]


def test_a_tsv_cell_starting_with_a_quote_is_text(tmp_path: Path) -> None:
    path = tmp_path / "in.tsv"
    rows = [f"{i}\tLowongan {i}" for i in range(1, 11)]
    rows[2] = '3\t"Dicari TKW Malaysia, gaji 8jt'
    rows[6] = '7\tKaos "XL"'
    path.write_text("id\ttext\n" + "\n".join(rows) + "\n", encoding="utf-8")
    frame, report = read_table(path)
    assert len(frame) == 10 and not report.bad_lines
    assert frame["text"].iloc[2] == '"Dicari TKW Malaysia, gaji 8jt'
    assert frame["text"].iloc[6] == 'Kaos "XL"'


def test_a_quoted_tsv_cell_as_the_writer_quotes_it_is_still_one_cell(tmp_path: Path) -> None:
    path = tmp_path / "in.tsv"
    path.write_text('id\ttext\n1\t"Kasir\ttoko\nBandung ""baru"""\n2\tSopir\n', encoding="utf-8")
    frame, report = read_table(path)
    assert frame["text"].tolist() == ['Kasir\ttoko\nBandung "baru"', "Sopir"] and not report.bad_lines


def test_a_huge_multi_line_cell_is_one_bad_line_not_thousands_of_rows(tmp_path: Path) -> None:
    huge = "Gaji besar, kerja di luar negeri\n" * 31_000  # 1M characters, every line row-like
    assert len(huge) > 1_000_000
    rows = ROWS.copy()
    rows[4] = f'5,"{huge}"'
    frame, report = read_table(_csv(tmp_path, rows))
    assert frame["id"].tolist() == [str(i) for i in range(1, 11) if i != 5]
    assert [bad.line for bad in report.bad_lines] == [6]
    reason = report.bad_lines[0].raw, report.bad_lines[0].reason
    assert f"past {MAX_RECORD_LINES} lines" in reason[1] and "to line 31006" in reason[1]
    assert len(reason[0]) <= MAX_RECORD_CHARS + 1_000  # the errors file gets a bounded excerpt


def test_a_long_cell_over_the_character_limit_is_a_bad_line(tmp_path: Path) -> None:
    rows = ROWS.copy()
    rows[1] = "2," + "x" * (MAX_RECORD_CHARS + 1)
    frame, report = read_table(_csv(tmp_path, rows))
    assert len(frame) == 9 and [bad.line for bad in report.bad_lines] == [3]
    assert f"past {MAX_RECORD_CHARS:,} characters" in report.bad_lines[0].reason


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_utf16_with_a_bom_is_read(tmp_path: Path, fmt: str) -> None:
    sep = "\t" if fmt == "tsv" else ","
    text = f"id{sep}text\r\n1{sep}Kasir toko Bandung\r\n2{sep}Pekerja migran ke Malaysia 😊\r\n"
    for encoding in ("utf-16-le", "utf-16-be"):
        bom = "\ufeff".encode(encoding)
        path = tmp_path / f"in.{fmt}"
        path.write_bytes(bom + text.encode(encoding))
        frame, report = read_table(path)
        assert frame.columns.tolist() == ["id", "text"]
        assert frame["text"].tolist() == ["Kasir toko Bandung", "Pekerja migran ke Malaysia 😊"]
        assert not report.bad_lines and not report.undecodable_lines
        (chunk,) = read_chunks(path, fmt, False, ReadReport())  # type: ignore[arg-type]
        assert len(chunk) == 2


def test_utf16_without_a_bom_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes("id,text\n1,Kasir\n".encode("utf-16-le"))
    with pytest.raises(InputError, match="UTF-16.*save it as UTF-8"):
        read_table(path)


def test_cr_only_line_endings_are_read(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(b'id,text\r1,Kasir toko\r2,"Sopir\rBandung"\r3,Barista\r')
    frame, report = read_table(path)
    assert frame["id"].tolist() == ["1", "2", "3"] and not report.bad_lines
    assert frame["text"].iloc[1] == "Sopir\rBandung"
    report = ReadReport()
    (chunk,) = read_chunks(path, "csv", False, report)
    assert len(chunk) == 3


def test_cr_only_jsonl_is_read(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'{"id": 1, "text": "Kasir"}\r{"id": 2, "text": "Sopir"}\r')
    frame, report = read_table(path)
    assert frame["text"].tolist() == ["Kasir", "Sopir"] and not report.bad_lines


def test_the_report_lists_every_jsonl_column_in_first_seen_order(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    records = [{"id": i, "text": f"ad {i}"} for i in range(6_000)]
    records[5_500]["kontak"] = "0812"
    records[5_999] = {"text": "last", "id": 5_999, "kota": "Medan"}
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    report = ReadReport()
    chunks = list(read_chunks(path, "jsonl", False, report))
    assert list(chunks[0].columns) == ["id", "text"]  # the first chunk cannot know yet
    assert report.columns == ["id", "text", "kontak", "kota"]


def test_the_report_lists_the_header_of_a_csv(tmp_path: Path) -> None:
    _, report = read_table(_csv(tmp_path, ROWS))
    assert report.columns == ["id", "text"]


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_two_stray_quotes_far_apart_do_not_swallow_the_rows_between(tmp_path: Path, fmt: str) -> None:
    sep = "\t" if fmt == "tsv" else ","
    rows = [f"{i}{sep}Lowongan {i}" for i in range(1, 1_001)]
    rows[99] = f'100{sep}"Dicari TKW Malaysia'  # opens a quote ...
    rows[599] = f'600{sep}"Kerja di Kamboja, gaji 15jt'  # ... which this one closes, 500 lines on
    path = tmp_path / f"in.{fmt}"
    path.write_text(f"id{sep}text\n" + "\n".join(rows) + "\n", encoding="utf-8")
    frame, report = read_table(path)
    bad = [(line, reason.split(":")[0]) for line, reason, _ in report.bad_lines]
    if fmt == "tsv":  # text, as written
        assert len(frame) == 1_000 and not bad and frame["text"].iloc[99] == '"Dicari TKW Malaysia'
    else:
        assert len(frame) == 998
        assert bad == [
            (101, f"a quoted cell runs past {MAX_RECORD_LINES} lines and never closes properly"),
            (601, f"a quoted cell runs past {MAX_RECORD_LINES} lines and never closes properly"),
        ]


@pytest.mark.parametrize("gzipped", [False, True])
def test_reading_starts_again_after_a_stray_quote_too_far_from_the_end_to_keep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gzipped: bool
) -> None:
    monkeypatch.setattr(read, "MAX_SKIP_LINES", 300)  # lines kept to read again, instead of 100,000
    rows = [f"{i},Lowongan {i} \xff" for i in range(1, 1_001)]
    rows[99] = '100,"Dicari TKW Malaysia'  # never closed: 900 lines on to the end of the file
    text = "id,text\n" + "\n".join(rows) + "\n"
    path = tmp_path / ("in.csv.gz" if gzipped else "in.csv")
    data = text.encode().replace("\xff".encode(), b"\xff")  # a byte UTF-8 cannot decode
    path.write_bytes(gzip.compress(data) if gzipped else data)
    restarts = []
    monkeypatch.setattr(
        read._LineTracker, "restart_after", _counting(read._LineTracker.restart_after, restarts)
    )
    frame, report = read_table(path)
    assert restarts == [101]
    assert (
        len(frame) == 999 and frame["id"].iloc[99] == "101" and frame["text"].iloc[0] == "Lowongan 1 \ufffd"
    )
    assert [bad.line for bad in report.bad_lines] == [101]
    assert report.undecodable_lines == 999  # lines read twice are counted once


def _counting(method: Any, calls: list[int]) -> Any:
    def counted(self: Any, number: int) -> None:
        calls.append(number)
        method(self, number)

    return counted
