"""Drift: `tppo-screen drift` (PSI of the score, red-flag rates, plot) and the service's score
histogram and red-flag counters per model version."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from tests.conftest import TINY
from tests.servers import Server
from tppo_screen.cli.app import app
from tppo_screen.model.artifacts import Model
from tppo_screen.training.drift import bin_shares, interpret, psi

runner = CliRunner()
SCAM = (
    "Dicari admin CS di Kamboja, gaji 15 juta, paspor dibantu, berangkat pakai visa turis, tanpa pengalaman"
)


def _drift(tmp_path: Path, model: Path, batch: Path, *extra: str) -> dict[str, object]:
    report = tmp_path / f"{batch.stem}.json"
    result = runner.invoke(
        app,
        ["drift", str(batch), "--model", str(model), "--reference", str(TINY)]
        + ["--cache-dir", str(tmp_path / "cache"), "-o", str(report), *extra],
    )
    assert result.exit_code == 0, result.output
    return {"output": " ".join(result.output.split()), **json.loads(report.read_text())}


def test_psi_is_zero_for_equal_shares_and_grows_with_the_shift() -> None:
    rng = np.random.default_rng(0)
    reference = rng.beta(1, 4, 5000)
    edges = np.quantile(reference, np.linspace(0.1, 0.9, 9))
    base = bin_shares(reference, edges)
    assert np.allclose(base, 0.1, atol=0.01) and psi(base, base) == 0
    slight = psi(base, bin_shares(rng.beta(1, 4, 5000), edges))
    strong = psi(base, bin_shares(rng.beta(3, 2, 5000), edges))
    assert slight < 0.1 < 0.25 < strong
    assert [interpret(v) for v in (0.05, 0.1, 0.2, 0.25, 1.3)] == [
        "stable",
        "watch",
        "watch",
        "shift",
        "shift",
    ]


@pytest.mark.slow
def test_drift_of_the_training_file_is_stable_and_a_shifted_batch_is_a_shift(
    tmp_path: Path, tiny_model_path: Path
) -> None:
    same = _drift(tmp_path, tiny_model_path, TINY)
    assert same["psi"] == 0 and same["reading"] == "stable" and "PSI 0.000: stable" in str(same["output"])
    corpus = pd.read_csv(TINY)
    shifted = tmp_path / "shifted.csv"  # a week of nothing but high-risk ads
    corpus[corpus["label"] == "high_risk"].to_csv(shifted, index=False)
    plot = tmp_path / "drift.png"
    moved = _drift(tmp_path, tiny_model_path, shifted, "--plot", str(plot))
    assert moved["psi"] > 0.25 and moved["reading"] == "shift" and "shift" in str(moved["output"])
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    flags = moved["flags"]
    assert isinstance(flags, list) and flags and all(f["rate"] >= 0 for f in flags)
    assert any(f["ratio"] is not None and f["ratio"] > 1 for f in flags)  # red flags more common
    assert list((tmp_path / "cache").glob("reference-*.json"))  # the reference is scored once


@pytest.mark.slow
def test_fail_on_exits_3_when_the_batch_has_drifted_that_far(tmp_path: Path, tiny_model_path: Path) -> None:
    corpus = pd.read_csv(TINY)
    shifted = tmp_path / "shifted.csv"
    corpus[corpus["label"] == "high_risk"].to_csv(shifted, index=False)
    base = ["drift", "--model", str(tiny_model_path), "--reference", str(TINY), "--cache-dir", str(tmp_path)]
    assert runner.invoke(app, [*base, str(TINY), "--fail-on", "watch"]).exit_code == 0
    moved = runner.invoke(app, [*base, str(shifted), "--fail-on", "shift"])
    assert moved.exit_code == 3 and "shift" in moved.output
    assert runner.invoke(app, [*base, str(shifted), "--fail-on", "nonsense"]).exit_code == 2


def test_drift_names_a_missing_text_column(tmp_path: Path, tiny_model_path: Path) -> None:
    batch = tmp_path / "batch.csv"
    pd.DataFrame({"body": ["Loker kasir"]}).to_csv(batch, index=False)
    result = runner.invoke(
        app, ["drift", str(batch), "--model", str(tiny_model_path), "--reference", str(TINY)]
    )
    assert result.exit_code == 1 and "no column 'text'" in result.output


@pytest.fixture(scope="module")
def server(tiny_model_path: Path) -> Iterator[Server]:
    running = Server([sys.executable, "serve.py", "--model", str(tiny_model_path)], {}).wait_ready()
    yield running
    running.stop()


def _value(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


@pytest.mark.slow
def test_metrics_expose_the_score_histogram_and_red_flag_counters(server: Server, tiny_model: Model) -> None:
    status, body, _ = server.call(
        "POST", "/v1/score/batch", {"items": [{"text": SCAM}, {"text": SCAM + "!"}]}
    )
    assert status == 200
    version = body["model_version"]
    flags = {flag["id"] for flag in body["results"][0]["red_flags"]}
    assert flags and version == tiny_model.version
    metrics = server.call("GET", "/metrics")[1]
    assert _value(metrics, "tppo_risk_score_count", model_version=version) == 2
    score = body["results"][0]["score"]
    assert _value(metrics, "tppo_risk_score_sum", model_version=version) == pytest.approx(
        score + body["results"][1]["score"], rel=1e-6
    )
    above = _value(metrics, "tppo_risk_score_bucket", model_version=version, le="1.0")
    below = _value(metrics, "tppo_risk_score_bucket", model_version=version, le="0.05")
    assert above == 2 and below == sum(r["score"] <= 0.05 for r in body["results"])
    for flag in flags:
        assert _value(metrics, "tppo_red_flags_total", model_version=version, flag=flag) == 2
