"""Small portable SQL helpers (SQLite and PostgreSQL)."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


@cache
def _insert_ignore_stmt(dialect: str, model: type):
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    pk = model.__mapper__.primary_key[0]
    return insert(model.__table__).on_conflict_do_nothing().returning(pk)


def insert_ignore(session: Session, model: type, values: dict[str, Any]) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: the new id, or None when a unique
    constraint says the row already exists (another sweeper, a retry, a restart).

    One statement per table, compiled once; run on the session's connection (in its
    transaction) without an ORM round trip, since sweeps insert thousands of these."""
    stmt = _insert_ignore_stmt(session.get_bind().dialect.name, model)
    return session.connection().execute(stmt, values).scalar_one_or_none()
