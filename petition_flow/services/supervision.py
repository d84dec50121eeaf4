"""Supervision orders (督办单, 信访工作条例第四十条).

A county supervisor (for a case of their county) or a city supervisor issues an order to
the unit now responsible for a case, from an alert or from the case itself, with written
requirements and its own deadline. The order gets the workflow's three colours between
issue and deadline, swept like a clock (services/alerts.py); its issuer is told at every
colour, and red reaches the city. The unit's handler or leader replies in writing; the
supervisor then closes the order, or sends it back with a new deadline. 挂牌督办 (listed
supervision) marks the case itself while a listed order is open.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..clock import local_date
from ..db import write_transaction
from ..domain.levels import level_dates
from ..domain.roles import LEVEL_RANK, role, roles_on_side
from ..errors import NotFoundError, PermissionDenied, ValidationError
from ..models import Alert, Case, SupervisionOrder, Unit
from .actor import Actor, can_view, require_permission, require_view
from .audit import AuditBatch
from .calendars import current_calendar
from .clocks import supersede_alerts
from .confidentiality import hidden_from
from .inbox import Directory, post
from .notify import NotifyConfig, Outbox
from .petitions import engine_for, load_case
from .queries import scope_clause


def _check_text(value: str | None, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(message, fields={field: message})
    return value


def _check_due(due: date, today: date) -> None:
    if not isinstance(due, date) or due <= today:
        message = "督办期限应晚于今天。"
        raise ValidationError(message, fields={"due_date": message})


def _set_levels(session: Session, order: SupervisionOrder, case: Case, today: date) -> None:
    levels = engine_for(case).spec.warning_levels
    dates = level_dates(today, order.due_date, levels, current_calendar(session))
    order.blue_on, order.yellow_on, order.red_on = dates.blue_on, dates.yellow_on, dates.red_on
    order.next_level_on = order.blue_on


def _notify(session, now, config, recipients, order, case, title, body) -> None:
    outbox = Outbox(config or NotifyConfig.load(), now)
    post(session, outbox, recipients, key=f"order:{order.id}:{order.status}:{order.version}",
         kind="supervision", title=title, body=body, now=now, case_id=case.id)
    session.add_all(outbox.rows)


def _order_text(order: SupervisionOrder, case: Case, unit: Unit) -> str:
    listed = "（挂牌督办）" if order.listed else ""
    return (f"信访件编号：{case.case_no}\n督办单：第{order.id}号{listed}\n责任单位：{unit.name}\n"
            f"督办要求：{order.requirements}\n办理期限：{order.due_date.isoformat()}\n"
            "请在期限内办理，并书面回复办理情况。")


def order_target_unit(session: Session, case: Case, alert: Alert | None = None) -> int | None:
    """The unit a 督办单 goes to: the unit an alert named (the same as its accountability
    record), else the unit whose duty the case's running deadline is — for 复查/复核 the
    supervisors who hold it (``held_by`` in the workflow), otherwise the responsible unit."""
    if alert is not None and alert.unit_id is not None:
        return alert.unit_id
    spec = engine_for(case).spec
    for clock in case.clocks:
        rule = spec.rule_of(clock.rule)
        if clock.status != "stopped" and clock.duty and rule is not None and rule.held_by:
            holders = Directory(session).holders(rule.held_by, case.region_id)
            if holders:
                return holders[0].unit_id
    return case.responsible_unit_id or case.registered_unit_id


def issue_supervision_order(session: Session, actor: Actor, now: datetime, case_id: int, *,
                            requirements: str, due_date: date, listed: bool = False,
                            alert_id: int | None = None,
                            config: NotifyConfig | None = None) -> SupervisionOrder:
    """下发督办单 to the case's responsible unit."""
    with write_transaction(session):
        require_permission(actor, "supervise")
        case = load_case(session, case_id, for_update=True)
        require_view(actor, case)
        if "decide" not in actor.role_def.order_sides:
            raise PermissionDenied("您的角色无权下发督办单。")
        if case.closed_at is not None:
            raise ValidationError("该信访事项已办结，不能再下发督办单。")
        alert = session.get(Alert, alert_id) if alert_id is not None else None
        if alert is not None and alert.case_id != case.id:
            raise NotFoundError("未找到该预警。")
        unit_id = order_target_unit(session, case, alert)
        requirements = _check_text(requirements, "requirements", "请填写督办要求。")
        today = local_date(now)
        _check_due(due_date, today)
        order = SupervisionOrder(
            case_id=case.id, alert_id=alert_id, issuer_user_id=actor.user_id,
            issuer_role=actor.role, target_unit_id=unit_id, listed=bool(listed),
            requirements=requirements, issued_at=now, due_date=due_date, version=1,
            status="open")
        _set_levels(session, order, case, today)
        session.add(order)
        if listed and not case.listed_supervision:
            case.listed_supervision, case.updated_at = True, now
        session.flush()
        unit = session.get(Unit, unit_id)
        directory = Directory(session)
        recipients = directory.resolve(roles_on_side("answer"), unit_id=unit_id,
                                       region_id=case.region_id)
        title = f"【督办单】{case.case_no} {'挂牌督办' if listed else '督办'}"
        _notify(session, now, config, recipients, order, case, title,
                _order_text(order, case, unit))
        audit = AuditBatch(actor, now)
        audit.add("supervision_order_issued", case_id=case.id, order_id=order.id,
                  target_unit_id=unit_id, due_date=due_date, listed=order.listed,
                  requirements=requirements, alert_id=alert_id)
        audit.flush(session)
    return order


ORDER_NOT_FOUND = NO_ORDER = "未找到该督办单。"


# Who deals with an order, in one place: the target unit answers it; the supervisors of the
# level that issued it (or above) decide it, within their scope; the city's 挂牌督办 is therefore
# cleared only by the city (its last listed order is closed at the city's level). An order on a
# 检举控告 that accuses the actor does not exist for them (第三十条第三款).
def may_answer_order(actor: Actor, order: SupervisionOrder) -> bool:
    return "answer" in actor.role_def.order_sides and actor.unit_id == order.target_unit_id


def may_decide_order(actor: Actor, order: SupervisionOrder, case: Case) -> bool:
    mine = actor.role_def
    return ("decide" in mine.order_sides and can_view(actor, case)
            and LEVEL_RANK[mine.level] >= LEVEL_RANK[role(order.issuer_role).level])


def may_see_order(actor: Actor, order: SupervisionOrder, case: Case) -> bool:
    if hidden_from(actor, case):
        return False
    if "answer" in actor.role_def.order_sides:
        return may_answer_order(actor, order)
    return "decide" in actor.role_def.order_sides and can_view(actor, case)


def _load_order(session: Session, order_id: int) -> SupervisionOrder:
    order = session.get(SupervisionOrder, order_id, with_for_update=True, populate_existing=True)
    if order is None:
        raise NotFoundError(ORDER_NOT_FOUND)
    return order


def _require_issuer_side(actor: Actor, order: SupervisionOrder, case: Case) -> None:
    if not may_see_order(actor, order, case):
        raise NotFoundError(ORDER_NOT_FOUND)
    if not may_decide_order(actor, order, case):
        raise PermissionDenied("该督办单由上级下发，只能由下发督办单的一级或其上级办结或退回。")


def reply_supervision_order(session: Session, actor: Actor, now: datetime, order_id: int,
                            reply: str, config: NotifyConfig | None = None) -> SupervisionOrder:
    """The target unit's handler or leader replies in writing (书面回复)."""
    with write_transaction(session):
        order = _load_order(session, order_id)
        case = session.get(Case, order.case_id)
        if not may_see_order(actor, order, case):
            raise NotFoundError(ORDER_NOT_FOUND)
        if not may_answer_order(actor, order):
            raise PermissionDenied("只有被督办单位可以回复督办单。")
        if order.status != "open":
            raise ValidationError("该督办单不在待回复状态。")
        order.reply = _check_text(reply, "reply", "请填写书面回复内容。")
        order.status, order.replied_at, order.replied_by_user_id = "replied", now, actor.user_id
        order.next_level_on = None  # answered: no more warnings
        directory = Directory(session)
        _notify(session, now, config, directory.user(order.issuer_user_id), order, case,
                f"【督办回复】{case.case_no} 督办单第{order.id}号",
                f"被督办单位已书面回复：\n{order.reply}\n请审核后办结或退回。")
        audit = AuditBatch(actor, now)
        audit.add("supervision_order_replied", case_id=case.id, order_id=order.id,
                  reply=order.reply, on_time=local_date(now) <= order.due_date)
        audit.flush(session)
    return order


def close_supervision_order(session: Session, actor: Actor, now: datetime, order_id: int,
                            note: str) -> SupervisionOrder:
    """The supervisor accepts the reply and closes the order (办结督办)."""
    with write_transaction(session):
        order = _load_order(session, order_id)
        case = session.get(Case, order.case_id)
        _require_issuer_side(actor, order, case)
        if order.status != "replied":
            raise ValidationError("被督办单位尚未书面回复，不能办结督办单。")
        order.close_note = _check_text(note, "note", "请填写办结意见。")
        order.status, order.closed_at, order.closed_by_user_id = "closed", now, actor.user_id
        order.next_level_on = None
        session.flush()
        _unlist_if_done(session, case, now)
        audit = AuditBatch(actor, now)
        audit.add("supervision_order_closed", case_id=case.id, order_id=order.id,
                  note=order.close_note, listed_supervision=case.listed_supervision)
        audit.flush(session)
    return order


def return_supervision_order(session: Session, actor: Actor, now: datetime, order_id: int,
                             note: str, due_date: date,
                             config: NotifyConfig | None = None) -> SupervisionOrder:
    """The reply is not enough: send the order back with a new deadline (退回重办)."""
    with write_transaction(session):
        order = _load_order(session, order_id)
        case = session.get(Case, order.case_id)
        _require_issuer_side(actor, order, case)
        if order.status != "replied":
            raise ValidationError("只有已回复的督办单可以退回。")
        note = _check_text(note, "note", "请填写退回理由。")
        today = local_date(now)
        _check_due(due_date, today)
        old_due = order.due_date
        order.status, order.due_date, order.version = "open", due_date, order.version + 1
        _set_levels(session, order, case, today)
        directory = Directory(session)
        recipients = directory.resolve(roles_on_side("answer"), unit_id=order.target_unit_id,
                                       region_id=case.region_id)
        _notify(session, now, config, recipients, order, case,
                f"【督办退回】{case.case_no} 督办单第{order.id}号",
                f"书面回复未通过审核：{note}\n新的办理期限：{due_date.isoformat()}")
        audit = AuditBatch(actor, now)
        audit.add("supervision_order_returned", case_id=case.id, order_id=order.id, note=note,
                  due_date=due_date, version=order.version)
        supersede_alerts(session, audit, Alert.order_id, order.id, order.version,
                         case_id=case.id, order_id=order.id, old_due_date=old_due,
                         due_date=due_date)
        audit.flush(session)
    return order


def _unlist_if_done(session: Session, case: Case, now: datetime) -> None:
    still = session.execute(
        select(SupervisionOrder.id).where(SupervisionOrder.case_id == case.id,
                                          SupervisionOrder.listed.is_(True),
                                          SupervisionOrder.status != "closed").limit(1)
    ).first()
    if case.listed_supervision and still is None:
        case.listed_supervision, case.updated_at = False, now


def list_orders(session: Session, actor: Actor, *, status: str | None = None,
                limit: int = 100) -> list[SupervisionOrder]:
    """Orders an actor deals with: a unit's own, a county's, or all for the city."""
    stmt = select(SupervisionOrder).join(Case, Case.id == SupervisionOrder.case_id)
    sides = actor.role_def.order_sides
    if "answer" in sides:
        stmt = stmt.where(SupervisionOrder.target_unit_id == actor.unit_id)
    elif "decide" in sides:
        stmt = stmt.where(scope_clause(actor))
    else:
        raise PermissionDenied("您的角色无权查看督办单。")
    if status:
        stmt = stmt.where(SupervisionOrder.status == status)
    stmt = stmt.order_by(SupervisionOrder.issued_at.desc(), SupervisionOrder.id.desc())
    return list(session.execute(stmt.limit(limit)).scalars())
