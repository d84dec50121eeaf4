"""levels: a county case remembers the city that follows it (sent down, or reported up)

Revision ID: 0016_levels
Revises: 0015_documents
Create Date: 2026-12-02 05:30:00

A matter registered at the city 信访局 and 交办/转送 to a county (信访工作条例第二十二条第二项、
第三项) moves into that county (``region_id``), so the county's isolation applies to it; the
city's bureau keeps seeing what it sent down through ``upper_region_id``; it also sees a
county's case reported up to it as major or urgent (第二十五条). Existing cases were all
registered in the county that holds them and never reported up: the column stays empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_levels"
down_revision = "0015_documents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not a batch (table-copying) change: copying ``cases`` on SQLite would drop the full-text
    # triggers of 0012_search. SQLite adds a nullable referencing column in place.
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        present = {row[1] for row in bind.exec_driver_sql("PRAGMA table_info(cases)")}
        if "upper_region_id" not in present:  # kept by an earlier downgrade (see below)
            op.execute("ALTER TABLE cases ADD COLUMN upper_region_id INTEGER "
                       "REFERENCES regions (id)")
    else:
        op.add_column("cases", sa.Column("upper_region_id", sa.Integer(),
                                         sa.ForeignKey("regions.id"), nullable=True))
    op.create_index("ix_cases_upper_region", "cases", ["upper_region_id"])


def downgrade() -> None:
    op.drop_index("ix_cases_upper_region", table_name="cases")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot drop a referencing column in place, and copying ``cases`` fails on the
        # tables that reference it: the nullable column stays, unread by the older code.
        return
    op.drop_column("cases", "upper_region_id")
