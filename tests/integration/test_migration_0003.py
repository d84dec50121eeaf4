"""Migration 0003 on a database that already holds cases (SQLite file of its own)."""

from __future__ import annotations

from alembic import command
from helpers import at
from sqlalchemy import text

from petition_flow.db import make_engine, make_session_factory
from petition_flow.migrate import alembic_config, current_revision, head_revision, upgrade
from petition_flow.models import User
from petition_flow.services.actor import Actor
from petition_flow.services.org import seed_organisation, unit_by_code
from petition_flow.services.petitions import register_petition
from tests.conftest import Cases, World

OPEN_DUTY = "FROM clocks WHERE status <> 'stopped' AND red_on IS NOT NULL"


def test_migration_0003_goes_down_and_up_over_existing_cases_and_backfills_open_clocks(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    try:
        upgrade(engine)
        with make_session_factory(engine)() as session:
            seed_organisation(session)
            user = User(username="reception.meixian", display_name="接访员", password_hash="!",
                        unit_id=unit_by_code(session, "meixian.bureau").id, role="reception",
                        active=True, failed_logins=0, created_at=at("2026-01-01"))
            session.add(user)
            session.commit()
            forms = Cases(World(session))
            for day in ("2026-06-01", "2026-06-02", "2026-06-03"):
                register_petition(session, Actor.of(user), at(day, 9),
                                  forms.form(received_at=at(day, 9)))
        config = alembic_config()
        with engine.connect() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0001")
            connection.commit()
        assert current_revision(engine) == "0001"
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        with engine.connect() as connection:
            total, backfilled = connection.execute(text(
                f"SELECT count(*), sum(CASE WHEN next_level_on = blue_on THEN 1 ELSE 0 END) "
                f"{OPEN_DUTY}")).one()
            listed = connection.execute(
                text("SELECT count(*) FROM cases WHERE listed_supervision")).scalar_one()
        assert total == 3 and backfilled == 3 and listed == 0
    finally:
        engine.dispose()
