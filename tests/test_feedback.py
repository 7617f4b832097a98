"""The corrections loop's store, API and CLI, against a real SQLite file and a real PostgreSQL
server (Debian `postgresql`, `make postgres`; started here in a temporary directory)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.postgres import postgres_server
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


@pytest.fixture(params=["sqlite", "postgresql"])
def new_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty store: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    server = request.getfixturevalue("postgres_url")
    return server.new_database()  # type: ignore[attr-defined,no-any-return]


def test_urls() -> None:
    assert store_url("off") is None and store_url("OFF") is None
    assert store_url("").endswith("data/feedback/feedback.sqlite3")  # type: ignore[union-attr]
    assert store_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert store_url("x.sqlite3") == f"sqlite:///{Path('x.sqlite3').resolve()}"
    with pytest.raises(FeedbackError, match="off"):
        open_store("off")
    with pytest.raises(FeedbackError, match="not a database URL"):
        open_store("nosuchdb://x/y")


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
