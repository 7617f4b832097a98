"""The corrections store: `open_store(url)` -> `FeedbackStore` (`add`, `page`, `frame`, `stats`).

SQLite by default (`data/feedback/feedback.sqlite3`, no server to run), or any SQLAlchemy URL,
e.g. a PostgreSQL shared by several API nodes (`postgresql://user@host/db`, driven by psycopg 3).
Opening a store runs the Alembic migrations in `migrations/` under a lock (PostgreSQL: an
advisory lock; SQLite: an immediate transaction), so several workers may open it at once.

A correction is recorded once per (ad id, sender): `add` inserts with ON CONFLICT DO NOTHING, so
concurrent senders, retries and repeated ids never duplicate a row and never fail; the first
correction of a sender for an ad stands. Texts (and reasons) are masked before they are stored
(`corpus.privacy.mask_sent_ad`: phones, e-mails, names, handles) unless the store is opened
with `mask=False` (TPPO_FEEDBACK_MASK=0).
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, create_engine, event, func, insert, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, SQLAlchemyError

from tppo_screen.config import DATA_DIR
from tppo_screen.corpus.privacy import mask_sent_ad
from tppo_screen.errors import FeedbackError, InputError
from tppo_screen.feedback.schema import LABELS, corrections
from tppo_screen.tables.write import neutralise_formula

logger = logging.getLogger(__name__)

DEFAULT_PATH = DATA_DIR / "feedback" / "feedback.sqlite3"
OFF = frozenset({"off", "0", "false", "no", "none"})
COLUMNS = [
    "ad_id",
    "text",
    "label",
    "reason",
    "flags",
    "sender",
    "created_at",
    "model_version",
    "model_score",
    "masked",
]
MAX_ID_CHARS = 200
MAX_SENDER_CHARS = 100
MAX_REASON_CHARS = 2_000
MAX_VERSION_CHARS = 200
SQLITE_BUSY_SECONDS = 30  # how long a writer waits for another process's write to finish
ATTEMPTS = 3  # a write that loses a deadlock (PostgreSQL) or times out on a lock is retried
MIGRATION_LOCK = 0x7470706F  # "tppo": PostgreSQL advisory-lock key held while migrating


def ad_id_for(text: str) -> str:
    """The id of an ad sent without one: the first 16 hex digits of its text's SHA-256."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


@dataclass(frozen=True)
class Correction:
    """One reviewed ad: its text and the label a person gave it, with why (`reason`, red-flag
    ids `flags`) and the model version and score it corrects. `ad_id` None: `ad_id_for(text)`."""

    text: str
    label: str
    ad_id: str | None = None
    reason: str | None = None
    flags: tuple[str, ...] = ()
    model_version: str | None = None
    model_score: float | None = None

    @property
    def id(self) -> str:
        return self.ad_id if self.ad_id is not None else ad_id_for(self.text)


@dataclass(frozen=True)
class AddResult:
    """What `add` did with one correction: recorded now, or already there (`duplicate`)."""

    ad_id: str
    duplicate: bool


def problems(correction: Correction, known_flags: Collection[str]) -> list[tuple[str, str]]:
    """What is wrong with `correction`, as (field, what to fix) pairs; [] when it can be stored.
    Fields are named as in the API (`id`, `score`)."""
    found: list[tuple[str, str]] = []
    if correction.ad_id is not None and not 1 <= len(correction.ad_id) <= MAX_ID_CHARS:
        found.append(("id", f"must be 1-{MAX_ID_CHARS} characters"))
    if not correction.text.strip():
        found.append(("text", "empty: send the ad's text"))
    if correction.label not in LABELS:
        found.append(("label", f"must be 'high_risk' or 'legit', not {correction.label!r}"))
    if correction.reason is not None and len(correction.reason) > MAX_REASON_CHARS:
        found.append(("reason", f"too long: at most {MAX_REASON_CHARS:,} characters"))
    for n, flag in enumerate(correction.flags):
        if flag not in known_flags:
            found.append(
                (
                    f"flags[{n}]",
                    f"unknown red flag {flag!r} (GET /v1/red-flags or tppo-screen red-flags lists them)",
                )
            )
    if correction.model_version is not None and len(correction.model_version) > MAX_VERSION_CHARS:
        found.append(("model_version", f"too long: at most {MAX_VERSION_CHARS} characters"))
    score = correction.model_score
    if score is not None and not (math.isfinite(score) and 0 <= score <= 1):
        found.append(("score", f"must be a risk score between 0 and 1, not {score!r}"))
    return found


def store_url(value: str | Path | None) -> str | None:
    """The SQLAlchemy URL TPPO_FEEDBACK_DB (or --db) means: None for `off`; the default SQLite
    file for ""; a path without `://` is a SQLite file; `postgresql://` uses psycopg 3."""
    value = str(value or "").strip()
    if value.lower() in OFF:
        return None
    if not value:
        return f"sqlite:///{DEFAULT_PATH}"
    if "://" not in value:
        return f"sqlite:///{Path(value).expanduser().resolve()}"
    for prefix in ("postgresql://", "postgres://"):
        if value.startswith(prefix):
            return "postgresql+psycopg://" + value.removeprefix(prefix)
    return value


def open_store(
    url: str | Path | None = "", *, mask: bool = True, known_flags: Collection[str] | None = None
) -> FeedbackStore:
    """Open (creating and migrating if needed) the store at `url` (see `store_url`). Flag ids
    are checked against `known_flags` (default: the shipped red-flag catalogue)."""
    resolved = store_url(url)
    if resolved is None:
        raise FeedbackError("the corrections store is off (TPPO_FEEDBACK_DB=off)")
    if known_flags is None:
        from tppo_screen.model.catalogue import load_catalogue

        known_flags = load_catalogue().ids
    engine = _engine(resolved)
    store = FeedbackStore(engine, frozenset(known_flags), mask)
    with store.errors("open"):
        migrate(engine)
    return store


def _engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite":
            return create_engine(parsed, pool_pre_ping=True)
        _make_parent(parsed)
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_SECONDS})
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise FeedbackError(
            f"TPPO_FEEDBACK_DB {url!r} is not a database URL this server can use ({exc}); "
            "e.g. sqlite:///data/feedback/feedback.sqlite3 or postgresql://user@host/db"
        ) from None
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _make_parent(url: URL) -> None:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        try:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FeedbackError(
                f"cannot create the corrections store's folder {Path(database).parent}: {exc.strerror}; "
                "set TPPO_FEEDBACK_DB to a writable place (or off)"
            ) from None


def _sqlite_pragmas(dbapi_connection: Any, record: Any) -> None:
    """Wait for other writers (busy timeout) and let readers read while one writes (WAL)."""
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_SECONDS * 1000}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


def migrate(engine: Engine) -> None:
    """Upgrade the store's schema to the newest migration, holding a lock so that workers that
    open the store at the same time migrate it once."""
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logger.getEffectiveLevel()))
    from alembic import command  # here: the API imports this module with feedback off too
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "tppo_screen.feedback:migrations")
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        elif connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")  # the write lock, until the commit
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        connection.commit()


class FeedbackStore:
    """An open corrections store. Thread-safe (a connection pool); any number of processes."""

    def __init__(self, engine: Engine, known_flags: frozenset[str], mask: bool) -> None:
        self.engine = engine
        self.known_flags = known_flags
        self.mask = mask

    @property
    def url(self) -> str:
        """The store's URL with any password hidden."""
        return self.engine.url.render_as_string(hide_password=True)

    @contextmanager
    def errors(self, doing: str) -> Iterator[None]:
        """A database failure as a FeedbackError naming the store (never its password)."""
        try:
            yield
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise FeedbackError(f"cannot {doing} the corrections store {self.url}: {reason}") from None

    def add(self, items: Sequence[Correction], sender: str) -> list[AddResult]:
        """Record `items` from `sender` (an API key's name, a user): all or none, in one
        transaction. One per (ad id, sender): an ad this sender corrected before comes back as a
        duplicate, unchanged. Raises InputError naming the first invalid field (`items[2].label`)."""
        if not 1 <= len(sender) <= MAX_SENDER_CHARS:
            raise InputError(f"the sender's name must be 1-{MAX_SENDER_CHARS} characters")
        bad = [(n, f, why) for n, item in enumerate(items) for f, why in problems(item, self.known_flags)]
        if bad:
            n, field, why = bad[0]
            where = field if len(items) == 1 else f"items[{n}].{field}"
            raise InputError(f"{where}: {why}")
        now = datetime.now(UTC)
        rows = [self._row(item, sender, now) for item in items]
        # insert in key order: concurrent batches then lock rows in the same order (no deadlock)
        order = sorted(range(len(rows)), key=lambda n: rows[n]["ad_id"])
        inserted = self._insert_all([rows[n] for n in order])
        fresh = dict(zip(order, inserted, strict=True))
        return [AddResult(row["ad_id"], duplicate=not fresh[n]) for n, row in enumerate(rows)]

    def _row(self, item: Correction, sender: str, now: datetime) -> dict[str, Any]:
        clean = mask_sent_ad if self.mask else str
        return {
            "ad_id": item.id,
            "sender": sender,
            "text": clean(item.text),
            "label": item.label,
            "reason": clean(item.reason) if item.reason else None,
            "flags": ",".join(item.flags),
            "model_version": item.model_version,
            "model_score": item.model_score,
            "masked": self.mask,
            "created_at": now,
        }

    def _insert_all(self, rows: list[dict[str, Any]]) -> list[bool]:
        """Insert-or-ignore each row in one transaction; whether each was new. Retried whole
        when the database gives up on a lock (a deadlock, a busy SQLite file)."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with self.errors("write to"), self.engine.begin() as connection:
                    return [_insert(connection, row) for row in rows]
            except FeedbackError:
                if attempt == ATTEMPTS:
                    raise
                logger.warning("feedback write failed (attempt %d of %d); retrying", attempt, ATTEMPTS)
        raise AssertionError("unreachable")

    def count(self) -> int:
        with self.errors("read"), self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(corrections)).scalar_one())

    def page(self, after: int = 0, limit: int = 100) -> tuple[list[dict[str, Any]], int | None]:
        """Up to `limit` corrections recorded after row `after`, oldest first, and the row to ask
        after for the next page (None on the last page)."""
        query = select(corrections).where(corrections.c.id > after).order_by(corrections.c.id).limit(limit)
        with self.errors("read"), self.engine.connect() as connection:
            rows = [_record(row._mapping) for row in connection.execute(query)]
        return rows, (rows[-1]["row"] if len(rows) == limit else None)

    def frame(self) -> pd.DataFrame:
        """Every correction, oldest first, one row each: `COLUMNS` (flags comma-separated,
        created_at UTC ISO 8601, model_score NaN when not sent). For training and drift."""
        with self.errors("read"), self.engine.connect() as connection:
            rows = [_record(row._mapping) for row in connection.execute(select(corrections).order_by("id"))]
        frame = pd.DataFrame([{**row, "flags": ",".join(row["flags"])} for row in rows], columns=COLUMNS)
        frame["model_score"] = frame["model_score"].astype(float)
        frame["masked"] = frame["masked"].astype(bool)
        return frame

    def stats(self) -> dict[str, Any]:
        """How many corrections: in all, per label, per sender and per model version corrected;
        the first and last recorded; how many were masked."""
        frame = self.frame()
        return {
            "store": self.url,
            "corrections": len(frame),
            "labels": {label: int((frame["label"] == label).sum()) for label in LABELS},
            "senders": {str(k): int(v) for k, v in frame["sender"].value_counts().items()},
            "model_versions": {
                str(k): int(v) for k, v in frame["model_version"].fillna("(not sent)").value_counts().items()
            },
            "masked": int(frame["masked"].sum()),
            "first": frame["created_at"].min() if len(frame) else None,
            "last": frame["created_at"].max() if len(frame) else None,
        }

    def close(self) -> None:
        self.engine.dispose()


def _insert(connection: Connection, row: dict[str, Any]) -> bool:
    """Insert `row` unless its (ad_id, sender) is there; whether it was inserted."""
    keys = ["ad_id", "sender"]
    if connection.dialect.name == "postgresql":
        upsert = postgresql.insert(corrections).values(row).on_conflict_do_nothing(index_elements=keys)
        return connection.execute(upsert.returning(corrections.c.id)).first() is not None
    if connection.dialect.name == "sqlite":
        ignore = sqlite.insert(corrections).values(row).on_conflict_do_nothing(index_elements=keys)
        return connection.execute(ignore.returning(corrections.c.id)).first() is not None
    try:  # any other database: a savepoint, and the unique constraint
        with connection.begin_nested():
            connection.execute(insert(corrections).values(row))
    except IntegrityError:
        return False
    return True


def _record(row: Any) -> dict[str, Any]:
    """A stored row as the API and `frame` show it."""
    created: datetime = row["created_at"]
    if created.tzinfo is None:  # SQLite keeps no zone: it was stored in UTC
        created = created.replace(tzinfo=UTC)
    return {
        "row": row["id"],
        "ad_id": row["ad_id"],
        "text": row["text"],
        "label": row["label"],
        "reason": row["reason"],
        "flags": [flag for flag in row["flags"].split(",") if flag],
        "sender": row["sender"],
        "created_at": created.astimezone(UTC).isoformat(),
        "model_version": row["model_version"],
        "model_score": row["model_score"],
        "masked": bool(row["masked"]),
    }


def export_text(frame: pd.DataFrame, fmt: str, keep_formulas: bool = False) -> str:
    """`frame` (of `FeedbackStore.frame`) as CSV or JSONL (one object a line, NaN as null). In
    CSV a text cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) is prefixed
    with `'` (`tables.write.neutralise_formula`) unless `keep_formulas`: anyone with a scoring key
    can send a correction, and an admin opens the export."""
    if fmt == "csv":
        if not keep_formulas:
            frame = frame.copy()
            for column in ("ad_id", "text", "reason", "flags", "sender", "model_version"):
                frame[column] = frame[column].map(neutralise_formula)
        return frame.to_csv(index=False)
    if fmt == "jsonl":
        return frame.to_json(orient="records", lines=True, force_ascii=False) if len(frame) else ""
    raise InputError(f"export format must be csv or jsonl, not {fmt!r}")
