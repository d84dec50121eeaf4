"""Engine and session factory, and how every write transaction begins.

SQLite (the embedded default) runs in WAL mode with ``synchronous=FULL`` so a
committed registration survives a power cut, with foreign keys on.

Lock order (both databases) — every write transaction takes its locks in this order:

1. **The chain lock, first, before it reads anything.** On SQLite that is the database
   write lock: BEGIN IMMEDIATE (a deferred transaction that has read cannot upgrade to a
   write lock once another writer has committed: SQLITE_BUSY_SNAPSHOT). On PostgreSQL it is
   the transaction-level advisory lock ``CHAIN_LOCK``, taken by ``begin_write`` as the
   transaction's first statement. Every write that may append to the audit log takes it
   (that is the default; ``audited=False`` is only for the few writes listed below).
2. Then the rows of the use case: case rows (``FOR UPDATE``) in ascending id, then their
   clocks, notices, alerts and deliveries; sweep batches take their clock rows
   ``FOR UPDATE SKIP LOCKED`` after the chain lock, like any other writer.
3. Last, the ``audit_head`` row, in ``AuditBatch.flush`` just before commit.

Why the chain head first rather than at commit: the audit chain is one sequence, so every
audited transaction already serialises on its head before it commits; holding it from the
start costs only the length of the use case, and it makes a cycle impossible. The
deadlock it removes: request A held a case row ``FOR UPDATE`` and waited for ``audit_head``
while request B held ``audit_head`` and inserted an audit entry for that case, whose
foreign-key check waited for A's case row (``FOR KEY SHARE``); sweeps deadlocked the same
way on clock rows. With the chain lock first, a transaction that waits holds nothing.

Writes that do not audit (``audited=False``) touch only rows no audited writer keeps
waiting: a token's last-used stamp (skipped when locked), the outbox rows being sent, and
the scheduler lease renewal. They never wait for the chain lock.

Deadlock and serialization failures that still happen (a database administrator's
session, a future write that forgets the order) are retried by ``retry_conflicts`` a few
times inside the use case, before any answer is given.
"""

from __future__ import annotations

import functools
import random
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

# A page should answer "busy" within seconds, not wait half a minute behind a held lock;
# the command line (sweep, backup tools, migrations) may wait longer.
PAGE_BUSY_TIMEOUT = 5.0
CLI_BUSY_TIMEOUT = 30.0
# Of a server process's worker threads (waitress: 8), at most this many wait on SQLite's
# write lock; the others stay free for pages that only read.
WAITING_WRITERS = 4

# pg_advisory_xact_lock key of the audit chain ("PFCHAIN" in ASCII).
CHAIN_LOCK = 0x50_46_43_48_41_49_4E
RETRIES = 4
RETRYABLE_SQLSTATES = {"40P01", "40001"}  # deadlock_detected, serialization_failure

WRITE_OPTION = "petition_flow_write"
_BUSY_TIMEOUTS: weakref.WeakKeyDictionary[Engine, int] = weakref.WeakKeyDictionary()
_DEPTH = "petition_flow_write_depth"


def make_engine(url: str, *, busy_timeout: float = CLI_BUSY_TIMEOUT,
                waiting_writers: int | None = None, **kwargs) -> Engine:
    """``waiting_writers`` (SQLite): at most this many threads of the process may hold or wait
    for the write lock; a writer beyond them is answered "busy" at once, so a held lock can
    never take every worker thread and freeze the pages that only read (the login page)."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"timeout": busy_timeout, "check_same_thread": False}, **kwargs
        )
        _configure_sqlite(engine, busy_timeout, waiting_writers)
        _BUSY_TIMEOUTS[engine] = int(busy_timeout * 1000)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("connect_timeout", 10)
    return create_engine(url, connect_args=connect_args, **kwargs)


def busy_timeout_ms(engine: Engine) -> int:
    """The SQLite busy timeout this engine's connections were opened with."""
    return _BUSY_TIMEOUTS.get(engine, int(CLI_BUSY_TIMEOUT * 1000))


class WritersQueueFull(sqlite3.OperationalError):
    """More writers of this process wait for the SQLite write lock than allowed."""


def _configure_sqlite(engine: Engine, busy_timeout: float,
                      waiting_writers: int | None) -> None:
    gate = threading.BoundedSemaphore(waiting_writers) if waiting_writers else None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is deferred).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get(WRITE_OPTION)
        if not immediate:
            conn.exec_driver_sql("BEGIN")
            return
        if gate is not None:
            if not gate.acquire(blocking=False):
                raise OperationalError("BEGIN IMMEDIATE", None, WritersQueueFull(
                    "database is locked: too many writers waiting"))
            conn.info["petition_flow_gate"] = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _leave(conn)
            raise

    def _leave(conn):
        if gate is not None and conn.info.pop("petition_flow_gate", False):
            gate.release()

    event.listen(engine, "commit", _leave)
    event.listen(engine, "rollback", _leave)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn, record):
        # A connection that comes back to the pool without a commit or rollback event (its
        # session was dropped, or a thread ended holding it) still gives its place back:
        # otherwise each such leak would shrink the gate until every write got 503.
        if gate is not None and record is not None and \
                record.info.pop("petition_flow_gate", False):
            gate.release()


def in_write(session: Session) -> bool:
    """True inside ``write_transaction`` (a nested use case joins the outer transaction)."""
    return session.info.get(_DEPTH, 0) > 0


@contextmanager
def write_transaction(session: Session, *, audited: bool = True,
                      dry_run: bool = False) -> Iterator[None]:
    """One use case, one transaction: begin as a writer, commit at the end, roll back on error.

    Inside another write_transaction on the same session it joins that transaction: the
    outer one commits (an API request stores its idempotent answer with the change). A
    ``dry_run`` (试运行) does all the writes in the one transaction and rolls it back."""
    if in_write(session):
        yield
        return
    begin_write(session, audited=audited)
    session.info[_DEPTH] = 1
    try:
        yield
        if dry_run:
            session.rollback()
        else:
            session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.info[_DEPTH] = 0


def begin_write(session: Session, *, audited: bool = True) -> None:
    """Start a write transaction in the lock order above: end any read in progress, then
    BEGIN IMMEDIATE on SQLite, or BEGIN and the chain lock on PostgreSQL."""
    if in_write(session):
        return
    if session.in_transaction():
        session.commit()  # a read-only transaction; expire_on_commit is off, objects stay usable
    conn = session.connection(execution_options={WRITE_OPTION: True})
    if audited and conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})


def is_retryable(exc: BaseException) -> bool:
    """A deadlock or serialization failure: the transaction was rolled back, nothing was
    applied, and running the use case again is safe."""
    if not isinstance(exc, DBAPIError):
        return False
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return state in RETRYABLE_SQLSTATES


P = ParamSpec("P")
R = TypeVar("R")


def retry_conflicts(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a use case ``fn(session, …)`` again, up to RETRIES times in all, when its
    transaction died of a deadlock or serialization failure; the caller only ever sees the
    final outcome. A use case called inside another's transaction is retried by the outer."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        session = args[0]
        if in_write(session):
            return fn(*args, **kwargs)
        for attempt in range(1, RETRIES + 1):
            try:
                return fn(*args, **kwargs)
            except DBAPIError as exc:
                if attempt == RETRIES or not is_retryable(exc):
                    raise
                session.rollback()
                time.sleep(random.uniform(0.01, 0.05) * attempt)
        raise AssertionError("unreachable")

    return wrapper


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


# The request's session (web pages and the API). Flask is imported only when a request asks,
# so that ``import petition_flow.db`` (and every service) stays free of the web framework.
_REQUEST_SESSION = "db_session"


def get_session() -> Session:
    """The request's database session, opened on first use and closed on teardown."""
    from flask import current_app, g

    if _REQUEST_SESSION not in g:
        setattr(g, _REQUEST_SESSION, current_app.extensions["petition_flow.sessions"]())
    return getattr(g, _REQUEST_SESSION)


def close_request_session(_exc: BaseException | None = None) -> None:
    """Teardown: close the request's session if it was opened."""
    from flask import g

    session = g.pop(_REQUEST_SESSION, None)
    if session is not None:
        session.close()
