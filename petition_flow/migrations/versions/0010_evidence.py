"""evidence: keyed audit chain, signed checkpoints, append-only triggers, sealed parties (issue 12)

Revision ID: 0010_evidence
Revises: 0009_idempotency
Create Date: 2026-12-01 23:50:00

Re-keying an existing chain at upgrade: every entry keeps its SHA-256 ``hash`` (so a chain
that was tampered with before the upgrade still fails ``audit verify`` where it failed
before) and gains ``mac = HMAC(K, seq, hash)`` under the instance's audit key, created here
in the key file if the instance has none (never in the database). The unkeyed chain is
verified first; the upgrade appends one ``audit_chain_keyed`` entry recording the legacy head
and that verification's outcome, so the log itself says from which entry on it is keyed.

Parties' 身份证号, phone and address are encrypted in place (AES-256-GCM, sealed.py) with
blind indexes for exact matches; on SQLite with secure_delete on, so the plaintext does not
linger in freed pages.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from petition_flow import appendonly

revision = "0010_evidence"
down_revision = "0009_idempotency"
branch_labels = None
depends_on = None

BATCH = 2000


def _keyring():
    from petition_flow import clock, keys

    if keys.pinned() is not None:  # a tool working on a scratch database (bench, restore)
        return keys.pinned()
    if not keys.exists():
        keys.create(created=clock.now().isoformat(timespec="seconds"))
    keys.forget()
    return keys.active()


def upgrade() -> None:
    with op.batch_alter_table("audit_entries") as batch_op:
        batch_op.add_column(sa.Column("mac", sa.String(length=64), nullable=True))
    with op.batch_alter_table("audit_head") as batch_op:
        batch_op.add_column(sa.Column("mac", sa.String(length=64), nullable=True))
    op.create_table(
        "audit_checkpoints",
        sa.Column("n", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("line", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("n"),
    )
    ring = _keyring()
    _key_chain(op.get_bind(), ring)
    with op.batch_alter_table("audit_entries") as batch_op:
        batch_op.alter_column("mac", existing_type=sa.String(length=64), nullable=False)
    _seal_parties(ring)
    # After the batch operations: on SQLite they rebuild the table, which drops its triggers.
    appendonly.install(op.get_bind())


SEALED = ("id_number", "phone", "address")
PLAIN_TYPES = {"id_number": sa.String(length=18), "phone": sa.String(length=20),
               "address": sa.String(length=200)}


def _parties_table():
    return sa.table("parties", sa.column("id", sa.Integer),
                    *(sa.column(c, sa.Text) for c in SEALED),
                    sa.column("id_number_index", sa.String), sa.column("phone_index", sa.String))


def _seal_parties(ring) -> None:
    """Encrypt every existing 身份证号, phone and address; index ID number and phone."""
    from petition_flow.sealed import seal_value

    with op.batch_alter_table("parties") as batch_op:
        batch_op.drop_index("ix_parties_id_number")
        batch_op.drop_index("ix_parties_name_phone")
        for column in SEALED:
            batch_op.alter_column(column, existing_type=PLAIN_TYPES[column], type_=sa.Text())
        batch_op.add_column(sa.Column("id_number_index", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("phone_index", sa.String(length=32), nullable=True))
        batch_op.create_index("ix_parties_id_number_index", ["id_number_index"], unique=False)
        batch_op.create_index("ix_parties_name_phone_index", ["name", "phone_index"],
                              unique=False)
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("PRAGMA secure_delete=ON")  # freed pages keep no plaintext
    parties, last = _parties_table(), 0
    while True:
        rows = conn.execute(sa.select(parties).where(parties.c.id > last)
                            .order_by(parties.c.id).limit(BATCH)).all()
        if not rows:
            break
        for row in rows:
            values = {c: seal_value(f"parties.{c}", getattr(row, c), ring)
                      for c in SEALED if getattr(row, c) is not None}
            values["id_number_index"] = ring.blind_index("id_number", row.id_number) \
                if row.id_number is not None else None
            values["phone_index"] = ring.blind_index("phone", row.phone) \
                if row.phone is not None else None
            conn.execute(parties.update().where(parties.c.id == row.id).values(**values))
        last = rows[-1].id


def _unseal_parties() -> None:
    from petition_flow.keys import active
    from petition_flow.sealed import open_value

    ring, conn, parties = active(), op.get_bind(), _parties_table()
    for row in conn.execute(sa.select(parties)).all():
        conn.execute(parties.update().where(parties.c.id == row.id).values(**{
            c: open_value(f"parties.{c}", getattr(row, c), ring)
            for c in SEALED if getattr(row, c) is not None}))
    with op.batch_alter_table("parties") as batch_op:
        batch_op.drop_index("ix_parties_name_phone_index")
        batch_op.drop_index("ix_parties_id_number_index")
        batch_op.drop_column("phone_index")
        batch_op.drop_column("id_number_index")
        for column in SEALED:
            batch_op.alter_column(column, existing_type=sa.Text(), type_=PLAIN_TYPES[column])
        batch_op.create_index("ix_parties_name_phone", ["name", "phone"], unique=False)
        batch_op.create_index("ix_parties_id_number", ["id_number"], unique=False)


def _key_chain(conn, ring) -> None:
    from sqlalchemy.orm import Session

    from petition_flow import clock
    from petition_flow.services.actor import SYSTEM
    from petition_flow.services.audit import AuditBatch, verify_chain
    from petition_flow.services.chainseal import entry_mac, head_mac

    entries = sa.table("audit_entries", sa.column("seq", sa.Integer),
                       sa.column("hash", sa.String), sa.column("mac", sa.String))
    head = sa.table("audit_head", sa.column("id", sa.Integer), sa.column("seq", sa.Integer),
                    sa.column("hash", sa.String), sa.column("mac", sa.String))
    last = 0
    while True:
        rows = conn.execute(sa.select(entries.c.seq, entries.c.hash).where(
            entries.c.seq > last).order_by(entries.c.seq).limit(BATCH)).all()
        if not rows:
            break
        for row in rows:
            conn.execute(entries.update().where(entries.c.seq == row.seq)
                         .values(mac=entry_mac(row, ring)))
        last = rows[-1].seq
    current = conn.execute(sa.select(head.c.seq, head.c.hash).where(head.c.id == 1)).first()
    if current is None:
        return
    conn.execute(head.update().where(head.c.id == 1)
                 .values(mac=head_mac(current.seq, current.hash, ring)))
    with Session(bind=conn) as session:
        legacy = verify_chain(session, ring=None)
        batch = AuditBatch(SYSTEM, clock.now())
        batch.add("audit_chain_keyed", legacy_seq=current.seq, legacy_hash=current.hash,
                  legacy_verified=legacy.ok, legacy_result=legacy.message,
                  mac_algorithm=ring.mac_algorithm)
        batch.flush(session)
        session.flush()


def downgrade() -> None:
    appendonly.drop(op.get_bind())
    _unseal_parties()
    op.drop_table("audit_checkpoints")
    with op.batch_alter_table("audit_head") as batch_op:
        batch_op.drop_column("mac")
    with op.batch_alter_table("audit_entries") as batch_op:
        batch_op.drop_column("mac")
