"""`tppo-screen evaluate --report` writes a report people can read, with real images."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.image
import pytest
from typer.testing import CliRunner

from tppo_screen.cli import app
from tppo_screen.training.report import FILES

TINY = Path(__file__).parent / "assets" / "tiny.csv"


def test_evaluate_report_writes_metrics_markdown_and_images(tiny_model_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = CliRunner().invoke(
        app, ["evaluate", str(TINY), "--model", str(tiny_model_path), "--report", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)  # nothing else, no temporary files
    assert not list(tmp_path.glob(".report.*"))
    metrics = json.loads((out / "metrics.json").read_text())
    printed = json.loads(result.stdout[result.stdout.index("{") :])
    assert metrics["roc_auc"] == printed["roc_auc"] and metrics["at_high"] == printed["at_high"]
    assert len(metrics["worst_errors"]["false_positives"]) == 5
    report = (out / "report.md").read_text()
    assert f"| ROC-AUC | {metrics['roc_auc']:.4f} |" in report
    for name in ("pr_curve.png", "calibration.png", "confusion.png"):
        assert f"]({name})" in report
        image = matplotlib.image.imread(out / name)
        assert image.shape[0] > 300 and image.shape[1] > 300 and image.std() > 0.05  # not blank


def test_report_masks_contacts_in_excerpts(tiny_model_path: Path, tmp_path: Path) -> None:
    import pandas as pd

    from tppo_screen.model.artifacts import load_model
    from tppo_screen.training.report import write_report

    frame = pd.read_csv(TINY)
    frame.loc[frame["label"] == "legit", "text"] += " Hubungi 0812-3456-7890 atau budi.santoso@gmail.com"
    write_report(load_model(tiny_model_path), frame, tmp_path / "r")
    report = (tmp_path / "r" / "report.md").read_text()
    assert "0812-3456-7890" not in report and "budi.santoso@gmail.com" not in report


def test_report_refuses_unlabelled_data(tiny_model_path: Path, tmp_path: Path) -> None:
    data = tmp_path / "plain.csv"
    data.write_text("text\nLowongan admin kantor\n")
    result = CliRunner().invoke(
        app, ["evaluate", str(data), "--model", str(tiny_model_path), "--report", str(tmp_path / "r")]
    )
    assert result.exit_code == 1 and "label" in result.output
    assert not (tmp_path / "r").exists()


@pytest.mark.model
@pytest.mark.parametrize(
    ("folder", "split"), [("sample-report", "real_test"), ("sample-report-corpus", "test")]
)
def test_sample_reports_in_docs_are_current(folder: str, split: str) -> None:
    docs = Path(__file__).resolve().parents[1] / "docs" / folder
    metrics = json.loads((docs / "metrics.json").read_text())
    card = json.loads((Path(__file__).resolve().parents[1] / "models" / "default.card.json").read_text())
    assert metrics["model"].endswith(card["artifact"]["sha256"][:12])
    assert metrics["roc_auc"] == card["metrics"][split]["roc_auc"]
    assert {"by_origin", "by_length", "by_modus", "by_register"} <= set(metrics)
