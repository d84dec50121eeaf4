"""The 0004_api migration creates exactly what the models describe (api_tokens included)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from petition_flow.migrate import compare_options
from petition_flow.models import Base


def test_the_migrated_database_matches_the_models_including_api_tokens(engine):
    assert "api_tokens" in inspect(engine).get_table_names()
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection, opts=compare_options()),
                                Base.metadata) == []
