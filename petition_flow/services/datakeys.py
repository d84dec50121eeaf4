"""The keys against the database: a clear Chinese error at start when they are lost or not
this database's, and ``petition-flow keys rotate`` (issue 12).

Rotation adds a data-encryption key, makes it current (new writes use it at once; running
processes re-read the key file within a second) and re-encrypts the parties still under older
keys in batches of one transaction each, so the system stays up and an interrupted rotation
resumes where it stopped: a rerun picks the rows not yet under the current key. Old keys stay
in the key file (backups without keys still need them).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import crypto, keys
from ..db import write_transaction
from ..models import AuditHead
from ..sealed import key_id_of, open_value, seal_value
from .chainseal import head_mac_ok

SEALED = ("id_number", "phone", "address")
PARTIES = sa.table("parties", sa.column("id", sa.Integer), *(sa.column(c, sa.Text) for c in SEALED))


def check_keys(session: Session) -> keys.Keyring:
    """The instance's keyring, if it is the one this database was written with."""
    ring = keys.active()
    head = session.get(AuditHead, 1)
    if head is not None and head.mac is not None and not head_mac_ok(head, ring):
        raise keys.KeysError("审计密钥与数据库不符：审计链不是用当前密钥文件中的密钥保护的。"
                             "请确认 PETITION_FLOW_KEY_FILE 指向本系统的密钥文件。")
    row = session.execute(sa.select(PARTIES).where(sa.or_(
        *(PARTIES.c[c].is_not(None) for c in SEALED))).limit(1)).first()
    session.rollback()
    if row is not None:
        column = next(c for c in SEALED if getattr(row, c) is not None)
        open_value(f"parties.{column}", getattr(row, column), ring)  # KeysError if not ours
    return ring


def _stale(ring: keys.Keyring):
    prefix = f"{ring.current}:"
    return sa.or_(*(sa.and_(PARTIES.c[c].is_not(None), ~PARTIES.c[c].startswith(prefix))
                    for c in SEALED))


def pending(session: Session, ring: keys.Keyring) -> int:
    count = session.execute(sa.select(sa.func.count()).select_from(PARTIES)
                            .where(_stale(ring))).scalar_one()
    session.rollback()
    return count


@dataclass
class Rotation:
    key_id: str
    new_key: bool
    rows: int = 0
    batches: int = 0


def rotate(session: Session, *, batch: int = 500, settle: float = 2.0,
           progress: Callable[[Rotation, int], None] | None = None) -> Rotation:
    """Start a rotation (or resume an unfinished one) and re-encrypt until none is left."""
    if keys.pinned() is None and os.environ.get("PETITION_FLOW_KEYS"):
        raise keys.KeysError("密钥来自环境变量 PETITION_FLOW_KEYS，无法写入新密钥；"
                             "请改用密钥文件（PETITION_FLOW_KEY_FILE）后再轮换。")
    ring = keys.pinned() or keys.load()
    job = Rotation(ring.current, False)
    if not pending(session, ring):
        job.key_id = f"k{max(int(k[1:]) for k in ring.data_keys) + 1}"
        ring.data_keys[job.key_id] = crypto.new_key(crypto.AEAD_ALGORITHMS[ring.aead])
        ring.current, job.new_key = job.key_id, True
        if keys.pinned() is None:
            ring.save(keys.key_file_path())
            keys.forget()
    switched = time.monotonic()
    while True:
        done = _batch(session, ring, batch)
        job.rows += done
        job.batches += bool(done)
        if progress and done:
            progress(job, pending(session, ring))
        if done:
            continue
        # A process that read the key file just before the switch may still write one
        # row under the old key for up to a second: look once more after that.
        wait = settle - (time.monotonic() - switched)
        if wait <= 0:
            return job
        time.sleep(wait)
        switched = time.monotonic() - settle


def _batch(session: Session, ring: keys.Keyring, size: int) -> int:
    with write_transaction(session):
        rows = session.execute(sa.select(PARTIES).where(_stale(ring)).order_by(PARTIES.c.id)
                               .limit(size)).all()
        for row in rows:
            values = {c: seal_value(f"parties.{c}",
                                    open_value(f"parties.{c}", getattr(row, c), ring), ring)
                      for c in SEALED
                      if getattr(row, c) is not None and key_id_of(getattr(row, c)) != ring.current}
            session.execute(PARTIES.update().where(PARTIES.c.id == row.id).values(**values))
    return len(rows)
