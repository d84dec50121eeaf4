"""statistics indexes: the figures' period scans and the 越级 check at a million cases

Revision ID: 0013_stats_indexes
Revises: 0012_search
Create Date: 2026-12-02 05:30:00

- ix_cases_repeat_of: 息访在县域率 asks, for every concluded case, whether a later repeat of it
  was registered outside its county (services/statistics.py ``_stayed``). Without an index on
  ``repeat_of_id`` each of those EXISTS read the whole cases table: at a million cases the
  statistics page did not answer in nine minutes. It also serves the repeat links of a case.
- ix_cases_received: the registration cohort's period (收到时间) is a range on ``received_at``.
"""

from __future__ import annotations

from alembic import op

revision = "0013_stats_indexes"
down_revision = "0012_search"
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_cases_repeat_of", "cases", ["repeat_of_id"]),
    ("ix_cases_received", "cases", ["received_at"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
