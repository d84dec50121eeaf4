"""alerts: superseded alerts, and when the deadline sweep last ran

Revision ID: 0018_alerts
Revises: 0017_instance
Create Date: 2026-12-02 06:00:00

An alert whose deadline changed (an approved extension, a holiday calendar import, a returned
supervision order) is marked superseded, never deleted: it stays in the inbox and the audit
log, and the new deadline is warned afresh. ``sweep_runs`` keeps when the deadline sweep last
ran, so an alert is said to be sent late "after downtime" only when the sweep really did not
run between the moment the level was reached and now.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_alerts"
down_revision = "0017_instance"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("alerts", sa.Column("superseded_at", sa.DateTime(), nullable=True))
    op.create_table(
        "sweep_runs",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("last_run_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("sweep_runs")
    op.drop_column("alerts", "superseded_at")
