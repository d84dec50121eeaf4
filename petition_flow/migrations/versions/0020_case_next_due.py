"""cases: the nearest running deadline, stored on the case

Revision ID: 0020_case_next_due
Revises: 0019_pending_pdfs
Create Date: 2026-12-02 18:30:00

A case list is ordered by each case's nearest running duty deadline. It was a correlated
subquery per case in scope: for the busiest handler of a million-case database, some ten
thousand index lookups on every page (issue 18). The clock code now keeps the date on the
case whenever a clock starts, stops, pauses, resumes or moves (services/clocks.py
``refresh_next_due``); this fills it in for the cases already there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_case_next_due"
down_revision = "0019_pending_pdfs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("next_due", sa.Date(), nullable=True))
    op.execute("UPDATE cases SET next_due = (SELECT MIN(clocks.due_date) FROM clocks"
               " WHERE clocks.case_id = cases.id AND clocks.status = 'running'"
               " AND clocks.duty)")


def downgrade() -> None:
    op.drop_column("cases", "next_due")
