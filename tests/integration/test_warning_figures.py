"""The dashboards' counts of today's alerts, open supervision orders and pending accountability
records (services.digest.warning_figures) start from those few rows and look each case up by
primary key: the same figures as a plain join over the cases in scope, and on SQLite no plan
that reads ``cases`` whole, even when the planner's statistics say ``cases`` is tiny and know
nothing of ``alerts`` (issue 18). Times are never asserted."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from helpers import at
from sqlalchemy import func, select, text

from petition_flow.clock import local_date
from petition_flow.db import make_engine, make_session_factory
from petition_flow.devtools import bench
from petition_flow.migrate import upgrade
from petition_flow.models import (
    AccountabilityRecord,
    Alert,
    Case,
    CaseAccused,
    SupervisionOrder,
    User,
)
from petition_flow.services.actor import Actor
from petition_flow.services.alerts import level_start
from petition_flow.services.dbutil import refresh_statistics
from petition_flow.services.digest import _by_region, warning_figures
from petition_flow.services.org import seed_organisation
from petition_flow.services.queries import scope_clause

NOW = at("2026-10-09", 9)
SINCE = level_start(local_date(NOW))
ACTORS = [("city_supervisor", "meixian"), ("county_supervisor", "meixian"),
          ("county_supervisor", "jintai"), ("handler", "meixian"), ("handler", "jintai"),
          ("unit_leader", "meixian"), ("handler", "longxian")]


def _alert(case, n: int, raised_at) -> Alert:
    return Alert(case_id=case.id, level="red", deadline_version=n, subject="办理期限",
                 due_date=date(2026, 10, 8), reached_at=raised_at, raised_at=raised_at,
                 recipients=[])


def _order(case, issuer: User, status: str, listed: bool) -> SupervisionOrder:
    return SupervisionOrder(case_id=case.id, issuer_user_id=issuer.id,
                            issuer_role=issuer.role, target_unit_id=case.responsible_unit_id,
                            listed=listed, requirements="请按期办结", issued_at=at("2026-10-01"),
                            due_date=date(2026, 10, 20), version=1, status=status)


@pytest.fixture
def rows(cases, session, world):
    """Cases in two counties with alerts before and since today's start, orders in each status
    (listed or not) and records pending or decided; one Meixian case accuses 眉县人社局."""
    supervisor = session.execute(select(User).where(
        User.username == "county_supervisor.meixian")).scalar_one()
    made = [cases.walk(["classify", "transfer", "accept"], county=county)
            for county in ("meixian", "meixian", "meixian", "jintai", "jintai")]
    n = 0
    for i, case in enumerate(made):
        for raised in (SINCE - timedelta(minutes=1), SINCE, SINCE + timedelta(hours=i + 1)):
            n += 1
            session.add(_alert(case, n, raised))
        for status, listed in (("open", i % 2 == 0), ("replied", True), ("closed", True)):
            session.add(_order(case, supervisor, status, listed))
    session.flush()
    alerts = session.execute(select(Alert).order_by(Alert.id)).scalars().all()
    for alert, status in zip(alerts[::2], ["pending", "confirmed", "pending", "dismissed",
                                           "pending", "pending", "pending", "pending"],
                             strict=False):
        clock = session.execute(select(Case).where(Case.id == alert.case_id)
                                ).scalar_one().clocks[0]
        session.add(AccountabilityRecord(
            case_id=alert.case_id, clock_id=clock.id, alert_id=alert.id,
            unit_id=None, article="信访工作条例第四十五条", ground="超期未办结",
            due_date=date(2026, 10, 8), status=status, created_at=alert.raised_at))
    session.add(CaseAccused(case_id=made[1].id, unit_id=world.unit("meixian.hrss"),
                            recorded_at=at("2026-10-01")))
    session.commit()
    return made


def _joined(session, scope, since) -> tuple[int, int, int, int]:
    """The counts as the plain join over the cases in scope, the way they were first written."""
    def count(stmt):
        return session.execute(stmt).one()

    alerts, = count(select(func.count()).select_from(Alert).join(Case, Case.id == Alert.case_id)
                    .where(scope, Alert.raised_at >= since))
    orders, listed = count(
        select(func.count(), func.count().filter(SupervisionOrder.listed.is_(True)))
        .select_from(SupervisionOrder).join(Case, Case.id == SupervisionOrder.case_id)
        .where(scope, SupervisionOrder.status != "closed"))
    pending, = count(select(func.count()).select_from(AccountabilityRecord)
                     .join(Case, Case.id == AccountabilityRecord.case_id)
                     .where(scope, AccountabilityRecord.status == "pending"))
    return alerts, orders, listed, pending


def test_the_counts_of_alerts_orders_and_records_equal_a_plain_join_over_the_cases_in_scope(
        rows, session, world):
    seen = {}
    for role, county in ACTORS:
        actor = world.actor(role, county)
        f = warning_figures(session, actor, NOW)
        got = f.new_alerts, f.open_orders, f.listed_orders, f.pending_accountability
        assert got == _joined(session, scope_clause(actor), SINCE), (role, county)
        seen[role, county] = got
    # The fixture reaches every branch: all five cases for the city, two counties apart, and
    # the accusing case left out for the accused unit's handler.
    assert seen["city_supervisor", "meixian"] == (10, 10, 8, 6)
    assert seen["county_supervisor", "jintai"] == (4, 4, 3, 3)
    assert seen["county_supervisor", "meixian"] == (6, 6, 5, 3)
    assert seen["handler", "meixian"] == (4, 4, 4, 2)
    assert seen["handler", "longxian"] == (0, 0, 0, 0)


def test_the_digest_counts_each_county_as_the_plain_join_does(rows, session):
    today = local_date(NOW)
    figures = _by_region(session, today, SINCE)
    assert set(figures) == {case.region_id for case in rows}
    for region_id, f in figures.items():
        assert (f.new_alerts, f.open_orders, f.listed_orders, f.pending_accountability) == \
            _joined(session, Case.region_id == region_id, SINCE)


# --- the plans -----------------------------------------------------------------------------

RARE_ROWS = ("FROM alerts", "FROM supervision_orders", "FROM accountability_records")


@pytest.fixture
def tiny(tmp_path):
    """A SQLite file of its own with a handful of bench cases and no alert, order or record,
    analysed as the migrations leave it: statistics say ``cases`` is tiny and ``alerts`` big."""
    engine = make_engine(f"sqlite:///{tmp_path / 'tiny.sqlite3'}")
    upgrade(engine)
    session = make_session_factory(engine)()
    seed_organisation(session)
    bench.bench_users(session, NOW)
    bench.seed(session, 8, NOW, progress=None)
    refresh_statistics(session)
    yield session
    session.close()
    engine.dispose()


def _plans(session, username: str) -> dict[str, str]:
    """SQL -> SQLite's plan, for each statement warning_figures sends as ``username``."""
    actor = Actor.of(session.execute(select(User).where(User.username == username)).scalar_one())
    out = {}
    for statement, params in bench._captured_selects(
            session, lambda: warning_figures(session, actor, NOW)):
        rows = session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, params).all()
        out[statement] = " / ".join(str(r[-1]) for r in rows)
    session.rollback()
    return out


def test_the_handlers_inbox_figures_never_scan_cases_or_all_running_clocks_on_sqlite(tiny):
    unit = bench._world(tiny).units["meixian"][0][0]
    plans = _plans(tiny, f"bench.{bench.HANDLER}.{unit}")
    assert len(plans) == 4
    colours = [p for s, p in plans.items() if "EXISTS" in s]
    assert len(colours) == 1
    # A unit's colour counts start from its own cases and probe each one's clocks: never from
    # every running clock of the database (190 ms a page at 100,000 cases, issue 18). Eight
    # cases are read whole, as a planner should; the bench's plan check (tables of 10,000
    # rows and more) sees them reached through the scope's indexes.
    assert "ix_clocks_case_running_due (case_id=?" in colours[0], colours[0]
    assert "ix_clocks_running_due" not in colours[0] and "SCAN clocks" not in colours[0]
    for statement, plan in plans.items():
        if "EXISTS" not in statement:
            assert "SCAN cases" not in plan, (statement, plan)
            assert bench.full_scans(plan) == [], plan


@pytest.mark.parametrize("username", ["bench.county_supervisor.meixian", bench.CITY_USER])
def test_the_dashboards_counts_of_alerts_orders_and_records_start_from_those_rows_on_sqlite(
        tiny, username):
    # The colour counts (clocks joined to cases) are left to the planner: for the city, a
    # tiny ``cases`` read whole is the cheaper plan; the bench reports it once it is large.
    rare = {s: p for s, p in _plans(tiny, username).items()
            if any(table in s for table in RARE_ROWS)}
    assert len(rare) == 3
    for statement, plan in rare.items():
        assert "SCAN cases" not in plan, (statement, plan)
        assert "SEARCH cases USING INTEGER PRIMARY KEY" in plan, plan


def test_the_bench_counts_a_scan_of_a_large_table_or_of_all_of_its_index_as_a_full_scan():
    plan = "\n".join([
        "SCAN cases USING INDEX ix_cases_region_state / SEARCH alerts USING INDEX ix_a (case_id=?)",
        "SEARCH alerts USING INDEX ix_alerts_raised_at (raised_at>?) / SEARCH cases USING "
        "INTEGER PRIMARY KEY (rowid=?)",
        "SCAN cases_1 USING COVERING INDEX ix_cases_open_region_state",
        "SCAN cases_fts VIRTUAL TABLE INDEX 0: / SCAN regions",
        "Seq Scan on alerts  (cost=0.00..35.50 rows=2550 width=4)",
    ])
    assert bench.full_scans(plan) == [plan.splitlines()[i] for i in (0, 2, 4)]
    assert bench.full_scans(plan, ("alerts",)) == [plan.splitlines()[4]]
    assert bench.scans_by_page({"inbox": plan, "sweep": "SEARCH clocks USING INDEX x"},
                               ("cases",)) == {"inbox": [plan.splitlines()[0],
                                                         plan.splitlines()[2]]}


def test_the_migrations_leave_the_planner_statistics_of_the_data_there_is(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'stats.sqlite3'}")
    try:
        upgrade(engine)
        with make_session_factory(engine)() as session:
            seed_organisation(session)
            bench.bench_users(session, NOW)
            bench.seed(session, 3, NOW, progress=None)
        upgrade(engine)  # at head already: `petition-flow db upgrade` still refreshes them
        with engine.connect() as conn:
            analysed = set(conn.exec_driver_sql("SELECT tbl FROM sqlite_stat1").scalars())
        assert {"cases", "clocks", "units", "users"} <= analysed
    finally:
        engine.dispose()


def test_refreshing_the_statistics_analyses_the_application_tables(session, cases):
    cases.walk(["classify"])
    refresh_statistics(session)
    if session.get_bind().dialect.name == "sqlite":
        found = session.execute(text("SELECT stat FROM sqlite_stat1 WHERE tbl = 'cases'")).first()
    else:
        found = session.execute(text("SELECT last_analyze FROM pg_stat_user_tables "
                                     "WHERE relname = 'cases'")).scalar_one()
    assert found is not None


def test_the_scheduler_refreshes_the_statistics_once_a_day_at_a_quiet_hour(engine):
    from petition_flow.scheduler import SchedulerRunner
    from petition_flow.services.notify import NotifyConfig

    runner = SchedulerRunner(engine, holder="stats", config=NotifyConfig())
    trigger = str(runner.scheduler.get_job("statistics").trigger)
    assert "hour='3'" in trigger and "minute='30'" in trigger


def test_a_units_open_case_list_is_found_through_its_scope_not_through_every_open_case(tiny):
    """"Open" must not drive a unit's list: SQLite walked every open case of the database
    through ix_cases_open_region_state (110 ms of the busiest handler's inbox at 100,000
    cases, issue 18); the scope's indexes find the unit's few thousand."""
    from petition_flow.services.queries import CaseFilters, list_cases

    unit = bench._world(tiny).units["meixian"][0][0]
    handler = Actor.of(tiny.execute(select(User).where(
        User.username == f"bench.{bench.HANDLER}.{unit}")).scalar_one())
    statements = bench._captured_selects(tiny, lambda: list_cases(
        tiny, handler, CaseFilters(open_only=True), local_date(NOW)))
    plans = [" / ".join(str(r[-1]) for r in tiny.connection().exec_driver_sql(
        "EXPLAIN QUERY PLAN " + sql, params).all()) for sql, params in statements]
    tiny.rollback()
    assert len(plans) == 2  # the count and the page
    for plan in plans:
        assert "ix_cases_open_region_state" not in plan, plan
