"""bench indexes: what the inbox, the dashboards and the case page need at a million cases

Revision ID: 0005_bench_indexes
Revises: 0004_api
Create Date: 2026-11-30 03:00:00

The plans of every query of the handler inbox, the case page, the city dashboard and the
sweeper were checked on SQLite and PostgreSQL with 1,000,000 cases (`petition-flow bench`):
- a case's nearest running duty deadline was an aggregate over every clock; now one lookup
  per case in ix_clocks_case_running_due (covering);
- the dashboards' overdue and due-soon counts read only clocks due by the window's end
  (ix_clocks_running_due, covering);
- open cases per county and state are counted from ix_cases_open_region_state alone.
"""

from __future__ import annotations

from alembic import op

revision = "0005_bench_indexes"
down_revision = "0004_api"
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_cases_open_region_state", "cases", ["closed_at", "region_id", "state"]),
    ("ix_clocks_case_running_due", "clocks", ["case_id", "status", "duty", "due_date"]),
    ("ix_clocks_running_due", "clocks", ["status", "duty", "due_date", "case_id"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
