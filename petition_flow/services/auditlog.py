"""Reading the audit log (操作日志) for administrators: filters and pages, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..clock import CHINA_TZ
from ..errors import ValidationError
from ..models import AuditEntry, Case
from .actor import Actor, require_permission

ACTION_LABELS = {
    "case_registered": "登记", "transition": "办理操作", "deadline_set": "设定期限",
    "deadline_stopped": "期限停止", "deadline_recomputed": "期限重算",
    "deadline_paused": "期限暂停", "notice_issued": "出具文书",
    "responsible_unit_changed": "承办单位变更", "first_handler_recorded": "确定首办单位",
    "petitioner_details_revealed": "查看信访人信息", "login": "登录",
    "login_failed": "登录失败", "account_locked": "账号锁定", "password_changed": "修改密码",
    "password_reset": "重置密码", "user_created": "新建用户", "user_deactivated": "停用用户",
    "user_activated": "启用用户", "unit_created": "新建单位", "unit_deactivated": "停用单位",
    "unit_activated": "启用单位", "calendar_imported": "导入节假日安排",
    "exported": "导出数据",
}


@dataclass
class AuditFilters:
    case_no: str = ""
    action: str = ""
    username: str = ""
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1
    per_page: int = 50


@dataclass
class AuditPage:
    entries: list[AuditEntry]
    case_nos: dict[int, str]
    total: int
    page: int
    per_page: int


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
    entries = list(session.execute(stmt.order_by(AuditEntry.seq.desc()).limit(f.per_page)
                                   .offset((f.page - 1) * f.per_page)).scalars())
    ids = {e.case_id for e in entries if e.case_id}
    case_nos = dict(session.execute(select(Case.id, Case.case_no).where(Case.id.in_(ids))).all()) \
        if ids else {}
    return AuditPage(entries, case_nos, total, f.page, f.per_page)
