"""notices: an index of the notices whose PDF is still to be rendered

Revision ID: 0019_pending_pdfs
Revises: 0018_alerts
Create Date: 2026-12-02 18:00:00

A step no longer renders its notices' PDFs (about a second of one core each, issue 18): the
scheduler renders the pending ones a few a minute. A partial index holds only those rows, so
finding them costs nothing however many notices have their PDF already.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_pending_pdfs"
down_revision = "0018_alerts"
branch_labels = None
depends_on = None

PENDING = sa.text("pdf_sha256 IS NULL")


def upgrade() -> None:
    op.create_index("ix_notices_pdf_pending", "notices", ["id"], sqlite_where=PENDING,
                    postgresql_where=PENDING)


def downgrade() -> None:
    op.drop_index("ix_notices_pdf_pending", table_name="notices")
