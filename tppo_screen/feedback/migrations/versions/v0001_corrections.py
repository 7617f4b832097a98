"""The corrections table, unique per (ad id, sender).

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tppo_corrections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ad_id", sa.String(200), nullable=False),
        sa.Column("sender", sa.String(100), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("label", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("flags", sa.Text, nullable=False),
        sa.Column("model_version", sa.String(200), nullable=True),
        sa.Column("model_score", sa.Float, nullable=True),
        sa.Column("masked", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("ad_id", "sender", name="uq_tppo_corrections_ad_sender"),
        sa.CheckConstraint("label IN ('high_risk', 'legit')", name="ck_tppo_corrections_label"),
    )


def downgrade() -> None:
    op.drop_table("tppo_corrections")
