"""Batch scoring of files: every format in and out, streaming in chunks gives the same result,
bad lines are reported and kept out, and an interrupted job leaves no output behind."""

from __future__ import annotations

import gzip
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import TINY
from tppo_screen.batch.options import BatchOptions
from tppo_screen.batch.score import score_file
from tppo_screen.errors import InputError
from tppo_screen.model.artifacts import Model
from tppo_screen.model.scoring import score_texts
from tppo_screen.tables.formats import detect_format
from tppo_screen.tables.read import ReadReport, read_chunks


@pytest.fixture(scope="module")
def listings() -> pd.DataFrame:
    frame = pd.read_csv(TINY, dtype=str)[["text"]]
    frame.insert(0, "id", [f"ad-{i:02d}" for i in range(len(frame))])
    frame["note"] = ["007", ""] * (len(frame) // 2) + ["x"] * (len(frame) % 2)
    return frame


def _write(frame: pd.DataFrame, path: Path) -> Path:
    name = path.name.removesuffix(".gz")
    if name.endswith(".parquet"):
        frame.to_parquet(path, index=False)
    elif name.endswith(".xlsx"):
        frame.to_excel(path, index=False)
    elif name.endswith(".jsonl"):
        frame.to_json(path, orient="records", lines=True, force_ascii=False, compression="infer")
    else:
        frame.to_csv(path, index=False, sep="\t" if name.endswith(".tsv") else ",", compression="infer")
    return path


def _read(path: Path) -> pd.DataFrame:
    name = path.name.removesuffix(".gz")
    if name.endswith(".parquet"):
        return pq.read_table(path).to_pandas()
    if name.endswith(".xlsx"):
        return pd.read_excel(path, dtype=str, keep_default_na=False)
    if name.endswith(".jsonl"):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:  # type: ignore[operator]
            return pd.DataFrame([json.loads(line) for line in handle])
    sep = "\t" if name.endswith(".tsv") else ","
    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, compression="infer")


@pytest.mark.parametrize(
    "source, target",
    [
        ("in.csv", "out.jsonl"),
        ("in.tsv", "out.parquet"),
        ("in.jsonl", "out.csv"),
        ("in.parquet", "out.tsv"),
        ("in.csv.gz", "out.jsonl.gz"),
        ("in.jsonl.gz", "out.csv.gz"),
        ("in.xlsx", "out.xlsx"),
    ],
)
def test_every_format_in_and_out_keeps_rows_columns_and_scores(
    tiny_model: Model, listings: pd.DataFrame, tmp_path: Path, source: str, target: str
) -> None:
    summary = score_file(
        tiny_model, _write(listings, tmp_path / source), tmp_path / target, BatchOptions(id_column="id")
    )
    scored = _read(tmp_path / target)
    assert summary.rows == len(listings) == len(scored)
    added = ["risk_score", "risk_level", "red_flags", "warnings", "error"]
    assert list(scored.columns) == [*listings.columns, *added]
    assert scored["id"].tolist() == listings["id"].tolist()
    assert scored["note"].tolist() == listings["note"].tolist()  # "007" stays text
    expected = score_texts(tiny_model, listings["text"].tolist())
    assert [round(float(s), 9) for s in scored["risk_score"]] == [round(e.score, 9) for e in expected]
    flags = scored["red_flags"].tolist()
    if target.removesuffix(".gz").endswith((".csv", ".tsv", ".xlsx")):
        flags = [cell.split(";") if cell else [] for cell in flags]
    assert [list(f) for f in flags] == [[hit.id for hit in e.red_flags] for e in expected]


def test_chunked_streaming_gives_the_same_output_as_one_chunk(
    tiny_model: Model, listings: pd.DataFrame, tmp_path: Path
) -> None:
    source = _write(listings, tmp_path / "in.csv")
    score_file(tiny_model, source, tmp_path / "one.csv", BatchOptions(chunk_rows=10_000))
    score_file(tiny_model, source, tmp_path / "many.csv", BatchOptions(chunk_rows=3))
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "many.csv").read_bytes()


def test_min_level_keeps_rows_at_or_above_it_and_every_error_row(
    tiny_model: Model, listings: pd.DataFrame, tmp_path: Path
) -> None:
    frame = pd.concat([listings, pd.DataFrame({"id": ["empty"], "text": [""], "note": [""]})])
    summary = score_file(
        tiny_model, _write(frame, tmp_path / "in.csv"), tmp_path / "out.csv", BatchOptions(min_level="high")
    )
    scored = _read(tmp_path / "out.csv")
    assert set(scored["risk_level"]) <= {"high", "error"} and "empty" in scored["id"].tolist()
    assert summary.written == len(scored) == summary.levels["high"] + summary.levels["error"]
    assert summary.rows == len(frame)


def test_explain_adds_signed_top_terms(tiny_model: Model, listings: pd.DataFrame, tmp_path: Path) -> None:
    score_file(
        tiny_model, _write(listings, tmp_path / "in.csv"), tmp_path / "out.jsonl", BatchOptions(explain=True)
    )
    scored = _read(tmp_path / "out.jsonl")
    assert list(scored.columns)[-3:] == ["top_terms", "warnings", "error"]
    terms = scored["top_terms"].iloc[0]
    assert terms and {"term", "weight"} <= set(terms[0])


def test_invalid_json_lines_are_reported_with_line_numbers(tiny_model: Model, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(
        '{"text": "Kasir toko gaji UMK"}\n{"text": "broken\n[1, 2]\n\n{"text": "Admin CS Kamboja"}\n',
        encoding="utf-8",
    )
    summary = score_file(tiny_model, source, tmp_path / "out.jsonl", BatchOptions())
    assert summary.rows == 2
    errors = pd.read_csv(tmp_path / "out.errors.csv")
    assert errors["line"].tolist() == [2, 3]
    assert errors["reason"].tolist()[1] == "not a JSON object"


def test_interrupted_job_leaves_no_output_file(
    tiny_model: Model, listings: pd.DataFrame, tmp_path: Path
) -> None:
    source = _write(pd.concat([listings] * 5), tmp_path / "in.csv")

    def interrupt(rows: int, done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        score_file(tiny_model, source, tmp_path / "out.parquet", BatchOptions(chunk_rows=4), interrupt)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_undecodable_bytes_are_replaced_and_counted(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_bytes(b'text\n"Kasir toko \xff\xfe"\nSopir\n')
    report = ReadReport()
    chunks = list(read_chunks(source, "csv", False, report))
    assert chunks[0]["text"].tolist() == ["Kasir toko \ufffd\ufffd", "Sopir"]
    assert report.undecodable_lines == 1


def test_formats_come_from_the_extension_or_the_option(tmp_path: Path) -> None:
    assert detect_format(Path("a.csv.gz")) == ("csv", True)
    assert detect_format(Path("a.ndjson")) == ("jsonl", False)
    assert detect_format(Path("a.txt"), "tsv") == ("tsv", False)
    with pytest.raises(InputError, match="--format"):
        detect_format(Path("listings.txt"))
    with pytest.raises(InputError, match="unknown format .* parquet, xlsx"):
        detect_format(Path("a.csv"), "xls")
    assert detect_format(Path("a.dat"), "xlsx") == ("xlsx", False)
    with pytest.raises(InputError, match=r"Excel 97-2003 .*save it as \.xlsx"):
        detect_format(Path("old.xls"))


def test_contact_keys_normalise_numbers_and_ignore_masked_ones() -> None:
    from tppo_screen.batch.contacts import contact_keys

    keys = contact_keys("WA 0800-0000-0001 / +62 800 0000 0001, tg @Rekrut_Cepat, wa.me/6280000000002")
    assert keys == {"tel:080000000001", "tg:rekrut_cepat", "tel:080000000002"}
    assert contact_keys("hubungi 08xx-xxxx-xxxx atau <email>") == set()
    dotted = contact_keys("IG @lpk.hanbit_jaya. atau kirim CV ke hrd@lpk-hanbit.id, t.me/lpk_hanbit")
    assert dotted == {"tg:lpk.hanbit_jaya", "mail:hrd@lpk-hanbit.id", "tg:lpk_hanbit"}


def test_campaigns_join_ads_that_share_a_specific_contact(tiny_model: Model, tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "text": [
                "Admin CS Kamboja gaji 15jt, WA 0800-0000-0001",
                "Operator data Phnom Penh, hub +62 800-0000-0001 atau telegram @rekrut_asia",
                "Lowongan kasir luar negeri, DM t.me/rekrut_asia",
                "Kasir minimarket Bandung, kirim lamaran ke kantor, WA 0800-0000-0009",
            ],
        }
    )
    options = BatchOptions(campaigns=True, chunk_rows=2)
    summary = score_file(tiny_model, _write(frame, tmp_path / "in.csv"), tmp_path / "out.csv", options)
    scored = _read(tmp_path / "out.csv")
    assert scored["campaign"].tolist() == ["c0001", "c0001", "c0001", ""]
    columns = list(scored.columns)
    assert columns[columns.index("red_flags") + 1 :][:2] == ["campaign", "campaign_size"]
    [campaign] = summary.campaigns
    assert campaign.size == 3 and "@re…" in campaign.contacts


@pytest.mark.parametrize(
    "option, message",
    [
        ({"min_level": "severe"}, "--min-level must be one of low, medium, high"),
        ({"engine": "spark"}, "--engine must be local or dask"),
        ({"workers": 0}, "--workers must be at least 1"),
    ],
)
def test_options_are_checked_when_made(option: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        BatchOptions(**option)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def many_listings(listings: pd.DataFrame) -> pd.DataFrame:
    frame = pd.concat([listings] * 4, ignore_index=True)
    frame["id"] = [f"ad-{i:03d}" for i in range(len(frame))]
    return frame


def test_two_worker_processes_give_the_same_output_as_one(
    tiny_model: Model, many_listings: pd.DataFrame, tmp_path: Path
) -> None:
    source = _write(many_listings, tmp_path / "in.csv")
    score_file(tiny_model, source, tmp_path / "one.csv", BatchOptions(chunk_rows=7))
    score_file(tiny_model, source, tmp_path / "two.csv", BatchOptions(chunk_rows=7, workers=2))
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "two.csv").read_bytes()


@pytest.mark.slow  # starts a real Dask cluster
def test_dask_local_cluster_gives_the_same_output_as_the_local_engine(
    tiny_model: Model, many_listings: pd.DataFrame, tmp_path: Path
) -> None:
    from dask.distributed import LocalCluster

    source = _write(many_listings, tmp_path / "in.csv")
    score_file(tiny_model, source, tmp_path / "local.parquet", BatchOptions(chunk_rows=9))
    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster:  # a real cluster
        score_file(
            tiny_model,
            source,
            tmp_path / "dask.parquet",
            BatchOptions(chunk_rows=9, engine="dask", scheduler=cluster.scheduler_address),
        )
    local, dask = _read(tmp_path / "local.parquet"), _read(tmp_path / "dask.parquet")
    pd.testing.assert_frame_equal(local, dask)
    assert local["risk_score"].tolist() == dask["risk_score"].tolist()  # exact, not approximate


def test_unreachable_dask_scheduler_is_a_clear_error(
    tiny_model: Model, listings: pd.DataFrame, tmp_path: Path
) -> None:
    source = _write(listings, tmp_path / "in.csv")
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"):
        score_file(
            tiny_model,
            source,
            tmp_path / "out.csv",
            BatchOptions(engine="dask", scheduler="tcp://127.0.0.1:9", scheduler_timeout=2),
        )
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("which", ["output", "errors", "symlink"])
def test_output_or_errors_file_equal_to_the_input_is_refused(
    tiny_model: Model, listings: pd.DataFrame, tmp_path: Path, which: str
) -> None:
    source = _write(listings, tmp_path / "in.csv")
    before = source.read_bytes()
    output, options = source, BatchOptions(min_level="high")
    if which == "errors":
        output, options = tmp_path / "out.csv", BatchOptions(errors_file=source)
    elif which == "symlink":
        output = tmp_path / "link.csv"
        output.symlink_to(source)
    with pytest.raises(InputError, match="is the input file"):
        score_file(tiny_model, source, output, options)
    assert source.read_bytes() == before


def test_output_that_is_not_a_regular_file_is_refused(
    tiny_model: Model, listings: pd.DataFrame, tmp_path: Path
) -> None:
    source = _write(listings, tmp_path / "in.csv")
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        score_file(tiny_model, source, fifo, BatchOptions())
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_stale_partial_file_of_a_dead_run_is_cleaned(
    tiny_model: Model, listings: pd.DataFrame, tmp_path: Path
) -> None:
    source = _write(listings, tmp_path / "in.csv")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f".out.csv.{dead.pid}.partial"
    alive = tmp_path / f".out.csv.{os.getppid()}.partial"  # a live process: maybe still writing
    stale.write_text("half a file")
    alive.write_text("being written")
    score_file(tiny_model, source, tmp_path / "out.csv", BatchOptions())
    assert not stale.exists() and alive.exists()


def test_formula_like_cells_are_neutralised_in_csv_unless_kept(tiny_model: Model, tmp_path: Path) -> None:
    cells = ['=HYPERLINK("http://x")', "+SUM(A1)", "-2+3", "@cmd", "\tx", "-5", "+6281234", "1e5", "biasa"]
    frame = pd.DataFrame({"text": ["Lowongan kasir toko, gaji UMR"] * len(cells), "note": cells})
    source = _write(frame, tmp_path / "in.jsonl")
    score_file(tiny_model, source, tmp_path / "out.csv", BatchOptions())
    written = _read(tmp_path / "out.csv")["note"].tolist()
    assert written == ["'" + c for c in cells[:5]] + cells[5:]
    score_file(tiny_model, source, tmp_path / "raw.tsv", BatchOptions(keep_formulas=True))
    assert _read(tmp_path / "raw.tsv")["note"].tolist() == cells
    score_file(tiny_model, source, tmp_path / "out.jsonl", BatchOptions())
    assert _read(tmp_path / "out.jsonl")["note"].tolist() == cells  # only CSV/TSV are opened in Excel


def test_mixed_and_nested_ids_reach_parquet_as_strings(tiny_model: Model, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    ids: list[object] = [1, "a", {"x": 1}, None, [1, 2]]
    source.write_text("".join(json.dumps({"id": i, "text": "Kasir toko gaji UMR"}) + "\n" for i in ids))
    score_file(tiny_model, source, tmp_path / "out.parquet", BatchOptions())
    table = pq.read_table(tmp_path / "out.parquet")
    assert pa.types.is_string(table.schema.field("id").type) or pa.types.is_large_string(
        table.schema.field("id").type
    )
    assert table.column("id").to_pylist() == ["1", "a", '{"x": 1}', None, "[1, 2]"]


def test_a_column_changing_type_between_chunks_reaches_parquet_as_strings(
    tiny_model: Model, tmp_path: Path
) -> None:
    source = tmp_path / "in.jsonl"
    ids: list[object] = [None, None, "a", 7, {"x": 1}]
    source.write_text("".join(json.dumps({"id": i, "text": "Kasir toko"}) + "\n" for i in ids))
    score_file(tiny_model, source, tmp_path / "out.parquet", BatchOptions(chunk_rows=2))
    assert pq.read_table(tmp_path / "out.parquet").column("id").to_pylist() == [
        None,
        None,
        "a",
        "7",
        '{"x": 1}',
    ]
    # numbers first, text from the second chunk on: the rows already written become text too
    source.write_text("".join(json.dumps({"id": i, "text": "Kasir toko"}) + "\n" for i in [1, 2, "a", 4.5]))
    score_file(tiny_model, source, tmp_path / "two.parquet", BatchOptions(chunk_rows=2))
    table = pq.read_table(tmp_path / "two.parquet")
    assert table.column("id").to_pylist() == ["1", "2", "a", "4.5"]
    assert table.column("text").to_pylist() == ["Kasir toko"] * 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.parquet", "two.parquet"]


@pytest.mark.parametrize("target", ["out.csv", "out.tsv", "out.parquet"])
def test_late_jsonl_columns_stop_the_run_before_writing(
    tiny_model: Model, tmp_path: Path, target: str
) -> None:
    source = tmp_path / "in.jsonl"
    rows = [{"text": "Kasir toko"}] * 4 + [{"text": "Sopir", "phone": "0812"}]
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    with pytest.raises(InputError, match="column 'phone' first appears at row 5"):
        score_file(tiny_model, source, tmp_path / target, BatchOptions(chunk_rows=2))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]
    score_file(tiny_model, source, tmp_path / "out.jsonl", BatchOptions(chunk_rows=2))
    assert _read(tmp_path / "out.jsonl")["phone"].tolist()[-1] == "0812"
