"""Reading the audit log (操作日志) for the security auditor: filters and pages, newest first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..clock import CHINA_TZ
from ..domain.labels import AUDIT_ACTIONS
from ..errors import ValidationError
from ..models import AuditEntry, Case
from .actor import Actor, require_permission
from .history import Described, Describer, Person

ACTION_LABELS = AUDIT_ACTIONS  # the one label table (domain/labels.py)


@dataclass
class AuditFilters:
    case_no: str = ""
    action: str = ""
    username: str = ""
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1
    per_page: int = 50


@dataclass(frozen=True)
class AuditRow:
    """One entry as the audit page shows it: in Chinese, the person by name."""

    entry: AuditEntry
    person: Person
    described: Described


@dataclass
class AuditPage:
    entries: list[AuditEntry]
    case_nos: dict[int, str]
    total: int
    page: int
    per_page: int
    rows: list[AuditRow] = field(default_factory=list)


def search_audit(session: Session, actor: Actor, f: AuditFilters) -> AuditPage:
    require_permission(actor, "read_audit")
    if f.page < 1:
        raise ValidationError("页码无效。", fields={"page": "页码须≥1。"})
    stmt = select(AuditEntry)
    if f.case_no:
        stmt = stmt.join(Case, Case.id == AuditEntry.case_id).where(Case.case_no == f.case_no)
    if f.action:
        stmt = stmt.where(AuditEntry.action == f.action)
    if f.username:
        stmt = stmt.where(AuditEntry.actor_username == f.username)
    if f.date_from:
        stmt = stmt.where(AuditEntry.at >= datetime.combine(f.date_from, time(), CHINA_TZ))
    if f.date_to:
        end = datetime.combine(f.date_to + timedelta(days=1), time(), CHINA_TZ)
        stmt = stmt.where(AuditEntry.at < end)
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    f.page = min(f.page, max(1, -(-total // f.per_page)))  # past the end: the last page
    entries = list(session.execute(stmt.order_by(AuditEntry.seq.desc()).limit(f.per_page)
                                   .offset((f.page - 1) * f.per_page)).scalars())
    ids = {e.case_id for e in entries if e.case_id}
    case_nos = dict(session.execute(select(Case.id, Case.case_no).where(Case.id.in_(ids))).all()) \
        if ids else {}
    describer = Describer(session)
    describer.prefetch(entries)
    rows = [AuditRow(e, describer.person(e), describer.describe(e, audit_page=True))
            for e in entries]
    return AuditPage(entries, case_nos, total, f.page, f.per_page, rows)
