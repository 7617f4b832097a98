"""The store's one table, as SQLAlchemy Core sees it. The migrations in `migrations/versions`
create and change it; this description must match the newest of them
(tests/test_feedback.py::test_the_migrations_build_the_schema_the_code_expects)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

LABELS = ("high_risk", "legit")  # the corpus vocabulary (data/*.csv `label`)
VERSION_TABLE = "tppo_feedback_alembic_version"  # Alembic's, named so it shares a database safely

metadata = MetaData()

corrections = Table(
    "tppo_corrections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ad_id", String(200), nullable=False),
    Column("sender", String(100), nullable=False),
    Column("text", Text, nullable=False),
    Column("label", String(16), nullable=False),
    Column("reason", Text, nullable=True),
    Column("flags", Text, nullable=False),  # comma-separated catalogue ids, "" for none
    Column("model_version", String(200), nullable=True),
    Column("model_score", Float, nullable=True),
    Column("masked", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("ad_id", "sender", name="uq_tppo_corrections_ad_sender"),
    CheckConstraint("label IN ('high_risk', 'legit')", name="ck_tppo_corrections_label"),
)
