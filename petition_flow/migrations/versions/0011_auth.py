"""auth: server-side sessions, sign-in throttling, password history and policy flags

Revision ID: 0011_auth
Revises: 0010_evidence
Create Date: 2026-12-02 00:00:00

等级保护 level 3 (GB/T 22239-2019) 身份鉴别 and 安全审计: a session is a row that logout,
a password change, deactivation or an administrator deletes; failed sign-ins are throttled
per source address instead of locking the account for everyone; the last few password
hashes are kept so they are not reused; initial and reset passwords must be changed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_auth"
down_revision = "0010_evidence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("remote_addr", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=256), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_sha256"),
    )
    op.create_index("ix_user_sessions_user_id", "user_sessions", ["user_id"], unique=False)
    op.create_table(
        "login_throttles",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(), nullable=False),
        sa.Column("blocked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "password_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_password_history_user_id", "password_history", ["user_id"],
                    unique=False)
    # Plain ALTER TABLE (SQLite >= 3.35 adds and drops columns itself): a batch copy of
    # users would have to drop a table every other table refers to, with foreign keys on.
    op.add_column("users", sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    op.add_column("users", sa.Column("password_changed_at", sa.DateTime(), nullable=True))
    op.add_column("users", sa.Column("demo", sa.Boolean(), nullable=False,
                                     server_default=sa.false()))


def downgrade() -> None:
    for column in ("demo", "password_changed_at", "must_change_password"):
        op.drop_column("users", column)
    op.drop_index("ix_password_history_user_id", table_name="password_history")
    op.drop_table("password_history")
    op.drop_table("login_throttles")
    op.drop_index("ix_user_sessions_user_id", table_name="user_sessions")
    op.drop_table("user_sessions")
