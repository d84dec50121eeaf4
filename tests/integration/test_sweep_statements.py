"""A sweep batch sends a fixed number of SQL statements, however many alerts it raises.

Counted with a ``before_cursor_execute`` listener (an executemany is one cursor call, and
SQLAlchemy's insertmanyvalues sends a batch's rows as one multi-row INSERT); never timed."""

from __future__ import annotations

from contextlib import contextmanager

from helpers import at
from sqlalchemy import event, func, select

from petition_flow.models import Alert, AuditEntry, Clock, Delivery, InboxItem
from petition_flow.services.alerts import sweep_deadlines
from petition_flow.services.audit import verify_chain
from petition_flow.services.notify import NotifyConfig

COUNTY = "jintai"  # one statutory clock per case
# A webhook, so every alert also writes an outbox row (no request is made: only queued).
HOOKED = NotifyConfig(webhook_urls=("http://127.0.0.1:9/hook",))
# What one batch may send: sweep_runs read, clocks read, cases read, kept-out reads (2),
# users read once, units read once, the alert INSERT, the clocks' UPDATE, inbox INSERT,
# outbox INSERT, audit entries and chain head, sweep_runs lock and write, plus the empty
# order batch and its own bookkeeping. Established on SQLite and PostgreSQL.
BOUND = 30


@contextmanager
def counted(session):
    statements: list[str] = []
    engine = session.get_bind()

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def blue_day(session):
    return session.execute(select(func.max(Clock.blue_on))).scalar_one()


def sweep_counting(session, now) -> tuple[int, int]:
    session.rollback()  # on SQLite every transaction holds the write lock (BEGIN IMMEDIATE)
    with counted(session) as statements:
        result = sweep_deadlines(session, now, config=HOOKED)
    return len(result.alerts), len(statements)


def test_raising_fifty_alerts_in_a_batch_sends_as_many_statements_as_raising_five(
        cases, session):
    for _ in range(5):
        cases.walk(["classify", "transfer", "accept"], county=COUNTY)
    day = blue_day(session)
    five, five_statements = sweep_counting(session, at(day, 9))
    for _ in range(50):
        cases.walk(["classify", "transfer", "accept"], county=COUNTY)
    assert blue_day(session) == day  # the same walk, the same day: one batch of fifty
    fifty, fifty_statements = sweep_counting(session, at(day, 9, 1))

    assert (five, fifty) == (5, 50)
    assert fifty_statements == five_statements <= BOUND
    assert session.execute(select(func.count()).select_from(Alert)).scalar_one() == 55
    assert session.execute(select(func.count()).select_from(Delivery)).scalar_one() == 55
    assert verify_chain(session).ok


def test_a_repeated_sweep_raises_nothing_and_still_sends_no_statement_per_clock(
        cases, session):
    for _ in range(8):
        cases.walk(["classify", "transfer", "accept"], county=COUNTY)
    day = blue_day(session)
    sweep_counting(session, at(day, 9))
    entries = session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    items = session.execute(select(func.count()).select_from(InboxItem)).scalar_one()
    # As if the clocks' progress had been lost: every clock is read again, and the unique
    # constraint skips every alert in the batch's one INSERT.
    session.execute(Clock.__table__.update().values(next_level_on=day))
    session.commit()
    again, statements = sweep_counting(session, at(day, 9, 5))

    assert again == 0 and statements <= BOUND
    assert session.execute(select(func.count()).select_from(Alert)).scalar_one() == 8
    assert session.execute(select(func.count()).select_from(InboxItem)).scalar_one() == items
    assert session.execute(
        select(func.count()).select_from(AuditEntry)).scalar_one() == entries
