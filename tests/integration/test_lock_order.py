"""The lock order of db.py: every audited write takes the chain lock first, and a use case
whose transaction dies of a deadlock or serialization failure is run again, inside the use
case, before any answer is given — applied once, never twice, never lost."""

from __future__ import annotations

import sqlite3

import pytest
from helpers import at
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import OperationalError

from petition_flow.db import RETRIES, begin_write
from petition_flow.devtools.demo import APPEAL6
from petition_flow.models import Alert, AuditEntry, Clock
from petition_flow.services.alerts import sweep_deadlines
from petition_flow.services.audit import verify_chain
from petition_flow.services.notify import NotifyConfig
from petition_flow.services.petitions import fire_transition


class FakeDriverError(Exception):
    def __init__(self, sqlstate: str):
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


def fail_flushes(session, times: int, sqlstate: str = "40P01") -> list[int]:
    """Make the next ``times`` flushes of ``session`` die as the database would report it."""
    calls = [0]

    @event.listens_for(session, "before_flush")
    def _fail(*_args):
        calls[0] += 1
        if calls[0] <= times:
            raise OperationalError("INSERT INTO audit_log …", {}, FakeDriverError(sqlstate))

    return calls


def transitions(session, case_id) -> int:
    return session.execute(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.case_id == case_id, AuditEntry.action == "transition")).scalar_one()


def test_a_transition_that_dies_of_a_deadlock_is_retried_and_applied_once(cases, world, Session):
    case = cases.walk(["classify"])
    with Session() as s:
        calls = fail_flushes(s, 1)
        fired = fire_transition(s, world.actor("reception"), at("2026-03-05"), case.id,
                                "classify", dict(APPEAL6))
        assert fired.state == "triaged" and calls[0] >= 2
    with Session() as s:
        assert transitions(s, case.id) == 2  # the first classify and exactly one more
        assert verify_chain(s).ok


def test_a_use_case_still_deadlocking_after_the_retries_fails_and_changes_nothing(
    cases, world, Session
):
    case = cases.walk(["classify"])
    with Session() as s:
        fail_flushes(s, RETRIES)
        with pytest.raises(OperationalError):
            fire_transition(s, world.actor("reception"), at("2026-03-05"), case.id,
                            "classify", dict(APPEAL6))
    with Session() as s:
        assert transitions(s, case.id) == 1


def test_an_error_that_is_not_a_deadlock_is_not_retried(cases, world, Session):
    case = cases.walk(["classify"])
    with Session() as s:
        calls = fail_flushes(s, 5, sqlstate="53100")  # disk full: retrying would not help
        with pytest.raises(OperationalError):
            fire_transition(s, world.actor("reception"), at("2026-03-05"), case.id,
                            "classify", dict(APPEAL6))
        assert calls[0] == 1


def test_a_sweep_batch_that_dies_of_a_deadlock_is_run_again_and_raises_each_alert_once(
    cases, session, Session
):
    # 金台: one handling clock per case (眉县 adds its local 30-day clock beside the statutory one)
    made = [cases.walk(["classify", "transfer", "accept"], county="jintai") for _ in range(3)]
    red_on = session.execute(select(func.max(Clock.red_on))).scalar_one()
    session.rollback()
    with Session() as s:
        fail_flushes(s, 1)
        result = sweep_deadlines(s, at(red_on, 0, 1), config=NotifyConfig(), batch_size=2)
    assert sorted(a.case_id for a in result.alerts) == sorted(c.id for c in made)
    with Session() as s:
        assert s.execute(select(func.count()).select_from(Alert)).scalar_one() == 3
        assert verify_chain(s).ok


def test_a_write_holds_the_chain_lock_from_its_first_statement(Session, database_url):
    with Session() as s:
        begin_write(s)
        if s.get_bind().dialect.name == "postgresql":
            held = s.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND pid = pg_backend_pid()")).scalar_one()
            assert held == 1
        else:  # BEGIN IMMEDIATE: no other writer can start
            other = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            other.close()
        s.rollback()
