"""`petition-flow audit checkpoint` and `audit verify`, also as an outside inspector holding
only copies of the database, the checkpoint file and the public key; and the upgrade that
keys an existing chain."""

from __future__ import annotations

import shutil

from click.testing import CliRunner
from helpers import as_database_admin, at
from sqlalchemy import delete, insert, select, update

from petition_flow import keys
from petition_flow.cli import main
from petition_flow.db import make_engine, make_session_factory
from petition_flow.migrate import upgrade
from petition_flow.models import AuditCheckpoint, AuditEntry, AuditHead, Party
from petition_flow.services.audit import GENESIS, chain_hash, verify_chain


def run(database_url, monkeypatch, *args):
    monkeypatch.setenv("PETITION_FLOW_DATABASE_URL", database_url)
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_an_inspector_without_the_mac_key_verifies_the_checkpoints_and_finds_a_rollback(
        cases, session, database_url, monkeypatch, tmp_path, checkpoint_file):
    cases.walk(["classify", "transfer"])
    session.expire_all()
    early = session.get(AuditHead, 1)
    early = (early.seq, early.hash, early.mac)
    session.rollback()
    cases.walk(["classify"])
    session.rollback()
    made = run(database_url, monkeypatch, "audit", "checkpoint")
    assert made.exit_code == 0 and "已写入第1个检查点" in made.output
    assert run(database_url, monkeypatch, "audit", "export-key",
               str(tmp_path / "pub.pem")).exit_code == 0
    ok = run(database_url, monkeypatch, "audit", "verify")
    assert ok.exit_code == 0 and "审计链完整" in ok.output and "检查点1个全部相符" in ok.output

    copy = tmp_path / "copy.log"
    shutil.copy(checkpoint_file, copy)
    monkeypatch.setenv("PETITION_FLOW_KEY_FILE", str(tmp_path / "no-such-keys.json"))
    monkeypatch.delenv("PETITION_FLOW_KEYS", raising=False)
    keys.forget()
    try:
        args = ("audit", "verify", "--checkpoints", str(copy), "--public-key",
                str(tmp_path / "pub.pem"))
        inspected = run(database_url, monkeypatch, *args)
        assert inspected.exit_code == 0, inspected.output
        assert "未提供审计密钥" in inspected.output and "全部相符" in inspected.output
        as_database_admin(session)  # roll the database back to the earlier state
        session.execute(delete(AuditEntry).where(AuditEntry.seq > early[0]))
        session.execute(delete(AuditCheckpoint))
        session.execute(update(AuditHead).values(seq=early[0], hash=early[1], mac=early[2]))
        session.commit()
        rolled = run(database_url, monkeypatch, *args)
        assert rolled.exit_code == 1 and "数据库被回滚" in rolled.output
    finally:
        monkeypatch.undo()
        keys.forget()


def test_audit_verify_without_keys_says_in_chinese_that_the_key_is_missing(
        database_url, monkeypatch, tmp_path, session):
    monkeypatch.setenv("PETITION_FLOW_KEY_FILE", str(tmp_path / "lost.json"))
    keys.forget()
    try:
        result = run(database_url, monkeypatch, "audit", "verify")
    finally:
        monkeypatch.undo()
        keys.forget()
    assert result.exit_code == 1 and "找不到密钥" in result.output
    assert "切勿重新生成" in result.output


def test_upgrading_keys_an_existing_chain_encrypts_existing_parties_and_records_it(tmp_path, monkeypatch):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    monkeypatch.setenv("PETITION_FLOW_KEY_FILE", str(tmp_path / "instance" / "keys.json"))
    keys.forget()
    try:
        upgrade(engine, "0005_bench_indexes")
        prev = GENESIS
        with engine.begin() as conn:
            for seq in range(1, 6):  # a pre-0006 chain: SHA-256 only
                row = AuditEntry(seq=seq, at=at("2026-03-02"), actor_username="system",
                                 actor_role="system", action="test", details={"n": seq},
                                 case_id=None, actor_user_id=None, actor_unit_id=None,
                                 from_state=None, to_state=None)
                before, prev = prev, chain_hash(prev, row)
                conn.execute(insert(AuditEntry.__table__).values(
                    seq=seq, at=row.at, actor_username="system", actor_role="system",
                    action="test", details={"n": seq}, prev_hash=before, hash=prev))
            conn.exec_driver_sql(f"INSERT INTO audit_head (id, seq, hash) VALUES (1, 5, '{prev}')")
        import sqlite3

        plain = ("610326195501010012", "13912345678", "眉县首善街道某村3组")
        raw = sqlite3.connect(tmp_path / "old.sqlite3")
        for table in ("regions", "units", "cases"):  # the least rows a party may belong to
            cols = [c for c in raw.execute(f"PRAGMA table_info({table})") if c[3] and not c[5]]
            raw.execute(f"INSERT INTO {table} (id, {', '.join(c[1] for c in cols)}) VALUES "
                        f"(99, {', '.join('99' for _ in cols)})")
        raw.execute("INSERT INTO parties (id, case_id, name, id_number, phone, address, "
                    "representative) VALUES (1, 99, '王建国', ?, ?, ?, 0)", plain)
        raw.commit()
        raw.close()
        assert not (tmp_path / "instance" / "keys.json").exists()
        upgrade(engine)
        assert (tmp_path / "instance" / "keys.json").exists()
        assert (tmp_path / "instance" / "keys.json").stat().st_mode & 0o077 == 0
        with make_session_factory(engine)() as session:
            result = verify_chain(session)
            last = session.execute(select(AuditEntry).order_by(AuditEntry.seq.desc())
                                   .limit(1)).scalar_one()
            party = session.get(Party, 1)
            assert (party.id_number, party.phone, party.address) == plain
            assert party.id_number_index == keys.active().blind_index("id_number", plain[0])
        assert result.ok and result.checked == 6, result.message
        with engine.connect() as conn:
            stored = conn.exec_driver_sql("SELECT id_number, address FROM parties").one()
        assert all(v.startswith("k1:") for v in stored)
        engine.dispose()
        done = sqlite3.connect(tmp_path / "old.sqlite3")
        done.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        done.close()
        data = b"".join(f.read_bytes() for f in tmp_path.iterdir() if f.name.startswith("old."))
        assert not [v for v in plain if v.encode() in data]
        assert last.action == "audit_chain_keyed"
        assert (last.details["legacy_seq"], last.details["legacy_verified"]) == (5, True)
    finally:
        monkeypatch.undo()
        keys.forget()
        engine.dispose()
