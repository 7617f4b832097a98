"""An analyst's messy files (issue 19): Excel in and out, a semicolon CSV, a CSV for Excel with a
byte-order mark, re-posted ads and cut-off evidence in the summary, --flags, the warnings column,
--lang, Dask kept quiet, and --workers on a file of one chunk."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from tests.conftest import TINY
from tppo_screen.cli import app
from tppo_screen.cli.common import out
from tppo_screen.errors import InputError
from tppo_screen.model.artifacts import Model
from tppo_screen.tables.read import ReadReport, read_chunks, read_table

runner = CliRunner()
VISA_AD = (
    "Staff Accounting PT Maju Jaya Sentosa, Jakarta Pusat. Lulusan S1 akuntansi, menguasai Excel, "
    "jurnal umum dan laporan pajak bulanan. Penempatan kantor cabang di Manila, berangkat dengan "
    "visa turis dulu, nanti diurus di sana. Gaji 15jt."
)


def _score(tmp_path: Path, model: Path, source: str, target: str, *options: str) -> Result:
    args = ["score", str(tmp_path / source), "-o", str(tmp_path / target), "--model", str(model)]
    return runner.invoke(app, [*args, *options])


def _flat(output: str) -> str:
    """Terminal output with the table's wrapping undone: runs of white space one space."""
    return " ".join(output.split())


def _ads() -> list[str]:
    return pd.read_csv(TINY, dtype=str)["text"].tolist()


# ── Excel ──────────────────────────────────────────────────────────────────────────────────────


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """A workbook of these sheets; every cell starting with = is text, as Excel keeps '=x."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for cells in sheet.iter_rows():
            for cell in cells:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"
    book.save(path)
    return path


@pytest.fixture
def wide() -> Iterator[None]:
    """The summary printed 250 characters wide, so that table cells do not wrap."""
    out.width = 250
    yield
    out._width = None


def test_xlsx_in_and_out_keeps_rows_order_types_and_formula_text(
    tiny_model_path: Path, tmp_path: Path
) -> None:
    ads = _ads()[:6]
    rows: list[list[object]] = [["id", "text", "gaji"]]
    rows += [[f"ad-{i}", text, 1_500_000 + i] for i, text in enumerate(ads)]
    rows += [['=HYPERLINK("http://x")', "", None]]  # a formula-looking id and an empty text
    _workbook(tmp_path / "in.xlsx", {"Catatan": [["ringkasan"]], "Iklan": rows})
    result = _score(tmp_path, tiny_model_path, "in.xlsx", "out.xlsx", "--sheet", "Iklan", "--id-column", "id")
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(tmp_path / "out.xlsx").active
    got = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = ["id", "text", "gaji", "risk_score", "risk_level", "red_flags", "warnings", "error"]
    assert got[0] == header
    assert [row[0] for row in got[1:]] == [f"ad-{i}" for i in range(6)] + ['=HYPERLINK("http://x")']
    assert [row[2] for row in got[1:7]] == [1_500_000 + i for i in range(6)]  # numbers stay numbers
    formula = sheet.cell(row=8, column=1)
    assert formula.data_type == "s"  # text, never run as a formula
    assert got[7][4] == "error" and got[7][7] == "empty text"
    assert all(isinstance(row[3], float) for row in got[1:7])
    # the sheet by number gives the same rows; --sheet names the sheets when it misses
    again = _score(tmp_path, tiny_model_path, "in.xlsx", "again.xlsx", "--sheet", "2")
    assert again.exit_code == 0, again.output
    missing = _score(tmp_path, tiny_model_path, "in.xlsx", "none.xlsx", "--sheet", "Data")
    assert missing.exit_code == 1
    assert "no sheet 'Data' in in.xlsx; its sheets are 'Catatan', 'Iklan'" in _flat(missing.output)
    assert not (tmp_path / "none.xlsx").exists()


def test_xlsx_rows_past_the_header_go_to_the_errors_file_and_trailing_blank_rows_are_dropped(
    tmp_path: Path,
) -> None:
    rows: list[list[object]] = [["id", "text"], ["1", "Admin gudang"], ["2", "Kasir", "stray"]]
    rows += [[None, None], ["3", "Sopir"], [None, None], [None, None]]
    _workbook(tmp_path / "in.xlsx", {"Sheet1": rows})
    report = ReadReport()
    frame = pd.concat(list(read_chunks(tmp_path / "in.xlsx", "xlsx", False, report, chunk_rows=2)))
    assert frame["id"].tolist() == ["1", None, "3"]  # the blank row inside stays, those at the end go
    assert [(bad.line, bad.reason) for bad in report.bad_lines] == [(3, "3 cells but the header has 2")]


def test_an_xls_or_broken_workbook_is_one_clear_error(tiny_model_path: Path, tmp_path: Path) -> None:
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0 not a zip")
    result = _score(tmp_path, tiny_model_path, "old.xls", "out.csv")
    assert result.exit_code == 1 and "save it as .xlsx" in _flat(result.output)
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 broken")
    result = _score(tmp_path, tiny_model_path, "broken.xlsx", "out.csv")
    assert result.exit_code == 1 and "is not a readable .xlsx workbook" in _flat(result.output)
    assert not (tmp_path / "out.csv").exists()


def test_an_xlsx_output_past_the_sheet_limit_is_refused_and_nothing_is_written(
    tiny_model: Model, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tppo_screen.batch.options import BatchOptions
    from tppo_screen.batch.score import score_file
    from tppo_screen.tables import excel

    monkeypatch.setattr(excel, "MAX_ROWS", 4)  # a sheet of a header and 3 rows
    pd.DataFrame({"text": _ads()[:5]}).to_csv(tmp_path / "in.csv", index=False)
    with pytest.raises(InputError, match="an .xlsx sheet holds at most 3 rows and its header"):
        score_file(tiny_model, tmp_path / "in.csv", tmp_path / "out.xlsx", BatchOptions(chunk_rows=2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


# ── Delimiters and the byte-order mark ─────────────────────────────────────────────────────────


def test_a_semicolon_csv_from_excel_is_read_and_the_summary_says_so(
    tiny_model_path: Path, tmp_path: Path
) -> None:
    ads = [text.replace('"', "") for text in _ads()[:5]]
    lines = ["id;sumber;text"] + [f'{i};"Grup FB; Loker";"{text}"' for i, text in enumerate(ads)]
    (tmp_path / "in.csv").write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig")
    result = _score(tmp_path, tiny_model_path, "in.csv", "out.csv")
    assert result.exit_code == 0, result.output
    assert "read with delimiter: semicolon (;)" in result.output
    scored = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert scored["text"].tolist() == ads and set(scored["sumber"]) == {"Grup FB; Loker"}
    # --delimiter overrides the detection
    forced = _score(tmp_path, tiny_model_path, "in.csv", "forced.csv", "--delimiter", ",")
    assert forced.exit_code == 1 and "no column 'text'" in forced.output
    assert "pass --delimiter ';'" in _flat(forced.output)  # the wrong split is named
    wrong = _score(tmp_path, tiny_model_path, "in.csv", "wrong.csv", "--sheet", "2")
    assert wrong.exit_code == 1 and "--sheet is for an .xlsx workbook" in _flat(wrong.output)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("id;text\n1;a, b, c\n2;d, e\n", ";"),  # commas only inside cells
        ('id,text\n1,"a; b; c"\n2,"d;e"\n', ","),  # semicolons only inside quotes
        ("id|text|kota\n1|a|b\n2|c|d\n", "|"),
        ("id\ttext\n1\ta\n", "\t"),
        ("id;text\n", ","),  # never guessed from one line
        ('id;text\n1;"two\nlines; and more"\n2;x\n', ";"),  # a quoted line break stays in its record
    ],
)
def test_the_delimiter_is_told_from_the_first_records_quote_aware(text: str, expected: str) -> None:
    from tppo_screen.tables.sniff import detect_delimiter

    assert detect_delimiter(text, complete=True) == expected


def test_excel_csv_writes_a_byte_order_mark_and_says_so(tiny_model_path: Path, tmp_path: Path) -> None:
    pd.DataFrame({"text": ["Lowongan 🚢 ABK kapal Taiwan, gaji dollar, berangkat cepat", "x,y"]}).to_csv(
        tmp_path / "in.csv", index=False
    )
    (tmp_path / "in.csv").write_text((tmp_path / "in.csv").read_text() + '"broken\n', encoding="utf-8")
    result = _score(tmp_path, tiny_model_path, "in.csv", "out.csv", "--excel-csv")
    assert result.exit_code == 0, result.output
    assert "UTF-8 byte-order mark" in result.output
    assert (tmp_path / "out.csv").read_bytes().startswith(b"\xef\xbb\xbftext,")
    assert (tmp_path / "out.errors.csv").read_bytes().startswith(b"\xef\xbb\xbfline,")
    assert "🚢" in (tmp_path / "out.csv").read_text(encoding="utf-8-sig")
    plain = _score(tmp_path, tiny_model_path, "in.csv", "plain.csv")
    assert plain.exit_code == 0 and not (tmp_path / "plain.csv").read_bytes().startswith(b"\xef")
    refused = _score(tmp_path, tiny_model_path, "in.csv", "out.parquet", "--excel-csv")
    assert refused.exit_code == 1 and "for CSV/TSV output" in refused.output
    assert not (tmp_path / "out.parquet").exists()


# ── The summary ────────────────────────────────────────────────────────────────────────────────


def test_a_reposted_ad_is_one_row_of_the_riskiest_table_with_its_copies(
    tiny_model_path: Path, tmp_path: Path, wide: None
) -> None:
    risky = _ads()[0].replace("08xx-xxxx-xxxx", "{phone}")
    texts = [risky.format(phone=f"0812-3456-70{i:02d}") for i in range(5)] + _ads()[1:4]
    pd.DataFrame({"id": [f"rep-{i}" for i in range(5)] + ["a", "b", "c"], "text": texts}).to_csv(
        tmp_path / "in.csv", index=False
    )
    result = _score(tmp_path, tiny_model_path, "in.csv", "out.csv", "--id-column", "id", "--top", "3")
    assert result.exit_code == 0, result.output
    table = result.output.split("riskiest rows")[1]
    assert len(re.findall(r"rep-\d", table)) == 1 and "(×5)" in table
    assert len(pd.read_csv(tmp_path / "out.csv")) == 8  # the output keeps every copy
    from tppo_screen.batch.evidence import repost_key

    assert repost_key("Hub WA 0812-1 @hrd.a, x@y.id!") == repost_key("hub wa 0813-9 @budi  z@q.com")


def test_top_rows_keep_the_riskiest_distinct_ads_across_chunks_with_every_copy_counted() -> None:
    import numpy as np

    from tppo_screen.batch.evidence import TopRows

    top = TopRows(2)
    chunk = ["A 0811", "B", "A 0812", "C", "A 0813", ""]
    scores = np.array([0.9, 0.8, 0.9, 0.7, 0.9, np.nan])
    levels = np.array(["high", "high", "high", "medium", "high", "error"], dtype=object)
    top.observe(scores, levels, list(chunk), None, 0)
    top.observe(np.array([0.9, 0.95, 0.9]), np.array(["high"] * 3, dtype=object), ["a 0", "D", "A!"], None, 6)
    assert [(row.name, row.score, row.copies) for row in top.rows()] == [("8", 0.95, 1), ("1", 0.9, 5)]
    nothing = TopRows(0)  # --top 0
    nothing.observe(scores, levels, list(chunk), None, 0)
    assert nothing.rows() == []


def test_the_riskiest_table_shows_the_flags_and_the_sentence_that_fired_them(
    tiny_model_path: Path, tmp_path: Path, wide: None
) -> None:
    pd.DataFrame({"text": [VISA_AD, _ads()[10]]}).to_csv(tmp_path / "in.csv", index=False)
    result = _score(tmp_path, tiny_model_path, "in.csv", "out.csv")
    assert result.exit_code == 0, result.output
    shown = _flat(result.output.split("riskiest rows")[1])
    assert "Visa turis/kunjungan untuk bekerja" in shown  # the label (Indonesian by default)
    assert "visa turis dulu" in shown  # the evidence, far past the first 100 characters
    assert "Staff Accounting" not in shown  # not the start of the ad
    english = _flat(_score(tmp_path, tiny_model_path, "in.csv", "en.csv", "--lang", "en").output)
    assert "Tourist or visit visa for work" in english
    assert "Visa turis/kunjungan" not in english


def test_flags_keeps_rows_with_any_of_them_and_refuses_unknown_ids(
    tiny_model_path: Path, tmp_path: Path
) -> None:
    texts = [VISA_AD, "Dicari kasir minimarket di Bandung, shift pagi, lamaran ke kantor", "", *_ads()[:3]]
    pd.DataFrame({"text": texts}).to_csv(tmp_path / "in.csv", index=False)
    result = _score(tmp_path, tiny_model_path, "in.csv", "out.csv", "--flags", "tourist_visa,fishing_vessel")
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert scored["text"].tolist() == [
        VISA_AD,
        "",
        *[t for t in _ads()[:3] if "visa turis" in t or "ABK" in t],
    ]
    assert all({"tourist_visa", "fishing_vessel"} & set(f.split(";")) for f in scored["red_flags"] if f)
    unknown = _score(tmp_path, tiny_model_path, "in.csv", "bad.csv", "--flags", "tourist_visa,visa_turis")
    assert unknown.exit_code == 1
    assert "unknown red flag for --flags: visa_turis; the catalogue's red flags are:" in _flat(unknown.output)
    assert "tourist_visa" in _flat(unknown.output).split("are:")[1]
    assert not (tmp_path / "bad.csv").exists()


def test_the_warnings_column_flags_short_and_english_texts_in_the_chosen_language(
    tiny_model_path: Path, tmp_path: Path
) -> None:
    english = "We are hiring a cashier for our store in the city, apply with your CV and a photo"
    texts = ["Admin gudang", english, _ads()[0], ""]
    pd.DataFrame({"text": texts}).to_csv(tmp_path / "in.csv", index=False)
    assert _score(tmp_path, tiny_model_path, "in.csv", "out.csv", "--lang", "en").exit_code == 0
    warnings = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)["warnings"].tolist()
    assert warnings[0].startswith("very short text (2 words)")
    assert warnings[1] == "the text looks English: the model was trained on Indonesian ads"
    assert warnings[2:] == ["", ""]
    assert _score(tmp_path, tiny_model_path, "in.csv", "id.csv").exit_code == 0
    indonesian = pd.read_csv(tmp_path / "id.csv", dtype=str, keep_default_na=False)["warnings"]
    assert indonesian[0].startswith("teks sangat pendek (2 kata)")


def test_frequent_flags_are_named_by_their_labels_in_the_chosen_language(
    tiny_model_path: Path, tmp_path: Path
) -> None:
    pd.DataFrame({"text": [VISA_AD] * 2}).to_csv(tmp_path / "in.csv", index=False)
    indonesian = _flat(_score(tmp_path, tiny_model_path, "in.csv", "out.csv").output)
    assert (
        "most frequent red flags: " in indonesian
        and "Visa turis/kunjungan untuk bekerja (tourist_visa) 2" in indonesian
    )
    bad = _score(tmp_path, tiny_model_path, "in.csv", "out.csv", "--lang", "fr")
    assert bad.exit_code == 1 and "--lang must be 'id' or 'en'" in bad.output


# ── Engines ────────────────────────────────────────────────────────────────────────────────────


def test_workers_on_a_file_of_one_chunk_score_in_this_process_and_say_so(
    tiny_model_path: Path, tmp_path: Path
) -> None:
    pd.DataFrame({"text": _ads()}).to_csv(tmp_path / "in.csv", index=False)
    result = _score(tmp_path, tiny_model_path, "in.csv", "two.csv", "--workers", "2")
    assert result.exit_code == 0, result.output
    note = _flat(result.output)
    assert "note: the file is smaller than one chunk (5,000 rows): scored in this process" in note
    assert "--workers 2 pays off on larger files" in note
    assert _score(tmp_path, tiny_model_path, "in.csv", "one.csv").exit_code == 0
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()


@pytest.mark.slow  # starts a Dask LocalCluster
def test_dask_prints_no_info_lines_when_quiet(tiny_model_path: Path, tmp_path: Path) -> None:
    pd.DataFrame({"text": _ads() * 4}).to_csv(tmp_path / "in.csv", index=False)
    script = (
        "import sys; from pathlib import Path\n"
        "from tppo_screen.batch.options import BatchOptions\n"
        "from tppo_screen.batch.score import score_file\n"
        "from tppo_screen.model.artifacts import load_model\n"
        "options = BatchOptions(engine='dask', workers=1, chunk_rows=40, quiet=True)\n"
        "summary = score_file(load_model(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), options)\n"
        "print(summary.rows, summary.notes)\n"
    )
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    job = subprocess.run(
        [sys.executable, "-c", script, str(tiny_model_path), str(source), str(target)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert job.returncode == 0, job.stderr
    assert job.stdout.strip() == "120 []"  # three chunks, scored on the cluster
    assert job.stderr.splitlines() == []  # was 33 INFO lines and 2 warnings
    assert len(read_table(target).frame) == 120
