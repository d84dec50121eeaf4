"""``petition-flow audit verify``: the chain, its MACs and every checkpoint, each problem
named (issue 12): an altered, deleted or reordered entry; a truncated tail; a chain rewritten
with the project's own unkeyed functions; a database rolled back behind a checkpoint; a
checkpoint file edited or cut short.

Without the MAC key (an outside inspector given a copy of the database, the checkpoint file
and the public key) the unkeyed chain and every checkpoint are still checked: a proof at
checkpoint level — nothing signed can have been removed or changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..clock import CHINA_TZ
from ..keys import Keyring
from ..models import AuditCheckpoint, AuditEntry
from .audit import VerifyResult, verify_chain
from .checkpoints import NO_PREV, line_digest, parse_line, prev_of, read_lines


@dataclass
class EvidenceReport:
    chain: VerifyResult
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checkpoints: int = 0

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.problems


def _local(at) -> str:
    return f"{at.astimezone(CHINA_TZ):%Y-%m-%d %H:%M}"


def verify_evidence(session: Session, ring: Keyring | None, checkpoints: Path | None,
                    public) -> EvidenceReport:
    """Everything ``audit verify`` checks. ``ring=None``: no MAC key, unkeyed chain only."""
    report = EvidenceReport(verify_chain(session, ring=ring))
    if ring is None:
        report.notes.append("未提供审计密钥：未校验密钥校验码，仅校验哈希链和签名检查点。")
    length = session.execute(select(func.max(AuditEntry.seq))).scalar_one() or 0
    file_points = _check_file(checkpoints, public, report) if checkpoints else {}
    _check_table(session, file_points, public, report)
    _check_against_chain(session, file_points, length, report)
    report.checkpoints = len(file_points)
    if checkpoints and not file_points and not report.problems:
        report.notes.append(f"检查点文件 {checkpoints} 中尚无检查点。")
    return report


def _check_file(path: Path, public, report: EvidenceReport) -> dict:
    points, prev_line = {}, None
    for i, line in enumerate(read_lines(path), start=1):
        point = parse_line(line, public)
        if point is None:
            report.problems.append(f"检查点文件第{i}行签名无效或无法解析：检查点文件被编辑或截断。")
            prev_line = line
            continue
        expected_prev = line_digest(prev_line) if prev_line is not None else NO_PREV
        if prev_of(line) != expected_prev or point.n != i:
            report.problems.append(f"检查点文件第{i}行（第{point.n}个检查点）之前的行被删除、"
                                   "插入或调换：检查点文件被编辑。")
        points[point.n] = point
        prev_line = line
    return points


def _check_table(session: Session, file_points: dict, public, report) -> None:
    rows = session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.n)).scalars().all()
    if not file_points and not rows:
        return
    last_in_file = max(file_points, default=0)
    for row in rows:
        if parse_line(row.line, public) is None:
            report.problems.append(f"数据库中第{row.n}个检查点的签名无效：检查点记录被伪造或改动。")
        elif row.n not in file_points:
            where = "末尾被截断" if row.n > last_in_file else "被编辑（删除了行）"
            report.problems.append(f"检查点文件{where}：数据库记录了第{row.n}个检查点"
                                   f"（{_local(row.at)}，审计链第{row.seq}条），文件中没有。")
        elif file_points[row.n].line != row.line:
            report.problems.append(f"检查点文件中第{row.n}个检查点与数据库记录不同：检查点文件被编辑。")
    recorded = {row.n for row in rows}
    missing = sorted(n for n in file_points if n not in recorded)
    if missing:
        report.notes.append(f"数据库中缺少检查点文件里的第{missing[0]}个检查点等{len(missing)}个记录"
                            "（数据库可能从较早的备份恢复过；所签名的审计记录仍在链中）。")


def _check_against_chain(session: Session, file_points: dict, length: int, report) -> None:
    wanted = {p.seq for p in file_points.values() if 0 < p.seq <= length}
    hashes: dict[int, str] = {}
    seqs = sorted(wanted)
    for i in range(0, len(seqs), 500):
        hashes.update(session.execute(select(AuditEntry.seq, AuditEntry.hash).where(
            AuditEntry.seq.in_(seqs[i:i + 500]))).all())
    newest = max(file_points.values(), key=lambda p: p.n, default=None)
    for point in sorted(file_points.values(), key=lambda p: p.n):
        if point.seq > length:
            report.problems.append(
                f"数据库被回滚或末尾记录被删除：第{point.n}个检查点（{_local(point.at)}）签名确认审计链"
                f"已有{point.seq}条记录，数据库中只有{length}条。")
            break
        if point.seq and hashes.get(point.seq) != point.hash:
            report.problems.append(
                f"审计链被改写：第{point.seq}条记录与第{point.n}个检查点（{_local(point.at)}）"
                "签名的哈希不符（记录被删除、改动或整条链被重新计算）。")
            break
    if newest is not None and not report.problems:
        report.notes.append(f"检查点{len(file_points)}个全部相符，最新为第{newest.n}个"
                            f"（{_local(newest.at)}，审计链第{newest.seq}条）。")
