"""Two sweepers on the same database at the same moment raise every alert exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time as wall
from pathlib import Path

import pytest
from helpers import at
from sqlalchemy import func, select

from petition_flow.models import AccountabilityRecord, Alert, Clock, InboxItem
from petition_flow.services.alerts import sweep_deadlines
from petition_flow.services.audit import verify_chain
from petition_flow.services.notify import NotifyConfig

pytestmark = pytest.mark.slow  # pyproject.toml: `-m "not slow"` leaves it out

CASES = 12


def run_together(Session, now, sweepers: int = 2, batch_size: int = 3) -> list:
    barrier = threading.Barrier(sweepers)
    results, errors = [None] * sweepers, []

    def sweeper(i: int) -> None:
        try:
            with Session() as session:
                barrier.wait()
                results[i] = sweep_deadlines(session, now, config=NotifyConfig(),
                                             batch_size=batch_size)
        except Exception as exc:  # reported below; a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=sweeper, args=(i,)) for i in range(sweepers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    return results


# One statutory clock per case (Meixian would run its 限时办结 clock beside it).
COUNTY = "jintai"


def test_two_sweepers_running_at_once_raise_each_alert_once(cases, session, Session):
    made = [cases.walk(["classify", "transfer", "accept"], county=COUNTY) for _ in range(CASES)]
    red_on = session.execute(select(func.max(Clock.red_on))).scalar_one()
    session.rollback()  # on SQLite every transaction holds the write lock (BEGIN IMMEDIATE)

    results = run_together(Session, at(red_on, 0, 1))

    raised = [a.case_id for r in results for a in r.alerts]
    assert sorted(raised) == sorted(c.id for c in made)
    assert session.execute(select(func.count()).select_from(Alert)).scalar_one() == CASES
    assert session.execute(
        select(func.count()).select_from(AccountabilityRecord)).scalar_one() == CASES
    per_user = session.execute(
        select(InboxItem.user_id, func.count()).group_by(InboxItem.user_id)).all()
    assert sorted(n for _, n in per_user) == [CASES] * 4
    assert verify_chain(session).ok


def test_four_sweepers_racing_over_three_levels_still_raise_each_level_once(
    cases, session, Session
):
    made = [cases.walk(["classify", "transfer", "accept"], county=COUNTY) for _ in range(4)]
    clock = session.execute(select(Clock).where(Clock.case_id == made[0].id,
                                                Clock.rule == "handling")).scalar_one()
    days = (clock.blue_on, clock.yellow_on, clock.red_on)
    session.rollback()
    for day in days:
        run_together(Session, at(day, 9), sweepers=4, batch_size=1)
    levels = session.execute(
        select(Alert.level, func.count()).group_by(Alert.level)).all()
    assert dict(levels) == {"blue": 4, "yellow": 4, "red": 4}
    assert verify_chain(session).ok


CHILD = """
import pathlib, sys, time
from petition_flow.clock import parse_instant
from petition_flow.db import make_engine, make_session_factory
from petition_flow.services.alerts import sweep_deadlines
from petition_flow.services.notify import NotifyConfig

url, now, ready, go = sys.argv[1:]
engine = make_engine(url)
pathlib.Path(ready).touch()
while not pathlib.Path(go).exists():
    time.sleep(0.005)
with make_session_factory(engine)() as session:
    result = sweep_deadlines(session, parse_instant(now), config=NotifyConfig(), batch_size=1)
print(len(result.alerts))
engine.dispose()
"""


def test_two_sweeper_processes_started_together_raise_each_alert_once(
    cases, session, database_url, tmp_path
):
    made = [cases.walk(["classify", "transfer", "accept"], county=COUNTY) for _ in range(8)]
    red_on = session.execute(select(func.max(Clock.red_on))).scalar_one()
    session.rollback()
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    children = [subprocess.Popen(
        [sys.executable, "-c", CHILD, database_url, f"{red_on.isoformat()}T09:00",
         str(tmp_path / f"ready{i}"), str(go)], stdout=subprocess.PIPE, text=True, env=env)
        for i in range(2)]
    deadline = wall.monotonic() + 30
    while not all((tmp_path / f"ready{i}").exists() for i in range(2)):
        assert wall.monotonic() < deadline, "sweeper processes did not start"
        wall.sleep(0.01)
    go.touch()
    counts = [int(child.communicate(timeout=60)[0]) for child in children]
    assert all(child.returncode == 0 for child in children)
    assert sum(counts) == len(made)
    assert session.execute(select(func.count()).select_from(Alert)).scalar_one() == len(made)
    assert verify_chain(session).ok
