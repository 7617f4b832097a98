"""Alembic migrations of the corrections store, run by `store.open_store` (never by hand).

A schema change is a new file in `versions/` (its `down_revision` the newest one's `revision`)
plus the matching change in `schema.py`; opening a store upgrades it to the newest revision.
"""
