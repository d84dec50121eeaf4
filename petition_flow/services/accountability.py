"""Accountability records (追责问责, 信访工作条例第四十三条至第四十五条).

When a duty clock goes red, the sweeper writes a record naming the responsible unit, the
person, the rule broken (from the workflow's ``accountability`` section: Art. 44 for a late
acceptance notice, Art. 45 for handling not finished in time) and any extension already
granted. A supervisor confirms or dismisses it with a written reason; nothing else
follows automatically. The person is the first handler (首办责任人) while the first-handler
unit still holds the matter, otherwise the head of the responsible unit (单位负责人).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import write_transaction
from ..domain.roles import LEVEL_RANK, roles_with
from ..domain.spec import AccountabilityRule
from ..errors import NotFoundError, PermissionDenied, ValidationError
from ..models import AccountabilityRecord, Case, Clock, Unit
from .actor import Actor, can_view, require_permission
from .audit import AuditBatch
from .inbox import Directory
from .queries import scope_clause

DECISIONS = {"confirm": "confirmed", "dismiss": "dismissed"}


def responsible_person(case, unit_id: int | None, directory: Directory) -> int | None:
    if unit_id is not None and unit_id == case.first_handler_unit_id:
        return case.first_handler_user_id
    leaders = [r for role in roles_with("lead_unit") for r in directory.in_unit(unit_id, role)]
    return leaders[0].user_id if leaders else None


LOCAL_LIMIT = "local_limit"  # 限时办结超时: a stricter local limit was missed
STATUTORY = "statutory"  # the statutory period was missed (Arts. 43-45)
KIND_LABELS = {STATUTORY: "超过法定期限", LOCAL_LIMIT: "限时办结超时（地方规定）"}


def local_breach_rule(clock: Clock) -> AccountabilityRule:
    """The record a missed 限时办结 limit makes: it names the local rule, not Art. 45, since
    the statutory period may still be running (domain.md §8)."""
    basis = clock.article.split("（", 1)[0]
    return AccountabilityRule(clock.rule, basis,
                              f"超过{basis}规定的{clock.days}日限时办结期限（限时办结超时）",
                              kind=LOCAL_LIMIT)


def record_breach(session: Session, audit: AuditBatch, now: datetime, alert_id: int,
                  clock: Clock, case, rule: AccountabilityRule, unit_id: int | None,
                  directory: Directory) -> int:
    """Write the record for a red alert (called by the sweeper, inside its transaction)."""
    record = AccountabilityRecord(
        case_id=case.id, clock_id=clock.id, alert_id=alert_id, unit_id=unit_id,
        user_id=responsible_person(case, unit_id, directory), article=rule.article,
        ground=rule.ground, due_date=clock.due_date, extension_days=clock.extension_days,
        status="pending", created_at=now, kind=rule.kind)
    session.add(record)
    session.flush()
    audit.add("accountability_recorded", case_id=case.id, record_id=record.id,
              alert_id=alert_id, clock=clock.rule, unit_id=unit_id, user_id=record.user_id,
              article=rule.article, ground=rule.ground, due_date=clock.due_date,
              extension_days=clock.extension_days, kind=rule.kind)
    return record.id


def record_level(session: Session, record: AccountabilityRecord) -> str:
    """The level a record concerns: that of the unit held responsible (a city unit's missed
    复核 deadline is the city's to judge, never a county's)."""
    unit = session.get(Unit, record.unit_id) if record.unit_id else None
    return "city" if unit is not None and unit.region.kind == "city" else "county"


def may_decide_record(session: Session, actor: Actor, record: AccountabilityRecord,
                      case: Case) -> bool:
    return (actor.may("supervise") and can_view(actor, case)
            and LEVEL_RANK[actor.role_def.level] >= LEVEL_RANK[record_level(session, record)])


def _require_supervisor_of(session: Session, actor: Actor,
                           record: AccountabilityRecord) -> Case:
    require_permission(actor, "supervise")
    case = session.get(Case, record.case_id)
    if case is None or not can_view(actor, case):
        raise NotFoundError("未找到该追责问责记录。")
    if not may_decide_record(session, actor, record, case):
        raise PermissionDenied("该记录涉及市级单位，只能由市级督办人员处理。")
    return case


def decide_accountability(session: Session, actor: Actor, now: datetime, record_id: int,
                          decision: str, reason: str) -> AccountabilityRecord:
    """A supervisor confirms (认定) or dismisses (不予追责) a record, always with a reason."""
    with write_transaction(session):
        record = session.get(AccountabilityRecord, record_id, with_for_update=True)
        if record is None:
            raise NotFoundError("未找到该追责问责记录。")
        _require_supervisor_of(session, actor, record)
        if decision not in DECISIONS:
            raise ValidationError("处理决定无效。", fields={"decision": "只能是认定或不予追责。"})
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError("请填写理由。", fields={"reason": "认定或不予追责均须说明理由。"})
        if record.status != "pending":
            raise ValidationError("该记录已处理，不能重复处理。")
        record.status = DECISIONS[decision]
        record.decided_at, record.decided_by_user_id = now, actor.user_id
        record.decision_reason = reason
        audit = AuditBatch(actor, now)
        audit.add(f"accountability_{record.status}", case_id=record.case_id,
                  record_id=record.id, reason=reason, article=record.article)
        audit.flush(session)
    return record


def list_accountability(session: Session, actor: Actor, *, status: str | None = None,
                        limit: int = 100) -> list[AccountabilityRecord]:
    """Records a supervisor may decide: their county's, or every county for the city."""
    require_permission(actor, "supervise")
    stmt = (select(AccountabilityRecord).join(Case, Case.id == AccountabilityRecord.case_id)
            .where(scope_clause(actor)))
    if status:
        stmt = stmt.where(AccountabilityRecord.status == status)
    stmt = stmt.order_by(AccountabilityRecord.created_at.desc(), AccountabilityRecord.id.desc())
    return list(session.execute(stmt.limit(limit)).scalars())
