"""Alembic environment: always run with the connection store/db.py hands over."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
# render_as_batch lets ALTERs work on SQLite, which cannot alter most columns in place.
context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
