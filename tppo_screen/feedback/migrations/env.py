"""Alembic's entry point: migrate on the connection `store.migrate` hands over (in
`config.attributes["connection"]`), inside the transaction it holds the migration lock in."""

from __future__ import annotations

from alembic import context

from tppo_screen.feedback.schema import VERSION_TABLE, metadata

context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    render_as_batch=True,  # SQLite cannot ALTER most things: Alembic copies the table instead
)
with context.begin_transaction():
    context.run_migrations()
