"""attachments, internal notes and named handlers of a case (issue 17)

Revision ID: 0014_attachments
Revises: 0013_stats_indexes
Create Date: 2026-12-02 05:30:00

- ``attachments``: one row per file attached to a case; the bytes are in the attachment store
  (instance folder by default), encrypted, under their SHA-256;
- ``case_notes``: internal notes (staff only);
- ``cases.assigned_user_id``: the named handler (承办人) a unit leader assigned.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_attachments"
down_revision = "0013_stats_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("state", sa.String(48), nullable=False),
        sa.Column("thumbnail_sha256", sa.String(64), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.Column("uploaded_by_user_id", sa.Integer(), sa.ForeignKey("users.id"),
                  nullable=True),
    )
    op.create_index("ix_attachments_case_id", "attachments", ["case_id"])
    op.create_table(
        "case_notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("author_user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
    )
    op.create_index("ix_case_notes_case_id", "case_notes", ["case_id"])
    # Plain ALTER TABLE (as 0011 does for users): a batch copy of cases would drop the table
    # every other table refers to, and the search triggers of 0012 with it.
    # SQLite adds a column with its reference in one statement; Alembic would add the
    # constraint separately, which SQLite cannot.
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE cases ADD COLUMN assigned_user_id INTEGER REFERENCES users (id)")
    else:
        op.add_column("cases", sa.Column("assigned_user_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_cases_assigned_user_id_users", "cases", "users",
                              ["assigned_user_id"], ["id"])
    op.create_index("ix_cases_assigned_user", "cases", ["assigned_user_id"])


def downgrade() -> None:
    op.drop_index("ix_cases_assigned_user", table_name="cases")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("fk_cases_assigned_user_id_users", "cases", type_="foreignkey")
    op.drop_column("cases", "assigned_user_id")
    op.drop_index("ix_case_notes_case_id", "case_notes")
    op.drop_table("case_notes")
    op.drop_index("ix_attachments_case_id", "attachments")
    op.drop_table("attachments")
