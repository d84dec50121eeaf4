"""Schema migrations with Alembic, driven from code (`petition-flow db upgrade`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


# Search objects of 0012_search that models.py cannot describe (an FTS5 table and its shadow
# tables on SQLite, pg_trgm GIN indexes on PostgreSQL).
SEARCH_OBJECTS = ("cases_fts", "ix_search_")


def include_name(name, type_, parent_names) -> bool:
    """For comparing the database with the models: leave out the search objects."""
    return not (name or "").startswith(SEARCH_OBJECTS)


def compare_options() -> dict:
    return {"include_name": include_name}


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate, then (at head) stamp the database with this code's version (stamp.py) and
    refresh the planner's statistics (a new index, a restored backup: issue 18)."""
    cfg = alembic_config()
    with engine.connect() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
        connection.commit()
    if revision == "head":
        from .db import make_session_factory
        from .services.dbutil import refresh_statistics
        from .stamp import write_stamp

        write_stamp(engine)
        with make_session_factory(engine)() as session:
            refresh_statistics(session)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
