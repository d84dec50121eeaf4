"""`petition-flow backup` while the system is written to, and `restore` (issue 12): a backup
restored into a fresh instance verifies and has the same counts; one older than the newest
checkpoint is refused unless the rollback is accepted, and then it is audited."""

from __future__ import annotations

import threading
import uuid

import pytest
from helpers import at
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from petition_flow import crypto, keys
from petition_flow.db import make_engine, make_session_factory
from petition_flow.models import AuditEntry, Case
from petition_flow.services.backup import (
    COUNTED,
    BackupError,
    backup,
    backup_keyring,
    read_manifest,
    restore,
)
from petition_flow.services.checkpoints import write_checkpoint
from petition_flow.services.evidence import verify_evidence


@pytest.fixture
def fresh_url(engine, tmp_path):
    """An empty database of the suite's kind, the target of a restore."""
    if engine.dialect.name == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh' / 'petition_flow.sqlite3'}"
        return
    url = make_url(engine.url.render_as_string(hide_password=False))
    name = f"{url.database}_fresh_{uuid.uuid4().hex[:6]}"
    admin = make_engine(url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _counts(url: str) -> dict:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {name: conn.execute(select(func.count()).select_from(model)).scalar_one()
                    for name, model in COUNTED.items()}
    finally:
        engine.dispose()


def _verified(url: str, checkpoints):
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            ring = keys.active()
            return verify_evidence(session, ring, checkpoints,
                                   crypto.load_public(ring.public_pem()))
    finally:
        engine.dispose()


def test_a_backup_taken_during_writes_restores_into_a_fresh_instance_verifying_with_equal_counts(
        cases, session, engine, world, tmp_path, fresh_url, monkeypatch, checkpoint_file):
    from petition_flow.services.petitions import register_petition

    cases.walk(["classify", "transfer"])
    write_checkpoint(session, at("2026-03-03"))
    session.rollback()
    stop, written, errors = threading.Event(), [], []

    def load():
        with make_session_factory(engine)() as s:
            reception = type(world)(s).actor("reception")
            while not stop.is_set():
                try:
                    register_petition(s, reception, at("2026-03-04"), cases.form())
                    written.append(1)
                except Exception as exc:  # noqa: BLE001 — reported below
                    errors.append(exc)
                    return

    writer = threading.Thread(target=load)
    writer.start()
    try:
        while len(written) < 3 and writer.is_alive():
            threading.Event().wait(0.05)
        before = len(written)
        made = backup(engine, tmp_path / "backups", at("2026-03-04", 12))
        threading.Event().wait(0.3)
    finally:
        stop.set()
        writer.join()
    assert not errors and before >= 3 and len(written) >= made.data["counts"]["cases"] - 1
    fresh_checkpoints = tmp_path / "fresh" / "audit-checkpoints.log"
    monkeypatch.setenv("PETITION_FLOW_CHECKPOINTS", str(fresh_checkpoints))
    restore(read_manifest(made.folder), fresh_url, keys.active(), at("2026-03-05"))
    assert _counts(fresh_url) == made.data["counts"]
    assert made.data["counts"]["cases"] >= 1 + before
    report = _verified(fresh_url, fresh_checkpoints)
    assert report.ok and report.checkpoints == 1, report.problems


def test_a_backup_older_than_the_newest_checkpoint_is_refused_unless_the_rollback_is_accepted(
        cases, session, engine, tmp_path, fresh_url, checkpoint_file):
    cases.walk(["classify"])
    session.rollback()
    old = backup(engine, tmp_path / "backups", at("2026-03-03"))
    cases.walk(["classify", "transfer"])
    point = write_checkpoint(session, at("2026-03-06"))
    session.rollback()
    manifest = read_manifest(old.folder)
    with pytest.raises(BackupError, match="早于本实例最新的第1个检查点"):
        restore(manifest, fresh_url, keys.active(), at("2026-03-07"))
    done = restore(manifest, fresh_url, keys.active(), at("2026-03-07"), accept_rollback=True)
    assert done.rolled_back_from == point.seq and done.archived.exists()
    target = make_engine(fresh_url)
    try:
        with make_session_factory(target)() as s:
            last = s.execute(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)
                             ).scalar_one()
            assert s.execute(select(func.count()).select_from(Case)).scalar_one() == 1
    finally:
        target.dispose()
    assert last.action == "backup_restored_with_rollback"
    assert last.details["lost_entries"] == point.seq - old.head_seq
    report = _verified(fresh_url, checkpoint_file)
    assert report.ok, report.problems


def test_a_backup_with_an_altered_file_is_refused(cases, session, engine, tmp_path, fresh_url):
    cases.register()
    session.rollback()
    made = backup(engine, tmp_path / "backups", at("2026-03-03"))
    with open(made.folder / "audit-public-key.pem", "a") as fh:
        fh.write("\n")
    with pytest.raises(BackupError, match="校验和不符"):
        read_manifest(made.folder)


def test_keys_are_in_a_backup_only_when_asked_and_only_under_the_passphrase(
        cases, session, engine, tmp_path):
    cases.register()
    session.rollback()
    plain = backup(engine, tmp_path / "a", at("2026-03-03"))
    assert not (plain.folder / "keys.sealed.json").exists()
    ring = keys.active()
    for secret in (ring.mac_key, ring.data_keys[ring.current]):
        assert all(secret.encode() not in f.read_bytes() for f in plain.folder.iterdir())
    sealed = backup(engine, tmp_path / "b", at("2026-03-03"), passphrase="正确的口令 2026")
    with pytest.raises(BackupError, match="口令不正确"):
        backup_keyring(read_manifest(sealed.folder), "wrong")
    assert backup_keyring(read_manifest(sealed.folder), "正确的口令 2026").as_json() == \
        ring.as_json()


def test_the_backup_and_restore_commands_say_what_they_did_and_refuse_in_chinese(
        cases, session, database_url, tmp_path, fresh_url, monkeypatch, checkpoint_file):
    from click.testing import CliRunner

    from petition_flow.cli import main

    cases.register()
    session.rollback()
    monkeypatch.setenv("PETITION_FLOW_DATABASE_URL", database_url)
    made = CliRunner().invoke(main, ["backup", str(tmp_path / "nightly")])
    assert made.exit_code == 0 and "备份完成" in made.output and "不含密钥" in made.output
    folder = next((tmp_path / "nightly").iterdir())
    cases.register()
    session.rollback()
    assert CliRunner().invoke(main, ["audit", "checkpoint"]).exit_code == 0
    monkeypatch.setenv("PETITION_FLOW_DATABASE_URL", fresh_url)
    refused = CliRunner().invoke(main, ["restore", str(folder)])
    assert refused.exit_code == 1 and "--accept-rollback" in refused.output
    accepted = CliRunner().invoke(main, ["restore", str(folder), "--accept-rollback"])
    assert accepted.exit_code == 0 and "已按 --accept-rollback 回滚" in accepted.output
    assert CliRunner().invoke(main, ["audit", "verify"]).exit_code == 0
