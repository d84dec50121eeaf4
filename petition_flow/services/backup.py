"""``petition-flow backup`` and ``restore`` (等保 数据备份恢复; issue 12).

A backup is a folder: a consistent copy of the database taken while the system runs (SQLite's
online backup API; ``pg_dump`` on an exported snapshot for PostgreSQL), the checkpoint file,
the public key and a signed ``manifest.json`` (time, chain head, row counts, SHA-256 of each
file). The keys are in it only when asked for, sealed with a passphrase (scrypt +
AES-256-GCM). The checkpoint file is locked meanwhile, so the copy and the database agree.

A restore refuses a backup whose files or manifest do not check, whose chain does not verify,
or which is older than the newest checkpoint of the instance it is restored into (the audit
entries after it would silently vanish) — unless ``accept_rollback``: then the rollback is
written into the restored chain, the checkpoints beyond the backup are moved aside to a
dated file (kept, not deleted) and a fresh checkpoint signs the restored head.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine, make_url

from .. import crypto, keys
from ..db import make_engine, make_session_factory
from ..errors import PetitionFlowError
from ..models import AuditCheckpoint, AuditEntry, AuditHead, Case, Party, User
from .actor import SYSTEM
from .audit import AuditBatch, verify_chain
from .checkpoints import locked_file, parse_line, read_lines, write_checkpoint

COUNTED = {"cases": Case, "parties": Party, "users": User, "audit_entries": AuditEntry,
           "audit_checkpoints": AuditCheckpoint}
SQLITE_FILE, PG_FILE = "database.sqlite3", "database.pgdump"
CHECKPOINTS, PUBLIC_KEY, KEYS, MANIFEST = ("audit-checkpoints.log", "audit-public-key.pem",
                                           "keys.sealed.json", "manifest.json")


class BackupError(PetitionFlowError):
    code = "backup"


@dataclass
class Manifest:
    folder: Path
    data: dict = field(default_factory=dict)

    @property
    def head_seq(self) -> int:
        return self.data["head"]["seq"]


def _libpq(url) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _facts(conn) -> dict:
    """Head and counts, read in the transaction of ``conn`` (the backup's snapshot)."""
    head = conn.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).first()
    counts = {name: conn.execute(select(func.count()).select_from(model)).scalar_one()
              for name, model in COUNTED.items()}
    revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    return {"head": {"seq": head.seq if head else 0, "hash": head.hash if head else None},
            "counts": counts, "revision": revision}


def _signed_text(data: dict) -> str:
    return json.dumps({k: v for k, v in data.items() if k != "signature"}, sort_keys=True,
                      ensure_ascii=False, separators=(",", ":"))


def backup(engine: Engine, dest: Path, now: datetime, *, passphrase: str | None = None
           ) -> Manifest:
    """Copy the database, checkpoints and public key into a new folder under ``dest``."""
    ring = keys.active()
    folder = Path(dest) / f"petition-flow-backup-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    if folder.exists():
        folder = folder.with_name(folder.name + f"-{uuid.uuid4().hex[:6]}")
    folder.mkdir(parents=True)
    source = keys.checkpoint_path()
    with locked_file(source):  # no checkpoint is written while the copies are taken
        if engine.dialect.name == "sqlite":
            facts = _backup_sqlite(engine, folder / SQLITE_FILE)
        else:
            facts = _backup_postgres(engine, folder / PG_FILE)
        shutil.copyfile(source, folder / CHECKPOINTS)
    (folder / PUBLIC_KEY).write_text(ring.public_pem(), "utf-8")
    if passphrase:
        sealed = crypto.seal_with_passphrase(passphrase, json.dumps(ring.as_json()))
        (folder / KEYS).write_text(json.dumps(sealed), "utf-8")
        os.chmod(folder / KEYS, 0o600)
    data = {"format": 1, "created_at": now.astimezone(UTC).isoformat(timespec="seconds"),
            "database": engine.dialect.name, **facts, "with_keys": bool(passphrase),
            "files": {p.name: _sha256(p) for p in sorted(folder.iterdir())}}
    data["signature"] = crypto.sign(ring.signing_key, _signed_text(data))
    (folder / MANIFEST).write_text(json.dumps(data, ensure_ascii=False, indent=2), "utf-8")
    return Manifest(folder, data)


def _backup_sqlite(engine: Engine, target: Path) -> dict:
    source = sqlite3.connect(engine.url.database, timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)  # the online backup API: one consistent snapshot, writers go on
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        copy.close()
        source.close()
    scratch = create_engine(f"sqlite:///{target}")
    try:
        with scratch.connect() as conn:
            return _facts(conn)
    finally:
        scratch.dispose()


def _backup_postgres(engine: Engine, target: Path) -> dict:
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        facts = _facts(conn)
        _run(["pg_dump", "--format=custom", "--no-owner", f"--snapshot={snapshot}",
              f"--file={target}", f"--dbname={_libpq(engine.url)}"], "pg_dump")
        conn.rollback()
    return facts


def _run(args: list[str], tool: str) -> None:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=3600)
    except FileNotFoundError:
        raise BackupError(f"找不到 {tool}：请安装与数据库服务器版本一致的 PostgreSQL 客户端工具。") from None
    if done.returncode != 0:
        raise BackupError(f"{tool} 执行失败：{done.stderr.strip()[:500]}")


# --- restore -------------------------------------------------------------------------------

def read_manifest(folder: Path) -> Manifest:
    try:
        data = json.loads((folder / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        raise BackupError(f"{folder} 不是有效的备份：缺少或无法读取 {MANIFEST}。") from None
    for name, digest in data.get("files", {}).items():
        path = folder / name
        if not path.exists() or _sha256(path) != digest:
            raise BackupError(f"备份文件 {name} 缺失或校验和不符（被改动或损坏），拒绝恢复。")
    return Manifest(folder, data)


def backup_keyring(manifest: Manifest, passphrase: str) -> keys.Keyring:
    try:
        blob = json.loads((manifest.folder / KEYS).read_text("utf-8"))
    except (OSError, ValueError):
        raise BackupError("该备份不含密钥（备份时未使用 --with-keys）。") from None
    try:
        return keys.Keyring.from_json(json.loads(crypto.open_with_passphrase(passphrase, blob)))
    except crypto.DecryptionError:
        raise BackupError("口令不正确，无法解开备份中的密钥。") from None


@dataclass
class Restored:
    manifest: Manifest
    rolled_back_from: int | None = None  # the newest checkpoint's seq, when rolled back
    archived: Path | None = None


def restore_keyring(manifest: Manifest, passphrase: str | None) -> keys.Keyring:
    """The keys to restore with: the backup's (with a passphrase), else this instance's; the
    backup's are written to the key file when the instance has none."""
    if passphrase is None:
        return keys.active()
    ring = backup_keyring(manifest, passphrase)
    if not keys.exists():
        ring.save(keys.key_file_path())
        keys.export_public_key(ring)
        keys.forget()
    elif keys.load().as_json() != ring.as_json():
        raise BackupError(f"本实例已有与备份不同的密钥（{keys.key_file_path()}）；为免覆盖，请先移走该文件再恢复。")
    return ring


def restore(manifest: Manifest, target_url: str, ring: keys.Keyring, now: datetime, *,
            accept_rollback: bool = False) -> Restored:
    """Verify ``manifest``'s backup with ``ring`` and put it in place of ``target_url``."""
    public = crypto.load_public(ring.public_pem())
    if not crypto.verify_signature(public, _signed_text(manifest.data),
                                   manifest.data.get("signature", "")):
        raise BackupError("备份清单的签名无效：清单被改动，或备份不是用本系统的密钥制作的。")
    live = keys.checkpoint_path()
    points = [p for p in (parse_line(line, public) for line in read_lines(live)) if p]
    with keys.using(ring):
        scratch_url, cleanup = _scratch_copy(manifest, target_url)
        try:
            newest = _check_scratch(scratch_url, ring, points, manifest, accept_rollback)
            _put_in_place(manifest, scratch_url, target_url)
        finally:
            cleanup()
        result = Restored(manifest)
        if not read_lines(live) and (manifest.folder / CHECKPOINTS).exists():
            live.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(manifest.folder / CHECKPOINTS, live)  # a fresh instance
        if newest is not None and newest.seq > manifest.head_seq:
            result.rolled_back_from, result.archived = newest.seq, _set_aside(live, public,
                                                                              target_url, now)
            _record_rollback(target_url, manifest, newest, result.archived, now)
    return result


def _scratch_copy(manifest: Manifest, target_url: str):
    if manifest.data["database"] == "sqlite":
        target = Path(make_url(target_url).database)
        target.parent.mkdir(parents=True, exist_ok=True)
        scratch = target.with_name(target.name + f".restoring-{uuid.uuid4().hex[:6]}")
        shutil.copyfile(manifest.folder / SQLITE_FILE, scratch)
        return f"sqlite:///{scratch}", lambda: scratch.unlink(missing_ok=True)
    url = make_url(target_url)
    name = f"{url.database}_restore_{uuid.uuid4().hex[:8]}"
    admin = make_engine(url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    scratch = url.set(database=name).render_as_string(hide_password=False)
    _run(["pg_restore", "--no-owner", f"--dbname={_libpq(scratch)}",
          str(manifest.folder / PG_FILE)], "pg_restore")

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return scratch, drop


def _check_scratch(url: str, ring, points, manifest: Manifest, accept_rollback: bool):
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            result = verify_chain(session, ring=ring)
            if not result.ok:
                raise BackupError(f"备份中的审计链校验失败，拒绝恢复：{result.message}")
            head = session.get(AuditHead, 1)
            seq = head.seq if head else 0
            if seq != manifest.head_seq:
                raise BackupError("备份中的审计链尾与清单不符，拒绝恢复。")
            for point in points:
                if 0 < point.seq <= seq and session.get(AuditEntry, point.seq).hash != point.hash:
                    raise BackupError(f"备份与本实例的第{point.n}个检查点不符（第{point.seq}条哈希不同）："
                                      "不是同一条审计链，拒绝恢复。")
    finally:
        engine.dispose()
    newest = max(points, key=lambda p: p.n, default=None)
    if newest is not None and newest.seq > seq and not accept_rollback:
        raise BackupError(
            f"备份只含审计链前{seq}条记录，早于本实例最新的第{newest.n}个检查点（第{newest.seq}条，"
            f"{newest.at:%Y-%m-%d %H:%M} UTC）：恢复将丢失其后的记录。确需回滚时请加 --accept-rollback，"
            "回滚本身将记入审计日志。")
    return newest


def _put_in_place(manifest: Manifest, scratch_url: str, target_url: str) -> None:
    if manifest.data["database"] == "sqlite":
        target = Path(make_url(target_url).database)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(make_url(scratch_url).database, target)
        return
    _run(["pg_restore", "--no-owner", "--clean", "--if-exists", f"--dbname={_libpq(target_url)}",
          str(manifest.folder / PG_FILE)], "pg_restore")


def _set_aside(live: Path, public, target_url: str, now: datetime) -> Path:
    """Move the checkpoints beyond the restored database to a dated file, kept for the record."""
    engine = make_engine(target_url)
    try:
        with engine.connect() as conn:
            kept_n = conn.execute(select(func.max(AuditCheckpoint.n))).scalar_one() or 0
    finally:
        engine.dispose()
    archived = live.with_name(f"{live.name}.rolled-back-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}")
    with locked_file(live):
        lines = read_lines(live)
        shutil.copyfile(live, archived)
        keep = [line for line in lines if (p := parse_line(line, public)) and p.n <= kept_n]
        tmp = live.with_name(live.name + ".tmp")
        tmp.write_text("".join(line + "\n" for line in keep), "utf-8")
        os.replace(tmp, live)
    return archived


def _record_rollback(target_url: str, manifest: Manifest, newest, archived: Path,
                     now: datetime) -> None:
    engine = make_engine(target_url)
    try:
        with make_session_factory(engine)() as session:
            from ..db import write_transaction

            with write_transaction(session):
                batch = AuditBatch(SYSTEM, now)
                batch.add("backup_restored_with_rollback", backup=manifest.folder.name,
                          backup_created_at=manifest.data["created_at"],
                          backup_head_seq=manifest.head_seq, newest_checkpoint_n=newest.n,
                          newest_checkpoint_seq=newest.seq, lost_entries=newest.seq
                          - manifest.head_seq, checkpoints_set_aside=archived.name)
                batch.flush(session)
            write_checkpoint(session, now)
    finally:
        engine.dispose()
