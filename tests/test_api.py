"""The API through a real uvicorn server on a free loopback port."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tppo_screen.artifacts import Model, card_path
from tppo_screen.scoring import score_texts


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(model_path: Path) -> tuple[subprocess.Popen[str], str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "serve.py", "--port", str(port)],
        env={**os.environ, "TPPO_MODEL_PATH": str(model_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, f"http://127.0.0.1:{port}"


def _request(url: str, body: dict[str, object] | None = None) -> tuple[int, dict[str, object]]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture(scope="module")
def server(tiny_model_path: Path) -> Iterator[str]:
    process, base = _start(tiny_model_path)
    try:
        for _ in range(100):
            try:
                if _request(base + "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("server did not start: " + (process.stdout.read() if process.stdout else ""))
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_score_endpoint_returns_the_library_score(server: str, tiny_model: Model) -> None:
    text = "Admin CS Kamboja gaji 15jt, paspor dibantu, tiket ditanggung"
    status, body = _request(server + "/v1/score", {"text": text, "id": "ad-1"})
    assert status == 200
    expected = score_texts(tiny_model, [text])[0]
    assert body["id"] == "ad-1"
    assert body["score"] == pytest.approx(expected.score)
    assert body["level"] == expected.level
    assert body["thresholds"] == tiny_model.thresholds.model_dump()


def test_score_endpoint_returns_red_flags_with_spans_on_the_submitted_text(server: str) -> None:
    text = "Dicari admin CS di Kamboja 🇰🇭, G@JI $1.500, p4sp0r dibantu, berangkat pakai visa turis"
    status, body = _request(server + "/v1/score", {"text": text, "lang": "en"})
    assert status == 200
    found = {flag["id"]: flag for flag in body["red_flags"]}
    assert {"scam_compound_destination", "tourist_visa", "passport_handling"} <= set(found)
    for flag in found.values():
        assert flag["label"] and flag["explanation"] and flag["severity"] in {"low", "medium", "high"}
        for span in flag["spans"]:
            assert text[span["start"] : span["end"]] == span["text"]
    assert "Passport" in found["passport_handling"]["label"]  # English labels on request


@pytest.mark.parametrize(
    "payload", [{}, {"text": ""}, {"text": "   "}, {"text": "12345 !!!"}, {"text": "x" * 20_001}]
)
def test_invalid_text_is_a_422(server: str, payload: dict[str, object]) -> None:
    status, body = _request(server + "/v1/score", payload)
    assert status == 422
    assert "text" in json.dumps(body)


def test_model_card_is_served(server: str, tiny_model: Model) -> None:
    status, body = _request(server + "/v1/model")
    assert status == 200 and body["artifact"]["sha256"] == tiny_model.card.artifact["sha256"]


def test_openapi_documents_the_score_endpoint(server: str) -> None:
    status, body = _request(server + "/openapi.json")
    assert status == 200 and "/v1/score" in body["paths"]  # type: ignore[operator]


def test_startup_fails_clearly_on_a_tampered_model(tiny_model_path: Path, tmp_path: Path) -> None:
    model = tmp_path / "m.joblib"
    shutil.copy(tiny_model_path, model)
    shutil.copy(card_path(tiny_model_path), card_path(model))
    with model.open("ab") as handle:
        handle.write(b"\0")
    process, _ = _start(model)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "does not match its card" in output and "Traceback" not in output


def test_plain_uvicorn_startup_logs_why_it_refuses_a_model(tmp_path: Path) -> None:
    process = subprocess.run(
        [sys.executable, "-m", "uvicorn", "tppo_screen.api:app", "--port", str(_free_port())],
        env={**os.environ, "TPPO_MODEL_PATH": str(tmp_path / "absent.joblib")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode != 0
    assert "cannot start: model file not found" in process.stderr
