import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from tests.conftest import TINY
from tests.servers import alive, children
from tppo_screen.cli import app
from tppo_screen.model.artifacts import card_path

runner = CliRunner()


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _score(tmp_path: Path, model: Path, *options: str) -> Result:
    """Run `score tmp_path/in.csv -o tmp_path/out.csv --model MODEL [options]`."""
    args = ["score", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"), "--model", str(model)]
    return runner.invoke(app, [*args, *options])


def _scored(tmp_path: Path) -> pd.DataFrame:
    return pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)


def test_check_prints_score_level_and_terms(tiny_model_path: Path) -> None:
    result = runner.invoke(
        app, ["check", "Admin CS Kamboja, paspor dibantu, tiket ditanggung", "--model", str(tiny_model_path)]
    )
    assert result.exit_code == 0, result.output
    assert "risk score" in result.output and "level" in result.output
    assert "tiket" in result.output


def test_check_reads_stdin_and_prints_json(tiny_model_path: Path) -> None:
    result = runner.invoke(
        app,
        ["check", "-", "--json", "--model", str(tiny_model_path)],
        input="Lowongan ABK kapal Taiwan tanpa pengalaman, gaji dollar",
    )
    assert result.exit_code == 0, result.output
    score = json.loads(result.output)
    assert 0 <= score["score"] <= 1 and score["level"] in {"low", "medium", "high"}


def test_check_refuses_empty_text(tiny_model_path: Path) -> None:
    result = runner.invoke(app, ["check", "   ", "--model", str(tiny_model_path)])
    assert result.exit_code == 1
    assert "empty text" in result.output


def test_score_keeps_rows_order_and_columns(tiny_model_path: Path, tmp_path: Path) -> None:
    source = pd.read_csv(TINY)
    source.insert(0, "id", [f"ad-{i}" for i in range(len(source))])
    source["note"] = ["007", ""] * (len(source) // 2)  # leading zeros and blanks must survive
    source.to_csv(tmp_path / "in.csv", index=False)
    result = _score(tmp_path, tiny_model_path, "--id-column", "id")
    assert result.exit_code == 0, result.output
    scored = _scored(tmp_path)
    added = ["risk_score", "risk_level", "red_flags", "warnings", "error"]
    assert list(scored.columns) == [*source.columns, *added]
    assert scored["id"].tolist() == source["id"].tolist()
    assert scored["note"].tolist() == source["note"].tolist()
    card = json.loads(card_path(tiny_model_path).read_text())
    high, medium = card["thresholds"]["high"], card["thresholds"]["medium"]
    for value, level in zip(scored["risk_score"].astype(float), scored["risk_level"], strict=True):
        assert level == ("high" if value >= high else "medium" if value >= medium else "low")
    assert "riskiest rows" in result.output


def test_score_marks_empty_and_non_text_cells(tiny_model_path: Path, tmp_path: Path) -> None:
    _write(tmp_path / "in.csv", 'id,text\n1,"Admin CS Kamboja gaji 15jt"\n2,\n3,12345\n4,"  "\n')
    result = _score(tmp_path, tiny_model_path)
    assert result.exit_code == 0, result.output
    scored = _scored(tmp_path)
    assert scored["id"].tolist() == ["1", "2", "3", "4"]
    assert scored["risk_level"].tolist()[1:] == ["error", "error", "error"]
    assert scored["error"].tolist() == ["", "empty text", "text has no letters", "empty text"]


def test_score_missing_column_lists_columns_and_writes_nothing(tiny_model_path: Path, tmp_path: Path) -> None:
    _write(tmp_path / "in.csv", "judul,isi\nA,B\n")
    result = _score(tmp_path, tiny_model_path)
    assert result.exit_code == 1
    assert "no column 'text'" in result.output and "judul, isi" in result.output
    assert "--text-column" in result.output
    assert not (tmp_path / "out.csv").exists()


def test_score_text_column_option(tiny_model_path: Path, tmp_path: Path) -> None:
    _write(tmp_path / "in.csv", 'isi\n"Kasir minimarket gaji UMK"\n')
    result = _score(tmp_path, tiny_model_path, "--text-column", "isi")
    assert result.exit_code == 0, result.output
    scored = _scored(tmp_path)
    assert scored["isi"].tolist() == ["Kasir minimarket gaji UMK"]
    assert scored["risk_level"].iloc[0] in {"low", "medium", "high"}


@pytest.mark.parametrize("content, message", [("", "is empty"), ("text\n", None)])
def test_score_empty_files(tiny_model_path: Path, tmp_path: Path, content: str, message: str | None) -> None:
    _write(tmp_path / "in.csv", content)
    result = _score(tmp_path, tiny_model_path)
    if message:
        assert result.exit_code == 1 and message in result.output
        assert not (tmp_path / "out.csv").exists()
    else:  # a header with no rows is valid: an empty, well-formed output
        assert result.exit_code == 0, result.output
        header = "text,risk_score,risk_level,red_flags,warnings,error"
        assert (tmp_path / "out.csv").read_text().strip() == header


def test_score_replaces_undecodable_bytes(tiny_model_path: Path, tmp_path: Path) -> None:
    (tmp_path / "in.csv").write_bytes(b'text\n"Kasir toko gaji UMK \xff\xfe"\n')
    result = _score(tmp_path, tiny_model_path)
    assert result.exit_code == 0, result.output
    assert "\ufffd" in (tmp_path / "out.csv").read_text(encoding="utf-8")


def test_missing_input_file_is_one_clear_line(tiny_model_path: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["score", str(tmp_path / "nope.csv"), "-o", str(tmp_path / "o.csv"), "--model", str(tiny_model_path)],
    )
    assert result.exit_code == 1
    assert "input file not found" in result.output


def test_tampered_model_is_refused_in_one_line_without_traceback(
    tiny_model_path: Path, tmp_path: Path
) -> None:
    model = tmp_path / "m.joblib"
    shutil.copy(tiny_model_path, model)
    shutil.copy(card_path(tiny_model_path), card_path(model))
    with model.open("ab") as handle:
        handle.write(b"\0")
    process = subprocess.run(
        [sys.executable, "cli.py", "check", "Admin CS Kamboja", "--model", str(model)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert process.returncode == 1
    assert "Traceback" not in process.stderr
    lines = [line for line in process.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "does not match its card" in lines[0]


def test_train_then_evaluate_writes_metrics(tmp_path: Path) -> None:
    model = tmp_path / "small.joblib"
    result = runner.invoke(app, ["train", str(TINY), "-o", str(model), "--folds", "3", "--test", str(TINY)])
    assert result.exit_code == 0, result.output
    assert model.exists() and card_path(model).exists()
    result = runner.invoke(
        app, ["evaluate", str(TINY), "--model", str(model), "-o", str(tmp_path / "m.json")]
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert {"roc_auc", "pr_auc", "at_high", "at_medium"} <= set(metrics)
    assert metrics["rows"] == 30 and metrics["high_risk_rows"] == 15
    assert "in-sample" in result.output  # evaluating on the training data is called out


def test_train_rejects_unknown_labels(tmp_path: Path) -> None:
    _write(tmp_path / "bad.csv", "text,label\nsatu,legit\ndua,scam\n")
    result = runner.invoke(app, ["train", str(tmp_path / "bad.csv"), "-o", str(tmp_path / "m.joblib")])
    assert result.exit_code == 1
    assert "unknown labels ['scam']" in result.output


def test_every_command_and_option_has_help_text() -> None:
    """`--help` explains: no command, sub-command or option is listed without a sentence."""
    import click
    import typer.main

    def walk(command: click.Command, path: str) -> Iterator[str]:
        if not (command.help or command.short_help):
            yield f"{path}: no help"
        for param in command.params:
            if isinstance(param, click.Option) and not param.help and "--help" not in param.opts:
                yield f"{path} {param.opts[0]}: no help"
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk(sub, f"{path} {name}")

    missing = list(walk(typer.main.get_command(app), "tppo-screen"))
    assert not missing, missing


def test_train_names_rows_it_cannot_use(tmp_path: Path) -> None:
    _write(tmp_path / "bad.csv", 'text,label\n"iklan satu",legit\n"",high_risk\n"123",legit\n')
    result = runner.invoke(app, ["train", str(tmp_path / "bad.csv"), "-o", str(tmp_path / "m.joblib")])
    assert result.exit_code == 1
    assert "2 rows cannot be trained on: row 2 (empty text), row 3 (text has no letters)" in result.output
    assert not (tmp_path / "m.joblib").exists()


def test_repeated_header_names_are_refused(tiny_model_path: Path, tmp_path: Path) -> None:
    _write(tmp_path / "in.csv", "id,text,text\n1,a,b\n")
    result = _score(tmp_path, tiny_model_path)
    assert result.exit_code == 1 and "names these columns more than once: text" in result.output
    assert not (tmp_path / "out.csv").exists()


def test_malformed_lines_go_to_the_errors_file_and_the_rest_is_scored(
    tiny_model_path: Path, tmp_path: Path
) -> None:
    _write(
        tmp_path / "in.csv",
        'id,text\n1,Kasir toko gaji UMK\n2,Admin CS Kamboja, gaji 15jt\n3,"Sopir ekspedisi"\n'
        "4\n5,Barista kafe\n",
    )
    result = _score(tmp_path, tiny_model_path)
    assert result.exit_code == 0, result.output
    assert _scored(tmp_path)["id"].tolist() == ["1", "3", "5"]
    errors = pd.read_csv(tmp_path / "out.errors.csv", dtype=str)
    assert errors["line"].tolist() == ["3", "5"]
    assert errors["reason"].str.contains("3 fields but the header has 2").iloc[0]
    assert errors["raw"].iloc[0] == "2,Admin CS Kamboja, gaji 15jt"
    assert "2 malformed lines skipped: line 3 (3 fields" in result.output


def test_blank_lines_stay_as_error_rows(tiny_model_path: Path, tmp_path: Path) -> None:
    _write(tmp_path / "in.csv", "text\nAdmin CS Kamboja\n\nKasir toko\n")
    assert _score(tmp_path, tiny_model_path).exit_code == 0
    assert _scored(tmp_path)["error"].tolist() == ["", "empty text", ""]


def test_unknown_id_column_is_refused_before_writing(tiny_model_path: Path, tmp_path: Path) -> None:
    _write(tmp_path / "in.csv", "id,text\n1,Kasir toko\n")
    result = _score(tmp_path, tiny_model_path, "--id-column", "nope")
    assert result.exit_code == 1 and "no column 'nope'" in result.output and "--id-column" in result.output
    assert not (tmp_path / "out.csv").exists()


def test_output_directory_is_refused(tiny_model_path: Path, tmp_path: Path) -> None:
    _write(tmp_path / "in.csv", "text\nKasir toko\n")
    result = runner.invoke(
        app, ["score", str(tmp_path / "in.csv"), "-o", str(tmp_path), "-m", str(tiny_model_path)]
    )
    assert result.exit_code == 1 and "is a directory" in result.output


def test_markup_in_ads_is_printed_literally(tiny_model_path: Path, tmp_path: Path) -> None:
    _write(tmp_path / "in.csv", 'id,text\n[b]x[/b],"LOKER KAMBOJA gaji 15jt [/b] paspor"\n')
    result = _score(tmp_path, tiny_model_path, "--id-column", "id")
    assert result.exit_code == 0, result.output
    assert "[b]x[/b]" in result.output and "[/b] paspor" in result.output


def test_check_json_exits_1_on_unusable_text(tiny_model_path: Path) -> None:
    result = runner.invoke(app, ["check", "12345 !!!", "--json", "--model", str(tiny_model_path)])
    assert result.exit_code == 1
    assert json.loads(result.output)["error"] == "text has no letters"


def test_train_needs_enough_groups_per_label(tmp_path: Path) -> None:
    rows = ["text,label,group"] + [f'"iklan kerja nomor {i}",legit,g{i}' for i in range(6)]
    rows += [f'"admin kamboja gaji besar {i}",high_risk,same' for i in range(6)]
    _write(tmp_path / "one-campaign.csv", "\n".join(rows) + "\n")
    result = runner.invoke(
        app, ["train", str(tmp_path / "one-campaign.csv"), "-o", str(tmp_path / "m.joblib")]
    )
    assert result.exit_code == 1
    assert "needs high_risk ads in at least 5 different groups; found 1" in result.output


def test_evaluate_refuses_data_left_with_one_label(tiny_model_path: Path, tmp_path: Path) -> None:
    _write(tmp_path / "ev.csv", 'text,label\n"Kasir toko gaji UMK",legit\n"12345",high_risk\n')
    result = runner.invoke(
        app,
        ["evaluate", str(tmp_path / "ev.csv"), "-m", str(tiny_model_path), "-o", str(tmp_path / "m.json")],
    )
    assert result.exit_code == 1 and "only one label is left" in result.output
    assert not (tmp_path / "m.json").exists()


AD = (
    "LOKER admin CS di Phnom Penh, G@JI $1.200, p4sp0r dibantu, tiket ditanggung potong gaji. "
    "Daftar SISKOP2MI."
)


def test_check_highlights_red_flags_and_cues_with_their_explanations(tiny_model_path: Path) -> None:
    result = runner.invoke(app, ["check", AD, "--model", str(tiny_model_path), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "scam_compound_destination" in result.output and "passport_handling" in result.output
    assert "“p4sp0r dibantu”" in result.output  # the evidence, as written
    assert "official_registration" in result.output  # a legitimacy cue, shown as such
    assert "Cambodia" in result.output  # the English explanation


def test_check_json_carries_flags_with_spans_on_the_original_text(tiny_model_path: Path) -> None:
    result = runner.invoke(app, ["check", AD, "--json", "--model", str(tiny_model_path)])
    assert result.exit_code == 0, result.output
    score = json.loads(result.output)
    assert {f["id"] for f in score["red_flags"]} >= {"scam_compound_destination", "passport_handling"}
    assert [f["id"] for f in score["green_flags"]] == ["official_registration"]
    for flag in score["red_flags"] + score["green_flags"]:
        for span in flag["spans"]:
            assert AD[span["start"] : span["end"]] == span["text"]
        assert isinstance(flag["weight"], float)  # the model's own catalogue: weights known


MY_CATALOGUE = """
[[red_flag]]
id = "crypto_task"
severity = "high"
label_id = "Tugas kripto"
label_en = "Crypto task"
explain_id = "Kerja 'tugas' yang meminta deposit kripto."
explain_en = "A 'task' job that asks for a crypto deposit."
patterns = ["deposit usdt|kripto"]
fires = ["wajib deposit USDT dulu", "Deposit kripto 50rb", "d3posit usdt min 100"]
quiet = ["tidak ada deposit usdt", "gaji ditransfer ke rekening"]
"""


def test_a_users_own_catalogue_needs_no_code_change(tiny_model_path: Path, tmp_path: Path) -> None:
    mine = _write(tmp_path / "mine.toml", MY_CATALOGUE)
    listed = runner.invoke(app, ["red-flags", "--catalogue", str(mine)])
    assert listed.exit_code == 0 and "crypto_task" in listed.output
    verified = runner.invoke(app, ["red-flags", "--catalogue", str(mine), "--check"])
    assert verified.exit_code == 0, verified.output
    assert "5 of 5 examples" in verified.output
    checked = runner.invoke(
        app,
        ["check", "Kerja online, deposit USDT 100", "--json", "-m", str(tiny_model_path), "-c", str(mine)],
    )
    assert checked.exit_code == 0, checked.output
    flags = json.loads(checked.output)["red_flags"]
    assert [(f["id"], f["weight"]) for f in flags] == [("crypto_task", None)]  # not a model feature


def test_broken_catalogue_is_one_clear_error(tmp_path: Path) -> None:
    broken = _write(tmp_path / "broken.toml", MY_CATALOGUE.replace('severity = "high"', 'severity = "huge"'))
    result = runner.invoke(app, ["red-flags", "--catalogue", str(broken)])
    assert result.exit_code == 1
    assert "field 'severity': expected one of low, medium, high" in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_red_flags_lists_the_shipped_catalogue_and_shows_one_entry() -> None:
    listed = runner.invoke(app, ["red-flags", "--json"])
    assert listed.exit_code == 0
    entries = json.loads(listed.output)
    assert len(entries) == 46 and {e["kind"] for e in entries} == {"red", "green"}  # 37 red flags, 9 cues
    one = runner.invoke(app, ["red-flags", "passport_handling", "--lang", "en"])
    assert one.exit_code == 0 and "retention of identity documents" in one.output
    missing = runner.invoke(app, ["red-flags", "no_such_flag"])
    assert missing.exit_code == 1 and "tppo-screen red-flags" in missing.output


def test_check_warns_when_the_text_is_too_short_to_trust(tiny_model_path: Path) -> None:
    result = runner.invoke(
        app, ["check", "kerja di Kamboja", "--model", str(tiny_model_path), "--lang", "en"]
    )
    assert result.exit_code == 0
    assert "short text (3 words)" in result.output


@pytest.mark.parametrize("option", ["-o", "--errors"])
def test_score_refuses_to_write_over_its_input(tiny_model_path: Path, tmp_path: Path, option: str) -> None:
    source = _write(tmp_path / "in.csv", "text\nKasir toko\nLOKER KAMBOJA gaji 15jt paspor ditahan\n")
    before = source.read_bytes()
    args = ["score", str(source), "-o", str(tmp_path / "out.csv"), "-m", str(tiny_model_path)]
    args += [option, str(source), "--min-level", "high"]
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and "is the input file" in result.output
    assert source.read_bytes() == before and not (tmp_path / "out.csv").exists()


def test_score_keep_formulas_writes_cells_raw(tiny_model_path: Path, tmp_path: Path) -> None:
    _write(tmp_path / "in.csv", 'note,text\n"=1+1",Kasir toko\n')
    assert _score(tmp_path, tiny_model_path).exit_code == 0
    assert _scored(tmp_path)["note"].tolist() == ["'=1+1"]
    assert _score(tmp_path, tiny_model_path, "--keep-formulas").exit_code == 0
    assert _scored(tmp_path)["note"].tolist() == ["=1+1"]


def test_control_characters_in_ads_never_reach_the_terminal(tiny_model_path: Path, tmp_path: Path) -> None:
    ad = "LOKER KAMBOJA \x1b[31mgaji 15jt\x07 paspor ditahan\x1b]0;owned\x07 \x9b2J"
    result = runner.invoke(app, ["check", ad, "--model", str(tiny_model_path)])
    _write(tmp_path / "in.csv", f'id,text\n"\x1b[2Jad-1","{ad}"\n')
    summary = _score(tmp_path, tiny_model_path, "--id-column", "id")
    missing = _score(tmp_path, tiny_model_path, "--text-column", "\x1b[31mtext")
    assert result.exit_code == 0 and summary.exit_code == 0 and missing.exit_code == 1
    for output in (result.output, summary.output, missing.output):
        assert not any(c in output for c in "\x1b\x07\x9b"), repr(output)
    assert "paspor" in result.output and "ad-1" in summary.output


@pytest.mark.slow  # starts a scoring job with a process pool and kills it
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")
def test_sigterm_leaves_no_output_no_partial_file_and_no_worker(
    tiny_model_path: Path, tmp_path: Path
) -> None:
    import os
    import signal
    import time

    ads = pd.read_csv(TINY, dtype=str)["text"].tolist()
    pd.DataFrame({"text": ads * 3000}).to_csv(tmp_path / "in.csv", index=False)  # 90,000 rows
    command = [
        sys.executable,
        "-c",
        "from tppo_screen.cli import app; app()",
        "score",
        str(tmp_path / "in.csv"),
    ]
    command += ["-o", str(tmp_path / "out.csv"), "-m", str(tiny_model_path), "--workers", "2", "-q"]
    log = tmp_path.parent / f"{tmp_path.name}.stderr"  # not a pipe: orphaned workers would hold it open
    workers: set[int] = set()
    with log.open("w") as stderr:
        job = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        # SIGTERM once the first chunk is written (a few seconds; on a loaded machine, at most
        # after 120 s, with the pool up): the clean-up must hold at any point of the job
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not list(tmp_path.glob(".out.csv.*.partial")):
            workers |= set(children(job.pid))
            assert job.poll() is None, log.read_text()
            time.sleep(0.05)
        workers |= set(children(job.pid))
        assert len(workers) >= 2  # the pool's processes (and the resource tracker)
        job.send_signal(signal.SIGTERM)
        job.wait(timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(alive(pid) for pid in workers):
            time.sleep(0.05)
        survivors = [pid for pid in workers if alive(pid)]
    finally:
        job.kill()
        job.wait()
        for pid in workers:  # whatever the outcome, leave no process of this test behind
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
    assert job.returncode == 143, log.read_text()
    assert "terminated: no output file was written" in log.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]
    assert not survivors
