"""search: full text over a case's summary, request and facts, in Chinese

Revision ID: 0012_search
Revises: 0011_auth
Create Date: 2026-12-02 00:10:00

Chinese is not split into words by spaces, so neither database's word tokenizer finds a phrase
inside a sentence. Both use trigrams instead:
- SQLite: an FTS5 table ``cases_fts`` with the trigram tokenizer (SQLite 3.34+), holding no copy
  of the text (external content: the ``cases`` table), kept in step by triggers;
- PostgreSQL: the pg_trgm extension and a GIN trigram index on each of the three columns, which
  serve ``ILIKE '%短语%'``.
These objects are not in models.py (SQLAlchemy has no type for them); ``migrate.include_name``
keeps the migrations-match-models check from reporting them.
"""

from __future__ import annotations

from alembic import op

revision = "0012_search"
down_revision = "0011_auth"
branch_labels = None
depends_on = None

COLUMNS = ("summary", "request", "facts_and_reasons")
SQLITE = [
    "CREATE VIRTUAL TABLE cases_fts USING fts5(summary, request, facts_and_reasons, "
    "content='cases', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER cases_fts_insert AFTER INSERT ON cases BEGIN "
    "INSERT INTO cases_fts(rowid, summary, request, facts_and_reasons) "
    "VALUES (new.id, new.summary, new.request, new.facts_and_reasons); END",
    "CREATE TRIGGER cases_fts_delete AFTER DELETE ON cases BEGIN "
    "INSERT INTO cases_fts(cases_fts, rowid, summary, request, facts_and_reasons) "
    "VALUES ('delete', old.id, old.summary, old.request, old.facts_and_reasons); END",
    "CREATE TRIGGER cases_fts_update AFTER UPDATE OF summary, request, facts_and_reasons "
    "ON cases BEGIN "
    "INSERT INTO cases_fts(cases_fts, rowid, summary, request, facts_and_reasons) "
    "VALUES ('delete', old.id, old.summary, old.request, old.facts_and_reasons); "
    "INSERT INTO cases_fts(rowid, summary, request, facts_and_reasons) "
    "VALUES (new.id, new.summary, new.request, new.facts_and_reasons); END",
    "INSERT INTO cases_fts(cases_fts) VALUES ('rebuild')",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE:
            op.execute(statement)
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        op.execute(f"CREATE INDEX ix_search_cases_{column} ON cases "
                   f"USING gin ({column} gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("cases_fts_update", "cases_fts_delete", "cases_fts_insert"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS cases_fts")
        return
    for column in COLUMNS:
        op.execute(f"DROP INDEX IF EXISTS ix_search_cases_{column}")
