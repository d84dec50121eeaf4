"""Benchmark of one sweep on a large database (`petition-flow bench`).

Seeds N open cases, each with a running 60-day handling clock whose next colour is weeks
away, then times (1) a sweep with nothing to do, (2) a sweep in which ``changes`` clocks
turn blue on the same day (each alert written with its inbox item, outbox row and audit
entry), and (3) the idle sweep again. Rows are bulk-inserted, not driven through the
workflow: the point is the sweep's cost, which must not grow with the number of cases.
"""

from __future__ import annotations

import statistics
import time as perf
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.orm import Session

from ..db import begin_write
from ..models import Case, Clock, Region, Unit, User
from .alerts import sweep_deadlines
from .notify import NotifyConfig

COUNTY = "meixian"


@dataclass
class BenchReport:
    dialect: str
    cases: int
    changes: int
    seed_seconds: float
    idle_ms: list[float] = field(default_factory=list)
    busy_ms: float = 0.0
    busy_alerts: int = 0
    idle_after_ms: list[float] = field(default_factory=list)
    plan: str = ""

    @property
    def idle_median_ms(self) -> float:
        return statistics.median(self.idle_ms)


def _bench_users(session: Session, now: datetime) -> tuple[int, int]:
    region = session.execute(select(Region).where(Region.code == COUNTY)).scalar_one()
    unit = session.execute(select(Unit).where(Unit.code == f"{COUNTY}.hrss")).scalar_one()
    roles = ("handler", "unit_leader", "county_supervisor")
    for role in roles:
        name = f"bench.{role}"
        if session.execute(select(User.id).where(User.username == name)).first() is None:
            session.add(User(username=name, display_name=name, password_hash="!", role=role,
                             unit_id=unit.id, active=True, failed_logins=0, created_at=now))
    session.flush()
    return region.id, unit.id


def seed(session: Session, n: int, today: date, now: datetime, *, start: int = 0,
         chunk: int = 20_000, version: str = "bench") -> None:
    """Insert ``n`` open cases with one running handling clock each, idle for weeks."""
    region_id, unit_id = _bench_users(session, now)
    trigger = today - timedelta(days=10)
    due = trigger + timedelta(days=60)
    # Explicit ids (clocks refer to them without a round trip); ids after ``start``.
    for lo in range(start, start + n, chunk):
        begin_write(session)
        hi = min(lo + chunk, start + n)
        session.execute(insert(Case), [dict(
            id=i + 1, case_no=f"B-{i:09d}", query_code=f"Q{i:09d}", workflow="meixian_six_step",
            workflow_version=version, state="under_handling", region_id=region_id,
            registered_unit_id=unit_id, responsible_unit_id=unit_id, channel="visit",
            received_at=now, summary="基准测试事项", request="基准测试", facts_and_reasons="",
            category="appeal", route=6, data={}, version_id=1, created_at=now, updated_at=now,
        ) for i in range(lo, hi)])
        session.execute(insert(Clock), [dict(
            case_id=i + 1, rule="handling", label="办理期限", article="信访工作条例第三十四条",
            unit="calendar", duty=True, days=60, workflow_version=version,
            trigger_date=trigger, extension_days=0, excluded_days=0, status="running",
            due_date=due, blue_on=due - timedelta(days=20), yellow_on=due - timedelta(days=4),
            red_on=due + timedelta(days=1), next_level_on=due - timedelta(days=20),
            provisional=False, calendar_version="bench", explanation="基准测试",
            version=1, started_at=now,
        ) for i in range(lo, hi)])
        session.commit()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), "
                             "(SELECT max(id) FROM cases))"))
        session.commit()


def make_due(session: Session, changes: int, today: date) -> None:
    """Let ``changes`` clocks turn blue today, as a new deadline version (so reruns count)."""
    begin_write(session)
    ids = select(Clock.id).order_by(Clock.id).limit(changes).scalar_subquery()
    session.execute(update(Clock).where(Clock.id.in_(ids))
                    .values(blue_on=today, next_level_on=today, version=Clock.version + 1)
                    .execution_options(synchronize_session=False))
    session.commit()


def sweep_plan(session: Session, today: date) -> str:
    """The database's plan for the sweeper's query: it must be an index range scan."""
    stmt = (select(Clock.id).where(Clock.status == "running", Clock.next_level_on <= today)
            .order_by(Clock.next_level_on, Clock.id).limit(500))
    sql = str(stmt.compile(session.get_bind(), compile_kwargs={"literal_binds": True}))
    dialect = session.get_bind().dialect.name
    prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
    rows = session.execute(text(prefix + sql)).all()
    session.rollback()
    return "\n".join(str(r[-1]) for r in rows)


def _timed_sweep(session_factory, now: datetime) -> tuple[float, int]:
    with session_factory() as session:
        started = perf.perf_counter()
        result = sweep_deadlines(session, now, config=NotifyConfig())
        return (perf.perf_counter() - started) * 1000, len(result.alerts)


def run_bench(session_factory, now: datetime, today: date, cases: int, changes: int,
              repeat: int = 5) -> BenchReport:
    """Seed (topping up to ``cases``), then time the idle, busy and idle-again sweeps."""
    with session_factory() as session:
        dialect = session.get_bind().dialect.name
        have = session.execute(select(func.count()).select_from(Case)).scalar_one()
        last = session.execute(select(func.max(Case.id))).scalar_one() or 0
        started = perf.perf_counter()
        if have < cases:
            seed(session, cases - have, today, now, start=last)
        if dialect == "postgresql":
            session.execute(text("ANALYZE cases"))
            session.execute(text("ANALYZE clocks"))
            session.commit()
        elif dialect == "sqlite":
            session.execute(text("ANALYZE"))
            session.commit()
        report = BenchReport(dialect, cases, changes, perf.perf_counter() - started)
        report.plan = sweep_plan(session, today)
    report.idle_ms = [_timed_sweep(session_factory, now)[0] for _ in range(repeat)]
    with session_factory() as session:
        make_due(session, changes, today)
    report.busy_ms, report.busy_alerts = _timed_sweep(session_factory, now)
    report.idle_after_ms = [_timed_sweep(session_factory, now)[0] for _ in range(repeat)]
    return report
