"""A SQLite database whose write lock someone else holds (a backup tool, a long admin query):
pages answer "busy" (503) within seconds instead of half a minute, and reading through the
API does not wait at all — a read never writes. Always on a SQLite file of its own, since
the held lock is a SQLite matter."""

from __future__ import annotations

import sqlite3
import threading
import time as wall
from datetime import datetime

import pytest
from sqlalchemy import func, select

from petition_flow.app import create_app
from petition_flow.clock import CHINA_TZ
from petition_flow.db import (
    PAGE_BUSY_TIMEOUT,
    WAITING_WRITERS,
    make_engine,
    make_session_factory,
)
from petition_flow.migrate import upgrade
from petition_flow.models import Case, User
from petition_flow.services.actor import SYSTEM
from petition_flow.services.org import seed_organisation, unit_by_code
from petition_flow.services.tokens import create_token

pytestmark = pytest.mark.slow  # pyproject.toml: `-m "not slow"` leaves it out

NOW = datetime(2026, 3, 3, 9, tzinfo=CHINA_TZ)


@pytest.fixture
def held(tmp_path):
    path = tmp_path / "held.sqlite3"
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    with make_session_factory(engine)() as session:
        seed_organisation(session)
        session.add(User(username="reception.held", display_name="接待", password_hash="x",
                         unit_id=unit_by_code(session, "meixian.bureau").id, role="reception",
                         active=True, failed_logins=0, created_at=NOW))
        session.commit()
        token = create_token(session, SYSTEM, NOW, "reception.held").token
    engine.dispose()
    app = create_app({"DATABASE_URL": url, "PETITION_FLOW_CLOCK": lambda: NOW},
                     instance_path=tmp_path / "instance")
    holder = sqlite3.connect(path, timeout=0, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the backup tool
    yield app, token
    holder.execute("ROLLBACK")
    holder.close()


def test_reading_through_the_api_under_a_held_lock_answers_at_once(held):
    app, token = held
    started = wall.monotonic()
    answer = app.test_client().get("/api/v1/petitions",
                                   headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    assert wall.monotonic() - started < 2  # the last-used stamp was skipped, not waited for


def test_a_write_under_a_held_lock_is_answered_503_within_seconds_not_half_a_minute(held):
    app, token = held
    body = {"channel": "web", "summary": "反映供暖不达标", "request": "请求整改",
            "facts_and_reasons": "室温低。", "petitioners": [{"name": "李秀英"}]}
    started = wall.monotonic()
    answer = app.test_client().post("/api/v1/petitions", json=body,
                                    headers={"Authorization": f"Bearer {token}"})
    took = wall.monotonic() - started
    assert answer.status_code == 503
    assert "稍后重试" in answer.get_json()["error"]["message"]
    assert PAGE_BUSY_TIMEOUT - 0.5 <= took < PAGE_BUSY_TIMEOUT + 3
    with make_session_factory(make_engine(app.config["DATABASE_URL"]))() as session:
        assert session.execute(select(func.count()).select_from(Case)).scalar_one() == 0


def test_writers_beyond_the_waiting_limit_are_answered_busy_at_once_and_reads_go_on(held):
    app, token = held
    body = {"channel": "web", "summary": "反映供暖不达标", "request": "请求整改",
            "facts_and_reasons": "室温低。", "petitioners": [{"name": "李秀英"}]}
    answers: list[tuple[int, float]] = []
    started = wall.monotonic()

    def write():
        answer = app.test_client().post("/api/v1/petitions", json=body,
                                        headers={"Authorization": f"Bearer {token}"})
        answers.append((answer.status_code, wall.monotonic() - started))

    writers = [threading.Thread(target=write) for _ in range(WAITING_WRITERS + 2)]
    for w in writers:
        w.start()
    wall.sleep(0.5)
    login = app.test_client().get("/login")  # a read: not queued behind the writers
    read_took = wall.monotonic() - started
    for w in writers:
        w.join(30)
    assert login.status_code == 200 and read_took < 2
    assert [status for status, _ in answers] == [503] * len(writers)
    at_once = [took for _, took in answers if took < 2]
    assert len(at_once) >= 2  # the ones beyond the limit did not wait for the busy timeout


def test_a_write_connection_dropped_without_commit_gives_its_place_in_the_queue_back(tmp_path):
    """A session abandoned mid-write (a job's thread that ends holding it) must not shrink
    the writers' gate: after two such leaks a gate of two still lets the next writer in."""
    import gc

    from sqlalchemy.orm import Session as OrmSession

    from petition_flow.db import begin_write, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'gate.sqlite3'}", waiting_writers=2)
    for _ in range(3):
        abandoned = OrmSession(engine)
        begin_write(abandoned, audited=False)
        abandoned.connection().exec_driver_sql("CREATE TABLE IF NOT EXISTS t (x)")
        del abandoned
        gc.collect()
    with OrmSession(engine) as fine:
        begin_write(fine, audited=False)
        fine.connection().exec_driver_sql("CREATE TABLE IF NOT EXISTS u (x)")
        fine.commit()
    engine.dispose()
