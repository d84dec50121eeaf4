"""documents: 发文字号 and the PDF as issued, for every notice

Revision ID: 0015_documents
Revises: 0014_attachments
Create Date: 2026-12-02 06:00:00

GB/T 9704-2012 §7.2.4: a document number (发文字号) of 机关代字, year in 〔〕 and sequence
number; the sequence runs per county, per year and per document type (``document_numbers``),
and a unique index keeps two notices from ever carrying the same number. ``pdf_sha256`` names
the PDF rendered when the notice was issued (kept in the instance folder; the same hash is in
the ``notice_issued`` audit entry). Notices issued before this migration have neither.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_documents"
down_revision = "0014_attachments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_numbers",
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("doc_type", sa.String(length=8), nullable=False),
        sa.Column("last_no", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"]),
        sa.PrimaryKeyConstraint("region_id", "year", "doc_type"),
    )
    # Plain ALTER TABLE, as in 0011_auth: no batch copy of a table others refer to.
    op.add_column("notices", sa.Column("doc_no", sa.String(length=64), nullable=True))
    op.add_column("notices", sa.Column("pdf_sha256", sa.String(length=64), nullable=True))
    op.create_index("uq_notices_doc_no", "notices", ["doc_no"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_notices_doc_no", table_name="notices")
    op.drop_column("notices", "pdf_sha256")
    op.drop_column("notices", "doc_no")
    op.drop_table("document_numbers")
