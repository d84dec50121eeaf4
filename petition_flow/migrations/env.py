"""Alembic environment: the connection comes from petition_flow.migrate (no alembic.ini)."""

from __future__ import annotations

from alembic import context

from petition_flow.migrate import include_name
from petition_flow.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite", include_name=include_name)
with context.begin_transaction():
    context.run_migrations()
