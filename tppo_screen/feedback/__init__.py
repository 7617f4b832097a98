"""The corrections store: what people who review ads decided about the model's scores.

`store.open_store(url)` opens it (SQLite by default, any SQLAlchemy URL, migrated with the
Alembic scripts in `migrations/` on open); `FeedbackStore.add` records corrections, idempotent
per (ad id, sender); `FeedbackStore.frame()` hands them to training and drift checks.
"""
