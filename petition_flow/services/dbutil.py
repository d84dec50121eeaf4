"""Small portable SQL helpers (SQLite and PostgreSQL)."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..db import write_transaction

# Rows ANALYZE reads per index on SQLite (PRAGMA analysis_limit; SQLite advises 100 to 1000):
# approximate statistics, in milliseconds whatever the number of cases.
ANALYSIS_LIMIT = 1000


@cache
def insert_ignore_stmt(dialect: str, model: type, *returning: str):
    """The dialect's INSERT … ON CONFLICT DO NOTHING for ``model``, returning the named
    columns (default: the primary key) of the rows actually inserted; compiled once."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = model.__table__
    columns = [table.c[name] for name in returning] or [model.__mapper__.primary_key[0]]
    return insert(table).on_conflict_do_nothing().returning(*columns)


def insert_ignore(session: Session, model: type, values: dict[str, Any]) -> int | None:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: the new id, or None when a unique
    constraint says the row already exists (another sweeper, a retry, a restart).

    One statement per table, compiled once; run on the session's connection (in its
    transaction) without an ORM round trip, since sweeps insert thousands of these."""
    stmt = insert_ignore_stmt(session.get_bind().dialect.name, model)
    return session.connection().execute(stmt, values).scalar_one_or_none()


@cache
def _bump_stmt(dialect: str, model: type, column: str):
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = model.__table__
    keys = [c.name for c in model.__mapper__.primary_key]
    return (insert(table).on_conflict_do_update(index_elements=keys,
                                                set_={column: table.c[column] + 1})
            .returning(table.c[column]))


def bump_counter(session: Session, model: type, key: dict[str, Any],
                 column: str = "last_no") -> int:
    """Add one to a sequence row (creating it at 1) and return the new value, in one
    statement: INSERT … ON CONFLICT DO UPDATE … RETURNING. The row stays locked to the end of
    the transaction as a SELECT … FOR UPDATE would keep it, so two writers never draw the
    same number; a number drawn in a transaction that rolls back is drawn again."""
    stmt = _bump_stmt(session.get_bind().dialect.name, model, column)
    return session.connection().execute(stmt, {**key, column: 1}).scalar_one()


def refresh_statistics(session: Session) -> None:
    """Fresh statistics for the query planner: after the migrations and once a day.

    A table without statistics is planned as if it were large: SQLite drove the dashboards'
    count of today's alerts from ``cases`` because ``alerts`` had none (issue 18). SQLite gets
    a bounded ANALYZE of every table, which is what ``PRAGMA optimize`` would run: before
    SQLite 3.46 (Debian 12 ships 3.40) ``optimize`` only looks at the tables its own
    connection has queried, so on a fresh connection it does nothing. PostgreSQL gets an
    ANALYZE of the application's tables (autovacuum lags a migration, restore or bulk load;
    a plain ANALYZE would warn about the system catalogues it may not analyse).
    """
    with write_transaction(session, audited=False):
        if session.get_bind().dialect.name == "sqlite":
            session.execute(text(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}"))
            session.execute(text("ANALYZE"))
            return
        connection = session.connection()
        quote = connection.dialect.identifier_preparer.quote
        tables = inspect(connection).get_table_names()
        if tables:
            session.execute(text("ANALYZE " + ", ".join(quote(t) for t in tables)))
