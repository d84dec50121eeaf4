"""Signed checkpoints of the audit chain, anchored outside the database (trust.md §2: the
"signed head" of Certificate Transparency, RFC 6962/9162).

A checkpoint is one JSON line ``{n, seq, hash, at, prev, key, sig}``: the n-th checkpoint
says that the chain had ``seq`` entries ending in ``hash`` at ``at``; ``prev`` is the SHA-256
of the previous line (so a line removed from the middle shows), ``key`` names the Ed25519
public key and ``sig`` signs the rest. Lines are appended (and fsynced) to the checkpoint
file — by default ``instance/audit-checkpoints.log``, configurable so a deployment can point
it at another machine's share or a WORM volume — and recorded in ``audit_checkpoints`` too,
so each side shows the other's loss: a DB restored from an older copy lacks entries the
file has signed; a file cut short lacks checkpoints the DB recorded.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import crypto
from ..db import write_transaction
from ..errors import PetitionFlowError
from ..keys import Keyring, active, checkpoint_path
from ..models import AuditCheckpoint, AuditHead
from .audit import GENESIS

NO_PREV = "0" * 64


@dataclass(frozen=True)
class Checkpoint:
    n: int
    seq: int
    hash: str
    at: datetime
    line: str


def line_digest(line: str) -> str:
    return hashlib.sha256(line.encode()).hexdigest()


def _signed_text(body: dict) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def make_line(ring: Keyring, n: int, seq: int, hash_: str, at: datetime, prev: str) -> str:
    body = {"v": 1, "n": n, "seq": seq, "hash": hash_,
            "at": at.astimezone(UTC).isoformat(timespec="seconds"), "prev": prev,
            "key": crypto.public_fingerprint(crypto.load_public(ring.public_pem()))}
    return _signed_text({**body, "sig": crypto.sign(ring.signing_key, _signed_text(body))})


def parse_line(line: str, public) -> Checkpoint | None:
    """The checkpoint a line holds if its signature is good under ``public``, else None."""
    try:
        record = json.loads(line)
        sig = record.pop("sig")
        if not crypto.verify_signature(public, _signed_text(record), sig):
            return None
        return Checkpoint(int(record["n"]), int(record["seq"]), str(record["hash"]),
                          datetime.fromisoformat(record["at"]), line)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def prev_of(line: str) -> str | None:
    try:
        return json.loads(line).get("prev")
    except (ValueError, AttributeError):
        return None


@contextmanager
def locked_file(path: Path) -> Iterator:
    """The checkpoint file opened for appending, exclusively locked (writers and backups)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield fh
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def read_lines(path: Path) -> list[str]:
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return []
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


class CheckpointError(PetitionFlowError):
    code = "checkpoint"


def write_checkpoint(session: Session, now: datetime, *, path: Path | None = None,
                     ring: Keyring | None = None, only_if_moved: bool = False
                     ) -> Checkpoint | None:
    """Sign the current head and append it to the file and the table; with ``only_if_moved``
    nothing is written when the head has not moved since the last checkpoint."""
    ring, path = ring or active(), path or checkpoint_path()
    public = crypto.load_public(ring.public_pem())
    with write_transaction(session):
        head = session.get(AuditHead, 1)
        seq, hash_ = (head.seq, head.hash) if head else (0, GENESIS)
        with locked_file(path) as fh:
            lines = read_lines(path)
            last = parse_line(lines[-1], public) if lines else None
            if lines and last is None:
                raise CheckpointError(f"检查点文件 {path} 的最后一行无法校验（被编辑或截断），"
                                      "不再续写；请先运行 petition-flow audit verify 查明原因。")
            recorded = session.execute(select(AuditCheckpoint.n).order_by(
                AuditCheckpoint.n.desc()).limit(1)).scalar_one_or_none() or 0
            n = max(last.n if last else 0, recorded) + 1
            if only_if_moved and last is not None and last.seq == seq and last.hash == hash_:
                return None
            line = make_line(ring, n, seq, hash_, now, line_digest(lines[-1]) if lines
                             else NO_PREV)
            session.add(AuditCheckpoint(n=n, seq=seq, hash=hash_, at=now, line=line))
            session.flush()
            fh.write(line + "\n")
            fh.flush()
            os.fsync(fh.fileno())
    return parse_line(line, public)


def newest_checkpoint(path: Path, public) -> Checkpoint | None:
    """The newest checkpoint of a file whose lines all verify; None if it has none."""
    good = [parse_line(line, public) for line in read_lines(path)]
    good = [c for c in good if c is not None]
    return max(good, key=lambda c: c.n) if good else None
