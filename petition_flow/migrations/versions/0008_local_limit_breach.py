"""local limit breach: an accountability record says whether a statutory or a local limit was missed

Revision ID: 0008_local_limit_breach
Revises: 0007_portal
Create Date: 2026-12-02 00:00:00

A county's stricter 限时办结 limit now runs as its own clock beside the statutory one. Missing
it makes a record of kind ``local_limit`` (限时办结超时); only a missed statutory period makes a
``statutory`` record (Arts. 43-45). Existing records were all made on statutory grounds or on
the local days under Art. 45's name; they keep ``statutory``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_local_limit_breach"
down_revision = "0007_portal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accountability_records") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=16), nullable=False,
                                   server_default="statutory"))


def downgrade() -> None:
    with op.batch_alter_table("accountability_records") as batch:
        batch.drop_column("kind")
