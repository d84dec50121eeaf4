"""Engine and session factory.

SQLite (the embedded default) runs in WAL mode with ``synchronous=FULL`` so a
committed registration survives a power cut, with foreign keys on.

A use case that writes starts its transaction with ``begin_write(session)``: on
SQLite that is BEGIN IMMEDIATE, taking the write lock before it reads, because a
deferred transaction that has read cannot upgrade to a write lock once another
writer has committed (SQLITE_BUSY_SNAPSHOT). Reads stay deferred, so a page or a
session left open never blocks writers. PostgreSQL needs no such flag; the audit
chain and case rows are serialised with row locks there (services/audit.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is deferred).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get(WRITE_OPTION)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


WRITE_OPTION = "petition_flow_write"


@contextmanager
def write_transaction(session: Session) -> Iterator[None]:
    """One use case, one transaction: begin as a writer, commit at the end, roll back on error."""
    begin_write(session)
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise


def begin_write(session: Session) -> None:
    """Start a write transaction: end any read in progress, then BEGIN IMMEDIATE on SQLite."""
    if session.in_transaction():
        session.commit()  # a read-only transaction; expire_on_commit is off, objects stay usable
    session.connection(execution_options={WRITE_OPTION: True})


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
