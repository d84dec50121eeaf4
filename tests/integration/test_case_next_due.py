"""A case carries its nearest running deadline (``cases.next_due``), and it is always the one
its clocks say: case lists sort and filter by it (services/queries.py) without reading clocks.
"""

from __future__ import annotations

from datetime import date

from alembic import command
from helpers import at
from sqlalchemy import func, select, text, update

from petition_flow.devtools.demo import APPEAL6
from petition_flow.migrate import alembic_config, upgrade
from petition_flow.models import Case, Clock
from petition_flow.services.actor import SYSTEM
from petition_flow.services.calendars import import_calendar
from petition_flow.services.queries import CaseFilters, list_cases

BASE = ["classify", "transfer", "accept"]
# Walks that start, stop, supersede, pause, resume and extend clocks between them.
WALKS = [
    [],
    ["classify"],
    BASE,
    BASE + ["request_extension", "approve_extension"],
    BASE + ["reply", "deliver"],  # the handling clock stops; the review window is no duty
    BASE + ["reply", "deliver", "evaluate", "close"],
    ["classify", "transfer", "object"],  # paused while the bureau decides the objection
    ["classify", "transfer", "object", "reject_objection"],  # and resumed
    ["classify", "transfer", "reject"],
]
TRUTH = (select(func.min(Clock.due_date))
         .where(Clock.case_id == Case.id, Clock.status == "running", Clock.duty.is_(True))
         .correlate(Case).scalar_subquery())


def stored_and_true(session) -> list[tuple[int, date | None, date | None]]:
    session.expire_all()
    return session.execute(select(Case.id, Case.next_due, TRUTH).order_by(Case.id)).all()


def test_every_walk_leaves_the_case_with_the_nearest_due_date_of_its_running_clocks(
        cases, session):
    for steps in WALKS:
        cases.walk(steps, classification=dict(APPEAL6))
    rows = stored_and_true(session)
    assert len(rows) == len(WALKS)
    assert [(i, stored) for i, stored, _ in rows] == [(i, true) for i, _, true in rows]
    assert any(stored is None for _, stored, _ in rows)  # closed and paused cases have none
    assert any(stored is not None for _, stored, _ in rows)


def test_an_imported_calendar_that_moves_a_deadline_moves_the_cases_date_too(cases, session):
    from test_clocks import CAL_2027

    case = cases.walk(["classify", "transfer"], county="jintai", start=at("2026-12-08", 9))
    case = cases.fire(case, "accept", county="jintai", when=at("2026-12-10"))
    assert case.next_due == date(2027, 2, 9)
    import_calendar(session, SYSTEM, at("2026-12-11"), CAL_2027, "2027.yaml")
    rows = stored_and_true(session)
    assert (case.id, date(2027, 2, 12), date(2027, 2, 12)) in rows


def test_the_inbox_puts_the_case_due_soonest_first_by_the_stored_date(cases, world, session):
    later = cases.walk(["classify", "transfer"], start=at("2026-03-02", 9))
    sooner = cases.walk(["classify", "transfer"], start=at("2026-03-02", 9))
    session.execute(update(Case).where(Case.id == sooner.id)
                    .values(next_due=date(2026, 3, 20), version_id=Case.version_id))
    session.execute(update(Case).where(Case.id == later.id)
                    .values(next_due=date(2026, 4, 20), version_id=Case.version_id))
    session.commit()
    page = list_cases(session, world.actor("reception"), CaseFilters(), date(2026, 3, 10))
    listed = [r.id for r in page.rows if r.id in (sooner.id, later.id)]
    assert listed == [sooner.id, later.id]
    assert {r.id: r.next_due for r in page.rows}[sooner.id] == date(2026, 3, 20)


def test_migration_0020_fills_in_the_date_of_the_cases_already_there(tmp_path):
    from petition_flow.db import make_engine, make_session_factory
    from petition_flow.services.org import seed_organisation
    from petition_flow.services.petitions import register_petition
    from tests.conftest import Cases, World

    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    try:
        upgrade(engine)
        with make_session_factory(engine)() as s:
            seed_organisation(s)
            from petition_flow.models import User
            from petition_flow.services.actor import Actor
            from petition_flow.services.org import unit_by_code

            user = User(username="reception.meixian", display_name="接访员", password_hash="!",
                        unit_id=unit_by_code(s, "meixian.bureau").id, role="reception",
                        active=True, failed_logins=0, created_at=at("2026-01-01"))
            s.add(user)
            s.commit()
            forms = Cases(World(s))
            register_petition(s, Actor.of(user), at("2026-06-01", 9),
                              forms.form(received_at=at("2026-06-01", 9)))
        config = alembic_config()
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0019_pending_pdfs")
            connection.commit()
            command.upgrade(config, "head")
            connection.commit()
        with engine.connect() as connection:
            rows = connection.execute(text(
                "SELECT next_due, (SELECT MIN(due_date) FROM clocks WHERE case_id = cases.id"
                " AND status = 'running' AND duty) FROM cases")).all()
        assert rows and all(stored is not None and str(stored) == str(true)
                            for stored, true in rows)
    finally:
        engine.dispose()
