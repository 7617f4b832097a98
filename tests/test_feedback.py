"""The corrections loop's store, API and CLI, against a real SQLite file and a real PostgreSQL
server (Debian `postgresql`, `make postgres`; started here in a temporary directory)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from typer.testing import CliRunner, Result

from tests.postgres import postgres_server
from tests.servers import Server
from tppo_screen.cli import app as cli
from tppo_screen.config import Settings
from tppo_screen.errors import FeedbackError, InputError
from tppo_screen.feedback.schema import VERSION_TABLE, metadata
from tppo_screen.feedback.store import COLUMNS, Correction, FeedbackStore, ad_id_for, open_store, store_url

ROOT = Path(__file__).resolve().parents[1]
SCAM = "Dicari admin CS di Kamboja gaji 15jt, hubungi Bu Rina Sari 0812-3456-7890 atau rina.hrd@gmail.com"
OFFICE = "Dibutuhkan staf akuntansi di Bandung, S1 Akuntansi, kirim CV lewat portal karier resmi"

StoreFactory = Callable[..., FeedbackStore]


@pytest.fixture(scope="session")
def postgres_url() -> object:
    """A PostgreSQL server for the session (skipped only where PostgreSQL is not installed)."""
    with postgres_server() as server:
        yield server


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def new_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty store: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    server = request.getfixturevalue("postgres_url")
    return server.new_database()  # type: ignore[attr-defined,no-any-return]


def test_api_keys_may_be_named_and_a_bare_key_gets_a_name_that_is_not_the_key() -> None:
    settings = Settings(api_keys="moderasi:k-1, k-2", admin_keys="boss:k-9")  # type: ignore[arg-type]
    assert settings.api_keys == ["k-1", "k-2"] and settings.admin_keys == ["k-9"]
    assert settings.key_name("k-1") == "moderasi" and settings.key_name("k-9") == "boss"
    assert settings.key_name("k-2").startswith("key-") and "k-2" not in settings.key_name("k-2")


def test_urls() -> None:
    assert store_url("off") is None and store_url("OFF") is None
    assert store_url("").endswith("data/feedback/feedback.sqlite3")  # type: ignore[union-attr]
    assert store_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert store_url("x.sqlite3") == f"sqlite:///{Path('x.sqlite3').resolve()}"
    with pytest.raises(FeedbackError, match="off"):
        open_store("off")
    with pytest.raises(FeedbackError, match="not a database URL"):
        open_store("nosuchdb://x/y")
    with pytest.raises(FeedbackError, match="cannot create the corrections store's folder"):
        open_store("/proc/no/such/feedback.sqlite3")
    with pytest.raises(FeedbackError, match=r"u:\*\*\*@127\.0\.0\.1:1/db: connection failed") as down:
        open_store("postgresql://u:secret@127.0.0.1:1/db")  # nothing listens on port 1
    assert "secret" not in str(down.value)


def test_a_correction_is_recorded_once_per_ad_and_sender(new_store_url: str) -> None:
    store = open_store(new_store_url)
    first = store.add(
        [Correction(SCAM, "high_risk", flags=("salary_too_good",)), Correction(OFFICE, "legit")], "alice"
    )
    assert [r.duplicate for r in first] == [False, False]
    assert first[0].ad_id == ad_id_for(SCAM)
    again = store.add([Correction(SCAM, "legit"), Correction("lain", "legit", ad_id="x")], "alice")
    assert [r.duplicate for r in again] == [True, False]  # the first correction stands
    assert store.add([Correction(SCAM, "high_risk")], "bob")[0].duplicate is False
    same_batch = store.add([Correction("dua kali", "legit", ad_id="y")] * 2, "alice")
    assert [r.duplicate for r in same_batch] == [False, True]
    frame = store.frame()
    assert list(frame.columns) == COLUMNS
    assert len(frame) == 5 and frame.groupby(["ad_id", "sender"]).size().max() == 1
    scam = frame[(frame["ad_id"] == ad_id_for(SCAM)) & (frame["sender"] == "alice")].iloc[0]
    assert scam["label"] == "high_risk" and scam["flags"] == "salary_too_good"
    assert scam["created_at"].endswith("+00:00")
    stats = store.stats()
    assert stats["corrections"] == 5 and stats["labels"] == {"high_risk": 2, "legit": 3}
    assert stats["senders"] == {"alice": 4, "bob": 1}
    store.close()
    assert open_store(new_store_url).count() == 5  # reopened (migrations already done): all there


def test_texts_are_masked_unless_the_operator_opts_out(tmp_path: Path) -> None:
    masked = open_store(tmp_path / "a.sqlite3")
    masked.add([Correction(SCAM, "high_risk", reason="CP Bu Rina Sari 0812-3456-7890")], "alice")
    row = masked.frame().iloc[0]
    assert "0812" not in row["text"] and "gmail" not in row["text"] and "Rina" not in row["text"]
    assert "08xx-xxxx-xxxx" in row["text"] and "<email>" in row["text"] and "<nama>" in row["text"]
    assert "0812" not in row["reason"] and row["masked"]
    assert row["ad_id"] == ad_id_for(SCAM)  # the id is the text's as sent
    raw = open_store(tmp_path / "b.sqlite3", mask=False)
    raw.add([Correction(SCAM, "high_risk")], "alice")
    assert raw.frame().iloc[0]["text"] == SCAM and not raw.frame().iloc[0]["masked"]


@pytest.mark.parametrize(
    ("correction", "field"),
    [
        (Correction("", "legit"), "text"),
        (Correction("   ", "legit"), "text"),
        (Correction(OFFICE, "spam"), "label"),
        (Correction(OFFICE, "legit", flags=("salary_too_good", "no_such_flag")), "flags[1]"),
        (Correction(OFFICE, "legit", model_score=1.5), "score"),
        (Correction(OFFICE, "legit", ad_id=""), "id"),
    ],
)
def test_a_malformed_correction_is_refused_naming_the_field(
    tmp_path: Path, correction: Correction, field: str
) -> None:
    store = open_store(tmp_path / "a.sqlite3")
    with pytest.raises(InputError, match=rf"^{field.replace('[', '.').replace(']', '.')}: "):
        store.add([correction], "alice")
    with pytest.raises(InputError, match=rf"^items\[1\]\.{field.replace('[', '.').replace(']', '.')}: "):
        store.add([Correction(OFFICE, "legit"), correction], "alice")
    assert store.count() == 0  # all or nothing


def test_the_migrations_build_the_schema_the_code_expects(new_store_url: str) -> None:
    store = open_store(new_store_url)
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        differences = compare_metadata(context, metadata)
    assert differences == []


# --- the API, through real uvicorn servers with two workers sharing one store ----------------

TPPO = str(Path(sys.executable).parent / "tppo-screen")
KEYS = {"alice": "k-alice-1", "bob": "k-bob-2", "carol": "k-carol-3", "dave": "k-dave-4"}
ADMIN = "k-admin-9"
CLIENTS = 32
ADS = 12  # each client posts these ids; 8 clients share each key


def serve_feedback(model: Path, url: str, *extra: str) -> Server:
    env = {
        "TPPO_FEEDBACK_DB": url,
        "TPPO_API_KEYS": ",".join(f"{name}:{key}" for name, key in KEYS.items()),
        "TPPO_ADMIN_KEYS": f"boss:{ADMIN}",
    }
    return Server([TPPO, "serve", "--model", str(model), *extra], env).wait_ready()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, tiny_model_path: Path
) -> Iterator[dict[str, Any]]:
    """A two-worker server on a new store (SQLite file or PostgreSQL database); the restart test
    replaces the server, so tests read it from this dict."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'feedback.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_url").new_database()
    running = {"url": url, "server": serve_feedback(tiny_model_path, url, "--workers", "2")}
    yield running
    running["server"].stop()


def _client(server: Server, n: int) -> tuple[list[tuple[str, int, int, bool]], dict[str, Any]]:
    """Client `n`: every ad once, then a batch repeating two of them and one of its own twice."""
    name = list(KEYS)[n % len(KEYS)]
    key = {"X-API-Key": KEYS[name]}
    sent = []
    for j in range(ADS):
        body = {"id": f"ad-{j}", "text": f"Lowongan kerja nomor {j}", "label": ["legit", "high_risk"][j % 2]}
        status, payload, _ = server.call("POST", "/v1/feedback", body, key)
        assert status in (200, 201), payload
        sent.append((name, j, status, payload["duplicate"]))
    own = {"text": f"Iklan khusus klien {n}, hubungi 0812-3456-7890", "label": "high_risk"}
    items = [{"id": "ad-0", "text": "Lowongan kerja nomor 0", "label": "legit"}, own, own]
    status, batch, _ = server.call("POST", "/v1/feedback/batch", {"items": items}, key)
    assert status == 200, batch
    return sent, batch


def _everything(server: Server) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    after: int | None = 0
    while after is not None:
        status, page, _ = server.call(
            "GET", f"/v1/feedback?after={after}&limit=50", headers={"X-API-Key": ADMIN}
        )
        assert status == 200, page
        items += page["items"]
        after = page["next"]
    return items


@pytest.mark.slow
def test_32_concurrent_clients_lose_nothing_and_duplicate_nothing(api: dict[str, Any]) -> None:
    server: Server = api["server"]
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(lambda n: _client(server, n), range(CLIENTS)))
    singles = [s for sent, _ in results for s in sent]
    firsts = Counter((name, j) for name, j, status, duplicate in singles if status == 201 and not duplicate)
    assert firsts == Counter({(name, j): 1 for name in KEYS for j in range(ADS)})  # one 201 per pair
    assert all(duplicate == (status == 200) for _, _, status, duplicate in singles)
    for _, batch in results:
        assert [r["duplicate"] for r in batch["results"]] == [True, False, True]
        assert (batch["recorded"], batch["duplicates"]) == (1, 2)
    stored = _everything(server)
    assert len(stored) == len(KEYS) * ADS + CLIENTS  # nothing lost
    assert len({(row["id"], row["sender"]) for row in stored}) == len(stored)  # nothing twice
    assert {row["sender"] for row in stored} == set(KEYS)  # key names, never keys
    assert not any(key in str(stored) for key in [*KEYS.values(), ADMIN])
    own = [row for row in stored if row["text"].startswith("Iklan khusus")]
    assert all("08xx-xxxx-xxxx" in row["text"] and "0812" not in row["text"] for row in own)  # masked


@pytest.mark.slow
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "Lowongan admin", "label": "spam"}, "label"),
        ({"text": "", "label": "legit"}, "text"),
        ({"label": "legit"}, "text"),
        ({"text": "Lowongan admin", "label": "legit", "flags": ["salary_too_good", "nope"]}, "flags[1]"),
        ({"text": "Lowongan admin", "label": "legit", "score": 7}, "score"),
        ({"text": "Lowongan admin", "label": "legit", "colour": "red"}, "colour"),
    ],
)
def test_a_malformed_correction_gets_a_422_naming_the_field(
    api: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    key = {"X-API-Key": KEYS["alice"]}
    status, payload, _ = api["server"].call("POST", "/v1/feedback", body, key)
    assert status == 422 and [d["field"] for d in payload["error"]["details"]] == [field], payload
    batch = {"items": [{"text": "Lowongan staf gudang", "label": "legit"}, body]}
    status, payload, _ = api["server"].call("POST", "/v1/feedback/batch", batch, key)
    assert status == 422 and [d["field"] for d in payload["error"]["details"]] == [f"items[1].{field}"]


@pytest.mark.slow
def test_listing_and_export_need_an_admin_key(api: dict[str, Any]) -> None:
    server: Server = api["server"]
    for path in ("/v1/feedback", "/v1/feedback/export"):
        assert server.call("GET", path)[0] == 401
        assert server.call("GET", path, headers={"X-API-Key": "wrong"})[0] == 401
        status, payload, _ = server.call("GET", path, headers={"X-API-Key": KEYS["bob"]})
        assert status == 403 and "admin key" in payload["error"]["message"], payload
    status, text, headers = server.call("GET", "/v1/feedback/export?format=csv", headers={"X-API-Key": ADMIN})
    assert status == 200 and headers["content-type"].startswith("text/csv")
    assert text.splitlines()[0] == ",".join(COLUMNS)
    status, lines, headers = server.call(
        "GET", "/v1/feedback/export?format=jsonl", headers={"X-API-Key": ADMIN}
    )
    assert status == 200 and headers["content-type"].startswith("application/x-ndjson")
    assert len(lines.decode().splitlines()) == len(text.splitlines()) - 1
    spec = server.call("GET", "/openapi.json")[1]
    examples = spec["paths"]["/v1/feedback"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    assert (
        examples["missed"]["value"]["label"] == "high_risk"
        and "Kamboja" in examples["missed"]["value"]["text"]
    )
    assert "403" in spec["paths"]["/v1/feedback/export"]["get"]["responses"]
    assert server.call("GET", "/v1/feedback/status", headers={"X-API-Key": KEYS["bob"]})[1] == {
        "feedback": True
    }


@pytest.mark.slow
def test_a_restart_keeps_every_correction(api: dict[str, Any], tiny_model_path: Path) -> None:
    first = {"id": "ad-restart", "text": "Lowongan sopir ke Malaysia", "label": "high_risk"}
    assert api["server"].call("POST", "/v1/feedback", first, {"X-API-Key": KEYS["dave"]})[0] in (200, 201)
    before = _everything(api["server"])
    api["server"].stop()
    api["server"] = serve_feedback(tiny_model_path, api["url"])  # one worker: quicker to start
    assert _everything(api["server"]) == before
    again = {"id": "ad-3", "text": "Lowongan kerja nomor 3", "label": "high_risk"}
    status, payload, _ = api["server"].call("POST", "/v1/feedback", again, {"X-API-Key": KEYS["carol"]})
    assert (status, payload["duplicate"]) == (200, True)


@pytest.mark.slow
def test_without_a_store_the_routes_say_feedback_is_off(tiny_model_path: Path) -> None:
    server = serve_feedback(tiny_model_path, "sqlite:///unused.sqlite3", "--no-feedback")
    try:
        key = {"X-API-Key": KEYS["alice"]}
        assert server.call("GET", "/v1/feedback/status", headers=key)[1] == {"feedback": False}
        status, payload, _ = server.call("POST", "/v1/feedback", {"text": "Lowongan", "label": "legit"}, key)
        assert status == 404 and "feedback is off" in payload["error"]["message"]
        assert server.call("POST", "/v1/score", {"text": "Lowongan admin kantor"}, key)[0] == 200
    finally:
        server.stop()
    assert not (ROOT / "unused.sqlite3").exists()


# --- the CLI -----------------------------------------------------------------------------------

LABELLED = pd.DataFrame(
    {
        "id": ["a1", "a2", "a3", "a4", "a5", "a6"],
        "text": [SCAM, OFFICE, "Lowongan sopir", "Lowongan kasir", "Lowongan satpam", "Lowongan koki"],
        "risk_score": [0.91, 0.62, 0.3, 0.5, 0.5, 0.4],
        "label": ["high_risk", "Legit", None, "maybe", "legit", "high-risk"],
        "flags": ["salary_too_good", None, None, None, "nope", None],
    }
)


def _tppo(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_cli_import_export_stats_round_trip(tmp_path: Path, suffix: str) -> None:
    labelled, db = tmp_path / f"labelled{suffix}", str(tmp_path / "store.sqlite3")
    {".csv": LABELLED.to_csv, ".parquet": LABELLED.to_parquet, ".xlsx": LABELLED.to_excel}[suffix](
        labelled, index=False
    )
    result = _tppo("feedback", "import", str(labelled), "--db", db, "--sender", "ana")
    assert result.exit_code == 1  # two rows refused, the others recorded
    assert "3 corrections recorded" in result.output and "1 rows without a label" in result.output
    assert (
        "row 5: label 'maybe'" in result.output
        and "row 6: flags[0]: unknown red flag 'nope'" in result.output
    )
    again = _tppo("feedback", "import", str(labelled), "--db", db, "--sender", "ana")
    assert "0 corrections recorded, 3 already there" in again.output
    for name in ("out.csv", "out.jsonl", "out.parquet"):
        assert _tppo("feedback", "export", "-o", str(tmp_path / name), "--db", db).exit_code == 0
    exported = pd.read_csv(tmp_path / "out.csv", keep_default_na=False)
    assert list(exported.columns) == COLUMNS and len(exported) == 3
    assert list(exported["label"]) == ["high_risk", "legit", "high_risk"]
    assert set(exported["sender"]) == {"ana"}
    assert "0812" not in exported.iloc[0]["text"] and "08xx-xxxx-xxxx" in exported.iloc[0]["text"]  # masked
    assert exported.iloc[0]["flags"] == "salary_too_good" and exported.iloc[0]["model_score"] == 0.91
    assert len(pd.read_json(tmp_path / "out.jsonl", lines=True)) == 3
    assert len(pd.read_parquet(tmp_path / "out.parquet")) == 3
    store = open_store(db)
    store.add([Correction('=HYPERLINK("http://x")', "legit")], "mallory")
    assert _tppo("feedback", "export", "-o", str(tmp_path / "safe.csv"), "--db", db).exit_code == 0
    assert pd.read_csv(tmp_path / "safe.csv").iloc[-1]["text"].startswith("'=HYPERLINK")  # not a formula
    store.engine.dispose()
    stats = _tppo("feedback", "stats", "--db", db, "--json")
    assert json.loads(stats.output)["labels"] == {"high_risk": 2, "legit": 2}
    reimported = _tppo("feedback", "import", str(tmp_path / "out.csv"), "--db", db, "--id-column", "ad_id")
    assert reimported.exit_code == 0 and "3 corrections recorded" in reimported.output  # another sender


def test_cli_export_refuses_an_unknown_format_and_writes_nothing(tmp_path: Path) -> None:
    result = _tppo("feedback", "export", "-o", str(tmp_path / "out.txt"), "--db", str(tmp_path / "s.sqlite3"))
    assert result.exit_code == 1 and "name the output .csv, .jsonl or .parquet" in result.output
    assert not (tmp_path / "out.txt").exists()
    missing = _tppo("feedback", "import", str(tmp_path / "nope.csv"), "--db", str(tmp_path / "s.sqlite3"))
    assert missing.exit_code == 1 and "not found" in missing.output
