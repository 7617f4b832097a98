"""POST /v1/score/image on a real uvicorn (serve.py) with real Tesseract: the score of a poster with
its OCR and boxes, every refusal's HTTP code, the body limit of the route, the key check."""

from __future__ import annotations

import io
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, PngImagePlugin

from tests.posters import (
    SCAM_POSTER_TEXT,
    animated_gif,
    encoded,
    fifty_megapixels,
    multipart,
    render_poster,
)
from tests.servers import Server
from tppo_screen.model.artifacts import Model
from tppo_screen.model.scoring import score_texts

pytestmark = pytest.mark.slow  # a real server and OCR

KEY = {"X-API-Key": "image-key"}
ENV = {
    "TPPO_API_KEYS": "image-key",
    "TPPO_MAX_BODY_BYTES": "65536",  # JSON routes: 64 KiB
    "TPPO_MAX_IMAGE_BYTES": "300000",  # pictures: 300 kB (+ 64 KiB for the multipart envelope)
}


@pytest.fixture(scope="module")
def server(tiny_model_path: Path) -> Iterator[Server]:
    running = Server([sys.executable, "serve.py", "--model", str(tiny_model_path)], ENV).wait_ready()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def poster_png() -> bytes:
    return encoded(render_poster(SCAM_POSTER_TEXT).image)


def _post(server: Server, data: bytes, name: str = "poster.png", **fields: str) -> tuple[int, Any]:
    body, content_type = multipart({"file": (name, data, "application/octet-stream"), **fields})
    status, answer, _ = server.call(
        "POST", "/v1/score/image", raw=body, headers={**KEY, "Content-Type": content_type}
    )
    return status, answer


def test_a_poster_is_scored_as_its_text_with_ocr_and_boxes(
    server: Server, poster_png: bytes, tiny_model: Model
) -> None:
    status, body = _post(server, poster_png, id="poster-7")
    assert status == 200, body
    assert body["id"] == "poster-7" and "KAMBOJA" in body["ocr"]["text"]
    library = score_texts(tiny_model, [body["ocr"]["text"]])[0]
    assert body["score"] == pytest.approx(library.score) and body["level"] == library.level
    assert [hit["id"] for hit in body["red_flags"]] == [hit.id for hit in library.red_flags]
    assert body["ocr"]["width"] == Image.open(io.BytesIO(poster_png)).width
    assert all(len(word["box"]) == 4 and 0 <= word["confidence"] <= 100 for word in body["ocr"]["words"])
    passport = next(span for span in body["spans"] if span["flag"] == "passport_handling")
    assert body["ocr"]["text"][passport["start"] : passport["end"]].lower() == "paspor dibantu"
    assert len(passport["boxes"]) == 1 and passport["boxes"][0][2] > 100


def _padded_png(size: int) -> bytes:
    """A small poster made `size` bytes or so by an uncompressed text chunk (a real, valid PNG)."""
    info = PngImagePlugin.PngInfo()
    info.add_text("comment", "x" * size)
    return encoded(render_poster("Lowongan admin gudang, gaji UMR").image, pnginfo=info)


def test_a_picture_over_the_json_body_limit_but_under_the_image_limit_is_accepted(server: Server) -> None:
    picture = _padded_png(200_000)  # 200 kB > TPPO_MAX_BODY_BYTES (64 KiB) < TPPO_MAX_IMAGE_BYTES
    status, body = _post(server, picture)
    assert status == 200, body
    status, body = _post(server, _padded_png(280_000) + b"\0" * 30_000)  # 310 kB: the route's limit
    assert status == 413 and "over the limit of 300,000" in body["error"]["message"]
    status, body = _post(server, _padded_png(400_000))  # over limit + envelope: the middleware
    assert status == 413 and "TPPO_MAX_IMAGE_BYTES" in body["error"]["message"]


@pytest.mark.parametrize(
    ("make", "status", "kind"),
    [
        (lambda png: b"Lowongan kerja admin, gaji besar", 415, "not_image"),
        (lambda png: animated_gif(), 415, "animated"),
        (lambda png: encoded(Image.new("RGB", (30, 30)), "TIFF"), 415, "not_image"),
        (lambda png: b"", 422, "empty"),
        (lambda png: png[: len(png) // 2], 422, "truncated"),
        (lambda png: encoded(Image.new("RGB", (300, 200), (40, 90, 160))), 422, "no_text"),
        (lambda png: fifty_megapixels(), 413, "too_many_pixels"),
    ],
)
def test_each_bad_picture_gets_its_code_and_kind(
    server: Server, poster_png: bytes, make: Any, status: int, kind: str
) -> None:
    got, body = _post(server, make(poster_png))
    assert got == status, body
    assert body["error"]["details"][0]["kind"] == kind and body["error"]["message"]


def test_a_request_that_is_not_a_multipart_upload_is_refused(server: Server) -> None:
    status, body, _ = server.call("POST", "/v1/score/image", {"text": "Lowongan"}, headers=KEY)
    assert status == 415 and "multipart/form-data" in body["error"]["message"]
    body_bytes, content_type = multipart({"id": "x"})  # no `file`
    headers = {**KEY, "Content-Type": content_type}
    status, body, _ = server.call("POST", "/v1/score/image", raw=body_bytes, headers=headers)
    assert status == 422 and "file" in body["error"]["message"]
    broken = {**KEY, "Content-Type": "multipart/form-data; boundary=b"}
    status, body, _ = server.call("POST", "/v1/score/image", raw=b"--b\r\n[{}]--b--\r\n", headers=broken)
    assert status == 422 and "not valid multipart/form-data" in body["error"]["message"]


def test_without_a_key_the_upload_is_refused_before_its_body_is_read(server: Server) -> None:
    head = (
        b"POST /v1/score/image HTTP/1.1\r\nHost: t\r\n"
        b"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 300000\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        started = time.monotonic()
        sock.sendall(head + b"--b\r\n")
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 401 ") and time.monotonic() - started < 2


def test_health_answers_while_pictures_are_read(server: Server, poster_png: bytes) -> None:
    uploads = [threading.Thread(target=_post, args=(server, poster_png)) for _ in range(2)]
    for upload in uploads:
        upload.start()
    waits: list[float] = []
    while any(upload.is_alive() for upload in uploads):  # OCR runs 1-3 s per poster here
        started = time.monotonic()
        assert server.call("GET", "/healthz")[0] == 200
        waits.append(time.monotonic() - started)
    for upload in uploads:
        upload.join(timeout=60)
    assert len(waits) >= 2 and max(waits) < 0.5, waits


def test_openapi_documents_the_upload_and_an_example(server: Server) -> None:
    spec = server.call("GET", "/openapi.json")[1]
    operation = spec["paths"]["/v1/score/image"]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]
    example = operation["responses"]["200"]["content"]["application/json"]["example"]
    assert example["ocr"]["words"] and example["spans"][0]["boxes"]
    assert {"413", "415", "422"} <= set(operation["responses"])


def test_without_tesseract_pictures_get_a_503_and_text_still_scores(
    tiny_model_path: Path, poster_png: bytes
) -> None:
    no_tesseract = {**ENV, "PATH": str(Path(sys.executable).parent)}  # python, uvicorn: no tesseract
    running = Server([sys.executable, "serve.py", "--model", str(tiny_model_path)], no_tesseract)
    try:
        running.wait_ready()
        status, body = _post(running, poster_png)
        assert status == 503 and body["error"]["code"] == "ocr_failed", body
        assert "make ocr" in running.output()  # the log tells the operator what to do
        text = {"text": "Dibutuhkan staf akuntansi S1, pengalaman 2 tahun, penempatan Bandung."}
        assert running.call("POST", "/v1/score", text, headers=KEY)[0] == 200
    finally:
        running.stop()


def test_a_flood_of_pictures_past_the_ocr_slots_and_queue_is_refused_at_once_with_retry_after(
    tiny_model_path: Path, poster_png: bytes
) -> None:
    """One slot and one place in the queue: of 8 pictures sent together, those that find both
    taken get 503 `ocr_busy` with Retry-After at once; the others are read; the gate is free
    again afterwards."""
    env = {**ENV, "TPPO_OCR_SLOTS": "1", "TPPO_OCR_QUEUE": "1"}
    running = Server([sys.executable, "serve.py", "--model", str(tiny_model_path)], env).wait_ready()
    body, content_type = multipart({"file": ("poster.png", poster_png, "application/octet-stream")})
    answers: list[tuple[int, Any, dict[str, str]]] = []

    def send() -> None:
        headers = {**KEY, "Content-Type": content_type}
        answers.append(running.call("POST", "/v1/score/image", raw=body, headers=headers))

    try:
        threads = [threading.Thread(target=send) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        statuses = sorted(status for status, _, _ in answers)
        assert len(statuses) == 8 and set(statuses) == {200, 503}, statuses
        assert 2 <= statuses.count(200) <= 6
        busy = [(answer, headers) for status, answer, headers in answers if status == 503]
        assert all(a["error"]["code"] == "ocr_busy" and h.get("retry-after") == "2" for a, h in busy)
        assert _post(running, poster_png)[0] == 200
    finally:
        running.stop()
