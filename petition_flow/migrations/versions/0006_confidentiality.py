"""confidentiality: who a 检举控告 accuses (Art. 30 ¶3) and who recused themselves (Art. 28 ¶3)

Revision ID: 0006_confidentiality
Revises: 0005_bench_indexes
Create Date: 2026-12-01 23:50:00

- case_accused: one row per accused unit, accused user or accused person named in free text;
  accused units and users never see the case (services/confidentiality.py);
- recusals: one row per member of staff and case (回避); they may not act on it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_confidentiality"
down_revision = "0005_bench_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_accused",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=64), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by_user_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("(CASE WHEN unit_id IS NULL THEN 0 ELSE 1 END"
                           " + CASE WHEN user_id IS NULL THEN 0 ELSE 1 END"
                           " + CASE WHEN name IS NULL THEN 0 ELSE 1 END) = 1",
                           name="ck_case_accused_one_target"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["recorded_by_user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_accused", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_accused_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_case_accused_unit", ["unit_id", "case_id"], unique=False)
        batch_op.create_index("ix_case_accused_user", ["user_id", "case_id"], unique=False)
    op.create_table(
        "recusals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("declared_at", sa.DateTime(), nullable=False),
        sa.Column("declared_by_user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["declared_by_user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id", "user_id", name="uq_recusals_case_user"),
    )
    with op.batch_alter_table("recusals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recusals_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("recusals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recusals_case_id"))
    op.drop_table("recusals")
    with op.batch_alter_table("case_accused", schema=None) as batch_op:
        batch_op.drop_index("ix_case_accused_user")
        batch_op.drop_index("ix_case_accused_unit")
        batch_op.drop_index(batch_op.f("ix_case_accused_case_id"))
    op.drop_table("case_accused")
