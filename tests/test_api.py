"""The API through a real uvicorn server on a loopback port it picks itself (no TestClient)."""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import shutil
import socket
import statistics
import string
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.servers import Server, children, poll
from tppo_screen.config import DATA_DIR, DEFAULT_MODEL
from tppo_screen.model.artifacts import Model, card_path
from tppo_screen.model.scoring import score_texts

SCHEMATHESIS_CONFIG = Path(__file__).resolve().parents[1] / "schemathesis.toml"
pytestmark = pytest.mark.slow  # real servers, browsers or notebook kernels: left out of make check

SCAM = "Dicari admin CS di Kamboja 🇰🇭, G@JI $1.500, p4sp0r dibantu, berangkat pakai visa turis"
OFFICE = "Dibutuhkan staf akuntansi S1, pengalaman 2 tahun, penempatan Bandung. Kirim CV ke <email>."
LIMITS = {"TPPO_MAX_TEXT_CHARS": "2000", "TPPO_MAX_BATCH_ITEMS": "5", "TPPO_MAX_BODY_BYTES": "65536"}
KEYS = {
    "TPPO_API_KEYS": "key-one, key-two",
    "TPPO_METRICS_KEYS": "scrape-key",
    "TPPO_CORS_ORIGINS": "https://pelatih.example",
}


def _serve(model: Path, env: dict[str, str], *extra: str) -> Server:
    return Server([sys.executable, "serve.py", "--model", str(model), *extra], env).wait_ready()


@pytest.fixture(scope="module")
def server(tiny_model_path: Path) -> Iterator[Server]:
    running = _serve(tiny_model_path, LIMITS)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def keyed(tiny_model_path: Path) -> Iterator[Server]:
    running = _serve(tiny_model_path, KEYS)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def defaults() -> Iterator[Server]:
    """The shipped model with the default limits (20,000 characters per ad, 2,000,000 per batch):
    the worst case a real deployment faces (the tiny model scores unseen words far faster)."""
    running = _serve(DEFAULT_MODEL, {})
    yield running
    running.stop()


def _same_as_library(result: dict[str, Any], model: Model, text: str, lang: str = "id") -> None:
    expected = score_texts(model, [text], language=lang)[0]  # type: ignore[arg-type]
    assert result["score"] == expected.score  # exact: JSON floats round-trip
    assert result["level"] == expected.level
    assert result["red_flags"] == [hit.model_dump() for hit in expected.red_flags]
    assert result["green_flags"] == [hit.model_dump() for hit in expected.green_flags]
    assert result["top_terms"] == [term.model_dump() for term in expected.top_terms]
    assert result["warnings"] == expected.warnings


# --- scoring ---------------------------------------------------------------------------------


def test_score_returns_exactly_the_library_score(server: Server, tiny_model: Model) -> None:
    status, body, _ = server.call("POST", "/v1/score", {"text": SCAM, "id": "ad-1"})
    assert status == 200
    assert body["id"] == "ad-1" and body["model_version"] == tiny_model.version
    assert body["thresholds"] == tiny_model.thresholds.model_dump()
    _same_as_library(body, tiny_model, SCAM)


def test_score_returns_red_flags_with_spans_on_the_submitted_text(server: Server) -> None:
    status, body, _ = server.call("POST", "/v1/score", {"text": SCAM, "lang": "en", "id": 17})
    assert status == 200 and body["id"] == 17  # numeric ids are echoed as numbers
    found = {flag["id"]: flag for flag in body["red_flags"]}
    assert {"scam_compound_destination", "tourist_visa", "passport_handling"} <= set(found)
    for flag in found.values():
        assert flag["label"] and flag["explanation"]  # the catalogue entry is explained
        for span in flag["spans"]:
            assert SCAM[span["start"] : span["end"]] == span["text"]
    assert "Passport" in found["passport_handling"]["label"]  # English labels on request


def test_short_text_comes_with_a_warning(server: Server) -> None:
    status, body, _ = server.call("POST", "/v1/score", {"text": "kerja di Kamboja", "lang": "en"})
    assert status == 200 and body["warnings"] and "very short text (3 words)" in body["warnings"][0]


def test_batch_returns_library_scores_in_input_order(server: Server, tiny_model: Model) -> None:
    texts = [OFFICE, SCAM, "Lowongan ABK kapal Taiwan tanpa pengalaman, gaji dolar", OFFICE]
    items = [{"text": text, "id": f"row-{n}"} for n, text in enumerate(texts)]
    status, body, _ = server.call("POST", "/v1/score/batch", {"items": items})
    assert status == 200 and body["model_version"] == tiny_model.version
    assert [r["id"] for r in body["results"]] == ["row-0", "row-1", "row-2", "row-3"]
    for result, text in zip(body["results"], texts, strict=True):
        _same_as_library(result, tiny_model, text)


# --- validation and errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "field", "says"),
    [
        ({}, "text", "required"),
        ({"text": ""}, "text", "empty"),
        ({"text": "   12345 !!!"}, "text", "no letters"),
        ({"text": "x" * 2_001}, "text", "at most 2,000"),  # the configured limit, not the default
        ({"text": 42}, "text", "valid string"),
        ({"txt": "Lowongan admin"}, "txt", "unknown field"),
        ({"text": "Lowongan admin", "lang": "fr"}, "lang", "'id' or 'en'"),
        ({"text": "Lowongan admin", "id": False}, "id", "string or an integer"),
        (["Lowongan admin"], "body", "JSON object"),
    ],
)
def test_invalid_requests_get_422_saying_what_to_fix(
    server: Server, payload: Any, field: str, says: str
) -> None:
    status, body, _ = server.call("POST", "/v1/score", payload)
    assert status == 422
    assert body["error"]["code"] == "validation_error"
    assert any(d["field"] == field for d in body["error"]["details"]), body
    assert says in body["error"]["message"]


def test_invalid_batch_items_are_named_by_position(server: Server) -> None:
    items = [{"text": OFFICE}, {"text": ""}]
    status, body, _ = server.call("POST", "/v1/score/batch", {"items": items})
    assert status == 422 and body["error"]["details"][0]["field"] == "items[1].text"
    status, body, _ = server.call("POST", "/v1/score/batch", {"items": [{"text": OFFICE}] * 6})
    assert status == 422 and "6 items; at most 5" in body["error"]["message"]
    status, body, _ = server.call("POST", "/v1/score/batch", {"items": []})
    assert status == 422 and "at least one" in body["error"]["message"]


@pytest.mark.parametrize("raw", [b'{"text": "Lowongan', b"\xff\xfe{}", b""])
def test_malformed_json_is_a_422(server: Server, raw: bytes) -> None:
    headers = {"Content-Type": "application/json"}
    status, body, _ = server.call("POST", "/v1/score", raw=raw, headers=headers)
    assert status == 422 and body["error"]["code"] == "validation_error"


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_json_is_a_415(server: Server, content_type: str | None) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    status, body, _ = server.call("POST", "/v1/score", raw=b'{"text": "Lowongan admin"}', headers=headers)
    assert status == 415 and body["error"]["code"] == "unsupported_media_type"
    assert "application/json" in body["error"]["message"]


def test_a_body_over_the_limit_is_a_413_declared_or_streamed(server: Server) -> None:
    big = json.dumps({"text": "Lowongan " * 10_000}).encode()  # 90 kB > 64 kB
    status, body, _ = server.call("POST", "/v1/score", raw=big, headers={"Content-Type": "application/json"})
    assert status == 413 and "65,536" in body["error"]["message"]

    def stream() -> Iterator[bytes]:  # chunked: no Content-Length to check up front
        yield b'{"text": "'
        for _ in range(100):
            yield b"Lowongan " * 100
        yield b'"}'

    headers = {"Content-Type": "application/json"}
    status, body, _ = server.call("POST", "/v1/score/batch", raw=stream(), headers=headers)
    assert status == 413 and body["error"]["code"] == "payload_too_large"
    assert server.call("POST", "/v1/score", {"text": OFFICE})[0] == 200  # and the server is fine


def test_unknown_routes_and_methods_get_json_errors(server: Server) -> None:
    status, body, _ = server.call("GET", "/v2/score")
    assert status == 404 and body["error"]["code"] == "not_found" and "/docs" in body["error"]["message"]
    status, body, _ = server.call("GET", "/v1/score")
    assert status == 405 and body["error"]["code"] == "method_not_allowed"


# --- catalogue, model, health, metrics, docs ------------------------------------------------


def test_red_flags_are_listed_and_looked_up(server: Server, tiny_model: Model) -> None:
    status, body, _ = server.call("GET", "/v1/red-flags?lang=en")
    assert status == 200 and [e["id"] for e in body] == list(tiny_model.catalogue.ids)
    passport = next(e for e in body if e["id"] == "passport_handling")
    assert passport["kind"] == "red" and passport["sources"] and "Passport" in passport["label"]
    status, one, _ = server.call("GET", "/v1/red-flags/passport_handling")
    assert status == 200 and one["id"] == "passport_handling" and one["label"] != passport["label"]
    status, body, _ = server.call("GET", "/v1/red-flags/no_such_flag")
    assert status == 404 and "no_such_flag" in body["error"]["message"]


def test_model_card_is_served(server: Server, tiny_model: Model) -> None:
    status, body, _ = server.call("GET", "/v1/model")
    assert status == 200 and body["artifact"]["sha256"] == tiny_model.card.artifact["sha256"]
    assert body["thresholds"] == tiny_model.thresholds.model_dump() and "cv" in body["metrics"]


def test_health_and_readiness(server: Server, tiny_model: Model) -> None:
    assert server.call("GET", "/healthz")[:2] == (200, {"status": "ok", "model_version": None})
    assert server.call("GET", "/readyz")[:2] == (
        200,
        {"status": "ready", "model_version": tiny_model.version},
    )


def _metric(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_latency_and_levels(server: Server) -> None:
    before = server.call("GET", "/metrics")[1]
    server.call("POST", "/v1/score", {"text": SCAM})
    server.call("POST", "/v1/score/batch", {"items": [{"text": SCAM}, {"text": OFFICE}]})
    server.call("POST", "/v1/score", {"text": ""})
    status, after, headers = server.call("GET", "/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain")

    def grew(name: str, **labels: str) -> float:
        return _metric(after, name, **labels) - _metric(before, name, **labels)

    assert grew("tppo_requests_total", route="/v1/score", status="200") == 1
    assert grew("tppo_requests_total", route="/v1/score", status="422") == 1
    assert grew("tppo_requests_total", route="/v1/score/batch", status="200") == 1
    assert grew("tppo_request_duration_seconds_count", route="/v1/score") == 2
    assert sum(grew("tppo_scores_total", level=level) for level in ("low", "medium", "high")) == 3


def test_openapi_documents_every_endpoint_with_indonesian_examples(server: Server) -> None:
    status, spec, _ = server.call("GET", "/openapi.json")
    assert status == 200
    paths = spec["paths"]
    for path in ("/v1/score", "/v1/score/batch", "/v1/red-flags", "/v1/red-flags/{flag_id}", "/v1/model"):
        assert path in paths
    for path in ("/healthz", "/readyz", "/metrics"):
        assert path in paths
    score = paths["/v1/score"]["post"]
    assert {"413", "415", "422"} <= set(score["responses"])
    examples = score["requestBody"]["content"]["application/json"]["examples"]
    assert "Kamboja" in examples["scam_compound"]["value"]["text"]
    assert "securitySchemes" not in spec.get("components", {})  # no keys configured: none asked


@pytest.mark.parametrize(("page", "assets"), [("/docs", 3), ("/redoc", 2)])
def test_docs_pages_load_their_scripts_and_styles_from_this_server(
    server: Server, page: str, assets: int
) -> None:
    status, html, headers = server.call("GET", page)
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert not re.search(r"https?:|//[a-z]", html), "the page names another host"
    urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert len(urls) == assets and all(url.startswith("/docs/assets/") for url in urls), urls
    for url in urls:
        status, body, headers = server.call("GET", url)
        assert status == 200 and len(body) > 1_000, url
    if page == "/docs":
        assert "/openapi.json" in html and any(u.endswith("swagger-ui-bundle.js") for u in urls)
    status, body, _ = server.call("GET", "/docs/assets/missing.js")
    assert status == 404 and body["error"]["code"] == "not_found"


def test_schemathesis_finds_no_server_errors_or_schema_violations(server: Server, tmp_path: Path) -> None:
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            f"--config-file={SCHEMATHESIS_CONFIG}",  # what /v1/score/image may refuse
            "run",
            f"http://127.0.0.1:{server.port}/openapi.json",
        ]
        + ["--checks", "all", "--max-examples", "40", "--seed", "1"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,  # schemathesis keeps a cache in the working directory
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
    )
    assert run.returncode == 0, run.stdout[-4000:]
    assert "No issues found" in run.stdout


# --- access ----------------------------------------------------------------------------------


def test_api_keys_guard_v1_but_not_health(keyed: Server) -> None:
    assert keyed.call("POST", "/v1/score", {"text": OFFICE})[0] == 401
    status, body, _ = keyed.call("GET", "/v1/model", headers={"X-API-Key": "wrong"})
    assert status == 401 and "X-API-Key" in body["error"]["message"]
    assert keyed.call("POST", "/v1/score", {"text": OFFICE}, headers={"X-API-Key": "key-two"})[0] == 200
    assert keyed.call("GET", "/v1/model", headers={"X-API-Key": "scrape-key"})[0] == 401  # metrics only
    for path in ("/healthz", "/readyz", "/openapi.json"):
        assert keyed.call("GET", path)[0] == 200, path
    spec = keyed.call("GET", "/openapi.json")[1]
    assert "APIKeyHeader" in spec["components"]["securitySchemes"]


def test_schemathesis_with_a_key_finds_nothing(keyed: Server, tmp_path: Path) -> None:
    run = subprocess.run(
        [
            str(Path(sys.executable).parent / "schemathesis"),
            f"--config-file={SCHEMATHESIS_CONFIG}",  # what /v1/score/image may refuse
            "run",
            f"http://127.0.0.1:{keyed.port}/openapi.json",
        ]
        + ["--checks", "all", "--max-examples", "20", "--seed", "1", "--header", "X-API-Key: key-one"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,  # schemathesis keeps a cache in the working directory
    )
    assert run.returncode == 0, run.stdout[-4000:]


def test_cors_allows_only_the_configured_origins(keyed: Server) -> None:
    preflight = {"Origin": "https://pelatih.example", "Access-Control-Request-Method": "POST"}
    status, _, headers = keyed.call("OPTIONS", "/v1/score", headers=preflight)
    assert status == 200 and headers["access-control-allow-origin"] == "https://pelatih.example"
    _, _, headers = keyed.call("GET", "/healthz", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in headers


def _raw_exchange(port: int, head: bytes, body: bytes, within: float) -> tuple[bytes, float]:
    """Send `head` and `body` on a fresh socket; return the answer (up to the end of a JSON error
    body, the connection's close, or `within` seconds) and how long it took."""
    with socket.create_connection(("127.0.0.1", port), timeout=within) as sock:
        started = time.monotonic()
        sock.sendall(head + body)
        answer = b""
        try:
            while not answer.endswith(b"]}}") and (chunk := sock.recv(4096)):
                answer += chunk
        except TimeoutError:
            pass
        return answer, time.monotonic() - started


def test_a_request_without_a_valid_key_is_refused_before_its_body_is_read(keyed: Server) -> None:
    # 10 MB announced (under the 16 MiB limit), 10 bytes sent: the 401 must not wait for the rest
    for key in (b"", b"X-API-Key: wrong\r\n", b"X-API-Key: k\xe9y-\xff\r\n"):  # non-ASCII too
        head = (
            b"POST /v1/score/batch HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            + key
            + b"Content-Length: 10000000\r\n\r\n"
        )
        answer, took = _raw_exchange(keyed.port, head, b'{"items": ', within=5)
        assert answer.startswith(b"HTTP/1.1 401 "), (key, answer[:80])
        assert b'"code":"unauthorized"' in answer and took < 2, took
    status, body, _ = keyed.call("POST", "/v1/score", {"text": OFFICE}, headers={"X-API-Key": "key-one"})
    assert status == 200 and body["level"]  # the right key still gets through
    assert "unhandled error" not in keyed.output()


def test_metrics_need_a_key_when_keys_are_configured(keyed: Server, server: Server) -> None:
    assert keyed.call("GET", "/metrics")[0] == 401
    assert keyed.call("GET", "/metrics", headers={"X-API-Key": "nope"})[0] == 401
    for headers in (
        {"X-API-Key": "scrape-key"},
        {"X-API-Key": "key-one"},
        {"Authorization": "Bearer scrape-key"},
    ):
        status, text, _ = keyed.call("GET", "/metrics", headers=headers)
        assert status == 200 and "tppo_requests_total" in text, headers
    assert server.call("GET", "/metrics")[0] == 200  # no keys configured: open
    spec = keyed.call("GET", "/openapi.json")[1]
    assert (
        "TPPO_METRICS_KEYS" in spec["info"]["description"]
        and "401" in spec["paths"]["/metrics"]["get"]["responses"]
    )


def test_every_response_says_nosniff(server: Server, keyed: Server) -> None:
    calls = [
        (server, "GET", "/healthz", None),
        (server, "POST", "/v1/score", {"text": OFFICE}),
        (server, "POST", "/v1/score/batch", {"items": [{"text": OFFICE}]}),
        (server, "POST", "/v1/score", {"text": ""}),
        (server, "GET", "/v2/nothing", None),
        (server, "GET", "/docs", None),
        (server, "GET", "/openapi.json", None),
        (server, "GET", "/", None),
        (keyed, "GET", "/v1/model", None),
        (keyed, "GET", "/metrics", None),
    ]
    for running, method, path, body in calls:
        _, _, headers = running.call(method, path, body)
        assert headers.get("x-content-type-options") == "nosniff", path


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"text": "Lowongan admin", "id": "\\ud800"}', "id"),  # a lone surrogate: 500 before
        (b'{"text": "Lowongan admin \\udfff"}', "text"),
        (b'{"text": "Lowongan admin", "\\ud800": 1}', "body"),
        (b'{"items": [{"text": "Lowongan admin", "id": "a\\udc80"}]}', "items[0].id"),
    ],
)
def test_no_input_gives_a_500(server: Server, raw: bytes, field: str) -> None:
    path = "/v1/score/batch" if raw.startswith(b'{"items"') else "/v1/score"
    status, body, _ = server.call("POST", path, raw=raw, headers={"Content-Type": "application/json"})
    assert status == 422 and body["error"]["code"] == "validation_error", body
    assert any(d["field"] == field for d in body["error"]["details"]), body
    assert "Unicode" in body["error"]["message"]


def test_a_batch_over_the_character_limit_is_refused_before_scoring(defaults: Server) -> None:
    items = [{"text": "Lowongan kerja " * 1_333}] * 101  # 101 × 19,995 = 2,019,495 characters
    started = time.monotonic()
    status, body, _ = defaults.call("POST", "/v1/score/batch", {"items": items})
    assert status == 422 and body["error"]["details"][0]["field"] == "items", body
    assert "2,019,495 characters" in body["error"]["message"]
    assert (
        "at most 2,000,000" in body["error"]["message"] and "TPPO_MAX_BATCH_CHARS" in body["error"]["message"]
    )
    assert time.monotonic() - started < 5  # refused, not scored
    assert defaults.call("POST", "/v1/score/batch", {"items": items[:100]})[0] == 200  # 1,999,500: fine


def _unseen_words(rng: random.Random, chars: int) -> str:
    words = ("".join(rng.choices(string.ascii_lowercase, k=rng.randint(5, 11))) for _ in range(chars))
    text = ""
    for word in words:
        if len(text) >= chars:
            return text[:chars]
        text += word + " "
    return text


def test_healthz_answers_within_50_ms_while_the_worker_scores(defaults: Server) -> None:
    """/healthz is polled while the worker scores single ads of 20,000 characters of never-seen
    words (0.4-0.6 s of CPU each, on the event loop before), then a batch of 2,000,000 characters."""
    rng = random.Random(21)
    texts = pd.read_csv(DATA_DIR / "samples" / "listings.csv")["text"].tolist()
    batch = {"items": [{"text": (" ".join(rng.sample(texts, 60)))[:20_000]} for _ in range(100)]}
    work = [("/v1/score", {"text": _unseen_words(rng, 20_000)}) for _ in range(6)] + [
        ("/v1/score/batch", batch)
    ]
    phase = ["start"]
    answers: list[int] = []

    def score() -> None:
        for path, body in work:
            phase[0] = path
            answers.append(defaults.call("POST", path, body)[0])
        phase[0] = "done"

    scorer = threading.Thread(target=score)
    scorer.start()
    latencies: dict[str, list[float]] = {"/v1/score": [], "/v1/score/batch": []}
    deadline = time.monotonic() + 120
    while phase[0] != "done" and time.monotonic() < deadline:
        during, started = phase[0], time.perf_counter()
        assert defaults.call("GET", "/healthz")[0] == 200
        latencies.setdefault(during, []).append(time.perf_counter() - started)
        time.sleep(0.02)
    scorer.join(timeout=120)
    assert answers == [200] * 7
    for path in ("/v1/score", "/v1/score/batch"):
        seen = sorted(latencies[path])
        p95 = seen[int(0.95 * (len(seen) - 1))] if seen else 0
        assert len(seen) >= 3 and p95 < 0.050, (
            f"while {path}: {len(seen)} calls, median {statistics.median(seen) * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, max {seen[-1] * 1000:.0f} ms"
        )


# --- load ------------------------------------------------------------------------------------


def test_2000_requests_from_32_clients_all_match_the_library(server: Server, tiny_model: Model) -> None:
    texts = pd.read_csv(DATA_DIR / "samples" / "listings.csv")["text"].tolist()
    texts = [t[:2000] for t in texts]  # the server's configured limit
    expected = {n: s.score for n, s in enumerate(score_texts(tiny_model, texts))}

    def client(worker: int) -> list[tuple[int, int, float | None]]:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        out = []
        for k in range(worker, 2_000, 32):
            n = k % len(texts)
            body = json.dumps({"text": texts[n], "id": n}).encode()
            connection.request("POST", "/v1/score", body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            result = json.loads(response.read())
            out.append((response.status, n, result.get("score") if result.get("id") == n else None))
        connection.close()
        return out

    with ThreadPoolExecutor(32) as pool:
        answers = [answer for batch in pool.map(client, range(32)) for answer in batch]
    assert len(answers) == 2_000
    assert all(status == 200 for status, _, _ in answers)
    assert all(score == expected[n] for _, n, score in answers)


# --- startup ---------------------------------------------------------------------------------


def test_all_three_ways_to_start_serve_the_same_model(tiny_model_path: Path, tiny_model: Model) -> None:
    env = {"TPPO_MODEL_PATH": str(tiny_model_path)}
    commands = [
        [str(Path(sys.executable).parent / "tppo-screen"), "serve", "--workers", "2"],
        [sys.executable, "-m", "uvicorn", "tppo_screen.serving.app:app"],
    ]
    for command in commands:
        running = Server(command, env).wait_ready()
        try:
            for _ in range(6):  # spread over both workers
                status, body, _ = running.call("POST", "/v1/score", {"text": SCAM})
                assert status == 200 and body["model_version"] == tiny_model.version
            metrics = running.call("GET", "/metrics")[1]
            assert _metric(metrics, "tppo_requests_total", route="/v1/score", status="200") == 6
        finally:
            running.stop()


def _client_ports_per_process(pids: list[int], port: int) -> dict[int, set[int]]:
    """The client ports of the established TCP connections on local `port` that each process
    holds (from /proc)."""
    clients = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "01":  # 01: ESTABLISHED
            clients[f"socket:[{fields[9]}]"] = int(fields[2].split(":")[1], 16)
    held = {}
    for pid in pids:
        links = {_link(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
        held[pid] = {clients[link] for link in links if link in clients}
    return held


def _link(fd: Path) -> str:
    try:
        return os.readlink(fd)
    except FileNotFoundError:  # closed between listing the directory and reading the link
        return ""


def test_workers_share_a_connection_pool_evenly(tiny_model_path: Path) -> None:
    tppo = str(Path(sys.executable).parent / "tppo-screen")
    running = Server([tppo, "serve", "--workers", "2", "--model", str(tiny_model_path)], {}).wait_ready()
    workers = [
        pid
        for pid in children(running.process.pid)
        if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text()
    ]

    def held() -> list[set[int]]:
        return list(_client_ports_per_process(workers, running.port).values())

    def connect() -> http.client.HTTPConnection:
        connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=60)
        connection.request("GET", "/readyz")
        assert connection.getresponse().read()
        return connection

    pool = [connect() for _ in range(16)]  # a platform's keep-alive pool: 16 connections
    try:
        assert sorted(map(len, held())) == [8, 8]
        first = held()[0]
        closing = [c for c in pool if c.sock.getsockname()[1] in first]
        for connection in closing[:6]:  # six of one worker's eight close
            connection.close()
            pool.remove(connection)
        poll(lambda: sorted(map(len, held())) == [2, 8], 10, "the worker closed the six connections")
        # a request on one of its two left: by the time that worker answers, it has reported the
        # six closes (it reports each as it closes), and the supervisor reads reports before dealing
        closing[6].request("GET", "/readyz")
        assert closing[6].getresponse().read()
        pool.extend(connect() for _ in range(6))  # new connections go to the worker with fewer
        assert sorted(map(len, held())) == [8, 8]
    finally:
        for connection in pool:
            connection.close()
        running.stop()


def test_workers_stop_cleanly_and_a_busy_port_is_a_clear_error(tiny_model_path: Path) -> None:
    tppo = str(Path(sys.executable).parent / "tppo-screen")
    running = Server([tppo, "serve", "--workers", "2", "--model", str(tiny_model_path)], {}).wait_ready()
    try:
        clash = subprocess.run(
            [tppo, "serve", "--workers", "2", "--model", str(tiny_model_path), "--port", str(running.port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert clash.returncode == 1
        assert f"cannot listen on 127.0.0.1:{running.port}" in clash.stderr and "--port" in clash.stderr
        assert running.call("GET", "/readyz")[0] == 200  # the running server is untouched
        pids = children(running.process.pid)
        assert len(pids) >= 2
    finally:
        running.stop()
    assert running.process.returncode == 0
    # every child (the workers and multiprocessing's resource tracker, which exits just after
    # its parent) is gone within seconds, and no orphaned worker keeps the port
    poll(lambda: not any(_alive(pid) for pid in pids), 10, "every child of the supervisor gone")
    with socket.socket() as sock:  # SO_REUSEADDR as servers use: fails only if someone listens
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", running.port))
        sock.listen()


def _alive(pid: int) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False


def test_startup_fails_clearly_on_a_tampered_model(tiny_model_path: Path, tmp_path: Path) -> None:
    model = tmp_path / "m.joblib"
    shutil.copy(tiny_model_path, model)
    shutil.copy(card_path(tiny_model_path), card_path(model))
    with model.open("ab") as handle:
        handle.write(b"\0")
    server = Server([sys.executable, "serve.py", "--model", str(model)], {})
    assert server.process.wait(timeout=60) == 1
    output = server.output()
    server.log.close()
    assert "does not match its card" in output and "Traceback" not in output


def test_plain_uvicorn_startup_logs_why_it_refuses_a_model(tmp_path: Path) -> None:
    process = subprocess.run(
        [sys.executable, "-m", "uvicorn", "tppo_screen.serving.app:app", "--port", "0"],
        env={**os.environ, "TPPO_MODEL_PATH": str(tmp_path / "absent.joblib")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert process.returncode != 0
    assert "cannot start: model file not found" in process.stderr
