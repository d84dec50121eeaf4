"""The append-only audit log, chained by SHA-256 and keyed by HMAC (services/chainseal.py).

Each entry's hash covers a canonical JSON form of the entry and the previous
hash, so altering, deleting or reordering any entry breaks the chain from that
point on. Appends are serialised by locking the single ``audit_head`` row
(SELECT … FOR UPDATE on PostgreSQL; SQLite transactions already begin
IMMEDIATE), so concurrent writers extend one chain without forks or gaps.
Entries are collected during a use case and written just before its commit.

Lock order (db.py): every audited write transaction takes the chain lock as its first
statement (BEGIN IMMEDIATE on SQLite, the ``CHAIN_LOCK`` advisory lock on PostgreSQL, both
in ``db.begin_write``), then its case and clock rows, and the ``audit_head`` row last, here.
So the head row is never contended, and a writer waiting for the chain holds no row another
writer needs: the case-row / audit_head / foreign-key-check deadlock cannot form.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from ..models import AuditEntry, AuditHead
from .actor import Actor
from .chainseal import entry_mac, entry_mac_ok, head_mac, head_mac_ok

GENESIS = "0" * 64


def _jsonable(details: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(details, ensure_ascii=False, default=str))


def canonical(entry: AuditEntry) -> str:
    body = {
        "seq": entry.seq, "at": entry.at.astimezone(UTC).isoformat(), "case_id": entry.case_id,
        "actor_user_id": entry.actor_user_id, "actor_username": entry.actor_username,
        "actor_unit_id": entry.actor_unit_id, "actor_role": entry.actor_role,
        "action": entry.action, "from_state": entry.from_state, "to_state": entry.to_state,
        "details": entry.details,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def chain_hash(prev_hash: str, entry: AuditEntry) -> str:
    return hashlib.sha256(f"{prev_hash}\n{canonical(entry)}".encode()).hexdigest()


@dataclass
class AuditBatch:
    """Entries of one use case, written together by ``flush`` in its transaction."""

    actor: Actor
    now: datetime
    entries: list[dict[str, Any]] = field(default_factory=list)
    # (entry, detail name, object): the object's id, known once the session has flushed it,
    # goes into the entry's details before it is hashed (a notice names its own row).
    ids_after_flush: list[tuple[dict[str, Any], str, Any]] = field(default_factory=list)

    def add(self, action: str, *, case_id: int | None = None, from_state: str | None = None,
            to_state: str | None = None, **details: Any) -> dict[str, Any]:
        entry = dict(action=action, case_id=case_id, from_state=from_state,
                     to_state=to_state, details=_jsonable(details))
        self.entries.append(entry)
        return entry

    def id_after_flush(self, entry: dict[str, Any], name: str, obj: Any) -> None:
        """Record ``obj.id`` as ``name`` in ``entry`` once the flush has given it one."""
        self.ids_after_flush.append((entry, name, obj))

    def flush(self, session: Session) -> None:
        """Chain and write the entries: one read of the head, one multi-row INSERT, one
        UPDATE of the head, in Core (no ORM object per entry to track, issue 18)."""
        if not self.entries:
            return
        session.flush()  # case ids must exist before entries refer to them
        for entry, name, obj in self.ids_after_flush:
            entry["details"] = {**entry["details"], name: obj.id}
        self.ids_after_flush.clear()
        conn = session.connection()
        head = conn.execute(_HEAD_FOR_UPDATE).first()
        seq, prev = (head.seq, head.hash) if head is not None else (0, GENESIS)
        rows = []
        for item in self.entries:
            if self.actor.address and "remote_addr" not in item["details"]:
                item = {**item, "details": {**item["details"], "remote_addr": self.actor.address}}
            seq += 1
            row = dict(seq=seq, at=self.now, actor_user_id=self.actor.user_id,
                       actor_username=self.actor.username, actor_unit_id=self.actor.unit_id,
                       actor_role=self.actor.role, prev_hash=prev, **item)
            entry = SimpleNamespace(**row)
            row["hash"] = entry.hash = chain_hash(prev, entry)
            row["mac"] = entry_mac(entry)
            rows.append(row)
            prev = row["hash"]
        conn.execute(insert(AuditEntry.__table__), rows)
        values = dict(seq=seq, hash=prev, mac=head_mac(seq, prev))
        if head is None:
            conn.execute(insert(AuditHead.__table__), {"id": 1, **values})
        else:
            conn.execute(update(AuditHead.__table__).where(AuditHead.id == 1), values)
        _refresh_loaded_head(session, values)
        self.entries.clear()


_HEAD_FOR_UPDATE = (select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)
                    .with_for_update())


def _refresh_loaded_head(session: Session, values: dict[str, Any]) -> None:
    """A head row this session read earlier (a check, a backup) shows the new head too."""
    loaded = session.identity_map.get(session.identity_key(AuditHead, 1))
    if loaded is not None:
        for name, value in values.items():
            set_committed_value(loaded, name, value)


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    bad_seq: int | None = None
    message: str = ""


ACTIVE_KEYS: Any = object()  # verify_chain's default: the MACs under this instance's keys


def verify_chain(session: Session, batch_size: int = 5000, ring: Any = ACTIVE_KEYS
                 ) -> VerifyResult:
    """Walk the whole chain; name the first entry that was altered, deleted or reordered.

    With a keyring (by default this instance's) every entry's and the head's MAC is checked
    too; ``ring=None`` checks the unkeyed chain only (an inspector without the MAC key)."""
    if ring is ACTIVE_KEYS:
        from ..keys import active

        ring = active()
    result = session.execute(
        select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=batch_size)
    )
    try:
        return _walk(session, result.scalars(), ring)
    finally:
        result.close()  # a server-side cursor (PostgreSQL) must not outlive an early return


def _walk(session: Session, rows, ring) -> VerifyResult:
    expected_seq, prev, checked = 1, GENESIS, 0
    for entry in rows:
        if entry.seq != expected_seq:
            return VerifyResult(False, checked, expected_seq,
                                f"第{expected_seq}条审计记录缺失（被删除或顺序被改动）。")
        if entry.prev_hash != prev:
            return VerifyResult(False, checked, entry.seq,
                                f"第{entry.seq}条审计记录的前序哈希不符（其前的记录被删除、插入或调换）。")
        if chain_hash(prev, entry) != entry.hash:
            return VerifyResult(False, checked, entry.seq,
                                f"第{entry.seq}条审计记录的内容被篡改（哈希不符）。")
        if ring is not None and not entry_mac_ok(entry, ring):
            return VerifyResult(False, checked, entry.seq,
                                f"第{entry.seq}条审计记录的密钥校验码不符：自该条起审计链被改写"
                                "（删除或改动记录后用不含密钥的哈希重新计算），或所用审计密钥不是本系统的。")
        prev, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    head = session.get(AuditHead, 1)
    last = expected_seq - 1
    if head is not None and (head.seq != last or head.hash != prev):
        return VerifyResult(False, checked, last + 1,
                            f"链尾应为第{head.seq}条，实际只到第{last}条：末尾记录被删除。")
    if ring is not None and head is not None and not head_mac_ok(head, ring):
        return VerifyResult(False, checked, last,
                            f"链尾（第{head.seq}条）的密钥校验码不符：末尾记录被删除后链尾被移回。")
    return VerifyResult(True, checked, None, f"审计链完整，共校验{checked}条记录。")
