"""instance: the code version stamp and the scheduler's last sweep

Revision ID: 0017_instance
Revises: 0016_levels
Create Date: 2026-12-02 05:30:00

- ``instance_meta``: small named values about the instance; ``code_version`` is the version
  and code fingerprint of the package that last ran ``init`` / ``db upgrade`` (stamp.py), so a
  web worker or scheduler running other code refuses to start;
- ``scheduler_leases.last_sweep_at``: when the lease holder last swept the deadlines, for
  ``petition-flow doctor`` and the administration's health page.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_instance"
down_revision = "0016_levels"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instance_meta",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.Column("written_by", sa.String(length=128), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.add_column("scheduler_leases", sa.Column("last_sweep_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scheduler_leases") as batch:
        batch.drop_column("last_sweep_at")
    op.drop_table("instance_meta")
