"""Evidence that holds up (issue 12): whoever can write the database cannot rewrite, cut
short or roll back the audit log unnoticed — the keyed chain and the signed checkpoints
outside the database name each kind of tampering — and the database refuses the edits."""

from __future__ import annotations

import pytest
from helpers import as_database_admin, at
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DatabaseError

from petition_flow import crypto, keys
from petition_flow.models import AuditCheckpoint, AuditEntry, AuditHead
from petition_flow.services.audit import GENESIS, chain_hash
from petition_flow.services.checkpoints import read_lines, write_checkpoint
from petition_flow.services.evidence import verify_evidence

BASE = ["classify", "transfer", "accept", "reply"]


def _verify(session, path, *, ring="active"):
    session.expire_all()
    ring = keys.active() if ring == "active" else ring
    public = crypto.load_public(keys.active().public_pem())
    report = verify_evidence(session, ring, path, public)
    session.rollback()
    return report


def _text(report) -> str:
    return " ".join([report.chain.message, *report.problems])


def _logged(cases, session, checkpoint_file, walks: int = 2) -> int:
    """A realistic log with a checkpoint after each case; returns the chain's length."""
    for _ in range(walks):
        cases.walk(BASE)
        write_checkpoint(session, at("2026-04-01"), path=checkpoint_file)
    session.expire_all()
    return session.get(AuditHead, 1).seq


def test_an_untouched_log_with_its_checkpoints_verifies(cases, session, checkpoint_file):
    total = _logged(cases, session, checkpoint_file)
    report = _verify(session, checkpoint_file)
    assert report.ok, _text(report)
    assert report.chain.checked == total and report.checkpoints == 2
    assert "全部相符" in " ".join(report.notes)


def test_the_database_refuses_to_update_or_delete_audit_entries(cases, session):
    cases.register()
    for statement in ("UPDATE audit_entries SET actor_username = 'mallory' WHERE seq = 1",
                      "DELETE FROM audit_entries WHERE seq = 1"):
        with pytest.raises(DatabaseError, match="审计记录只能追加"):
            session.execute(text(statement))
        session.rollback()
    assert session.execute(select(AuditEntry.actor_username).where(AuditEntry.seq == 1)
                           ).scalar_one() != "mallory"


def test_the_database_refuses_to_update_or_delete_checkpoints(cases, session,
                                                              checkpoint_file):
    cases.register()
    write_checkpoint(session, at("2026-04-01"), path=checkpoint_file)
    for statement in ("UPDATE audit_checkpoints SET seq = 1", "DELETE FROM audit_checkpoints"):
        with pytest.raises(DatabaseError, match="审计记录只能追加"):
            session.execute(text(statement))
        session.rollback()
    if session.get_bind().dialect.name == "postgresql":
        with pytest.raises(DatabaseError, match="审计记录只能追加"):
            session.execute(text("TRUNCATE audit_entries, audit_checkpoints CASCADE"))
        session.rollback()
    assert session.execute(select(AuditCheckpoint)).scalars().all()


def test_a_tail_deleted_and_the_head_moved_back_is_named(cases, session, checkpoint_file):
    total = _logged(cases, session, checkpoint_file, walks=1)
    cases.walk(BASE)  # after the last checkpoint: only the head's MAC can tell
    session.expire_all()
    new_total = session.get(AuditHead, 1).seq
    as_database_admin(session)
    session.execute(delete(AuditEntry).where(AuditEntry.seq > total))
    last = session.get(AuditEntry, total)
    session.execute(update(AuditHead).values(seq=total, hash=last.hash, mac=last.mac))
    session.commit()
    report = _verify(session, checkpoint_file)
    assert not report.ok and new_total > total
    assert "末尾记录被删除后链尾被移回" in report.chain.message


def test_a_tail_deleted_behind_a_checkpoint_is_named_even_with_a_forged_head(
        cases, session, checkpoint_file):
    total = _logged(cases, session, checkpoint_file)
    as_database_admin(session)
    session.execute(delete(AuditEntry).where(AuditEntry.seq > total - 5))
    last = session.get(AuditEntry, total - 5)
    session.execute(update(AuditHead).values(seq=last.seq, hash=last.hash, mac=last.mac))
    session.commit()
    report = _verify(session, checkpoint_file)
    assert not report.ok
    assert any(f"审计链已有{total}条记录，数据库中只有{total - 5}条" in p for p in report.problems)


def _rewrite_without_reveals(session, start_seq: int) -> None:
    """What an attacker with the database and the project's code (no MAC key) can do:
    drop entries, renumber the rest and recompute every hash and the head."""
    as_database_admin(session)
    rows = session.execute(select(AuditEntry).where(AuditEntry.seq >= start_seq)
                           .order_by(AuditEntry.seq)).scalars().all()
    kept = [r for r in rows if r.seq != start_seq]  # the entry to hide
    data = [{c.name: getattr(r, c.key) for c in AuditEntry.__table__.columns} for r in kept]
    session.execute(delete(AuditEntry).where(AuditEntry.seq >= start_seq))
    session.flush()
    prev = session.get(AuditEntry, start_seq - 1).hash if start_seq > 1 else GENESIS
    for seq, values in enumerate(data, start=start_seq):
        entry = AuditEntry(**{**values, "seq": seq, "prev_hash": prev, "hash": "x" * 64})
        entry.hash = prev = chain_hash(prev, entry)
        session.add(entry)
        session.flush()
    session.execute(update(AuditHead).values(seq=start_seq + len(data) - 1, hash=prev))
    session.commit()


def test_a_chain_rewritten_with_the_projects_own_functions_is_named(cases, session,
                                                                    checkpoint_file):
    _logged(cases, session, checkpoint_file)
    _rewrite_without_reveals(session, 6)
    report = _verify(session, checkpoint_file)
    assert not report.ok
    assert report.chain.bad_seq == 6 and "审计链被改写" in report.chain.message
    assert any("审计链被改写" in p and "签名的哈希不符" in p for p in report.problems)


def test_without_the_mac_key_an_inspector_still_finds_a_rewrite_behind_a_checkpoint(
        cases, session, checkpoint_file):
    _logged(cases, session, checkpoint_file)
    assert _verify(session, checkpoint_file, ring=None).ok
    _rewrite_without_reveals(session, 6)
    report = _verify(session, checkpoint_file, ring=None)
    assert report.chain.ok  # the unkeyed chain was recomputed consistently
    assert not report.ok and any("签名的哈希不符" in p for p in report.problems)


def test_a_database_restored_from_a_copy_older_than_a_checkpoint_is_named(
        cases, session, checkpoint_file):
    cases.walk(BASE)
    session.expire_all()
    old = session.get(AuditHead, 1)
    old_head = (old.seq, old.hash, old.mac)  # a genuine earlier state: its MACs are valid
    _logged(cases, session, checkpoint_file)
    as_database_admin(session)
    session.execute(delete(AuditEntry).where(AuditEntry.seq > old_head[0]))
    session.execute(delete(AuditCheckpoint))
    session.execute(update(AuditHead).values(seq=old_head[0], hash=old_head[1], mac=old_head[2]))
    session.commit()
    report = _verify(session, checkpoint_file)
    assert report.chain.ok  # nothing inside the database shows it
    assert not report.ok and any("数据库被回滚" in p for p in report.problems)


def test_an_edited_checkpoint_file_is_named(cases, session, checkpoint_file):
    _logged(cases, session, checkpoint_file)
    lines = read_lines(checkpoint_file)
    lines[0] = lines[0].replace('"seq":', '"seq":1', 1)
    checkpoint_file.write_text("\n".join(lines) + "\n", "utf-8")
    report = _verify(session, checkpoint_file)
    assert not report.ok and any("第1行签名无效" in p for p in report.problems)


def test_a_checkpoint_file_cut_short_is_named(cases, session, checkpoint_file):
    _logged(cases, session, checkpoint_file)
    lines = read_lines(checkpoint_file)
    checkpoint_file.write_text(lines[0] + "\n", "utf-8")
    report = _verify(session, checkpoint_file)
    assert not report.ok and any("检查点文件末尾被截断" in p for p in report.problems)


def test_a_checkpoint_removed_from_the_middle_of_the_file_is_named(cases, session,
                                                                   checkpoint_file):
    _logged(cases, session, checkpoint_file, walks=3)
    lines = read_lines(checkpoint_file)
    checkpoint_file.write_text(lines[0] + "\n" + lines[2] + "\n", "utf-8")
    report = _verify(session, checkpoint_file)
    assert not report.ok and any("之前的行被删除" in p for p in report.problems)


def test_the_scheduler_job_signs_the_head_only_when_it_has_moved(cases, session,
                                                                 checkpoint_file):
    cases.register()
    first = write_checkpoint(session, at("2026-04-01"), only_if_moved=True)
    again = write_checkpoint(session, at("2026-04-01", 11), only_if_moved=True)
    cases.register()
    moved = write_checkpoint(session, at("2026-04-01", 12), only_if_moved=True)
    assert first is not None and again is None and moved.n == 2 and moved.seq > first.seq
    assert len(read_lines(checkpoint_file)) == 2


def test_the_readmes_postgresql_role_may_append_to_the_log_but_not_change_it(
        cases, session, engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("roles and grants are PostgreSQL's; SQLite has the triggers only")
    cases.register()
    session.commit()
    role = "petition_app_test"
    # One connection of its own, thrown away at the end: a pooled connection must never
    # keep the role.
    conn = engine.connect()
    try:
        for statement in (  # the README's grant, for a role of its own
                f"DROP ROLE IF EXISTS {role}", f"CREATE ROLE {role}",
                f"GRANT USAGE ON SCHEMA public TO {role}",
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
                f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_entries, audit_checkpoints FROM {role}",
                f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"):
            conn.execute(text(statement))
        conn.commit()
        for statement in ("UPDATE audit_entries SET actor_username = 'mallory'",
                          "DELETE FROM audit_entries",
                          "DROP TRIGGER audit_entries_append_only ON audit_entries"):
            conn.execute(text(f"SET LOCAL ROLE {role}"))
            with pytest.raises(DatabaseError, match="permission denied|must be owner"):
                conn.execute(text(statement))
            conn.rollback()
        conn.execute(text(f"SET LOCAL ROLE {role}"))
        conn.execute(text(  # appending is allowed (rolled back: not a valid chain entry)
            "INSERT INTO audit_entries (seq, at, actor_username, actor_role, action, details, "
            "prev_hash, hash, mac) SELECT max(seq) + 1, now(), 'x', 'x', 'x', '{}', 'x', 'y', 'z' "
            "FROM audit_entries"))
        conn.rollback()
        conn.execute(text(f"DROP OWNED BY {role}"))
        conn.execute(text(f"DROP ROLE {role}"))
        conn.commit()
    finally:
        conn.invalidate()
        conn.close()
