"""What the supervision pages show (督办单, 追责问责, 挂牌督办, 站内消息), read-only.

Each look-up behind a URL is scoped by the same rules as the use cases it leads to: a unit's
handler and leader see the orders sent to their unit, a county supervisor those of their
county's cases, a city supervisor all; accountability records are for supervisors only.
Out of scope and missing rows are the same NotFoundError (404), so that no answer confirms
that a row exists; a role that has no business with a kind of row at all is a PermissionDenied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..domain.levels import LevelDates, level_on
from ..errors import NotFoundError, ValidationError
from ..models import (
    AccountabilityRecord,
    Alert,
    Case,
    InboxItem,
    Region,
    SupervisionOrder,
    Unit,
    User,
)
from .accountability import list_accountability, may_decide_record
from .actor import Actor, require_permission, require_view
from .disclosure import row_text_for
from .inbox import alert_states, list_inbox
from .queries import OPEN, scope_clause
from .supervision import (
    ORDER_NOT_FOUND,
    list_orders,
    may_answer_order,
    may_decide_order,
    may_see_order,
    order_target_unit,
)

ORDER_STATUSES = {"unclosed": "未办结", "open": "待回复", "replied": "已回复待审核",
                  "closed": "已办结"}
RECORD_STATUSES = {"pending": "待处理", "confirmed": "已认定", "dismissed": "不予追责"}


@dataclass(frozen=True)
class OrderView:
    order: SupervisionOrder
    case_no: str
    case_summary: str
    case_listed: bool
    target_unit: str
    issuer: str
    level: str | None  # its own colour while it waits for the reply
    days_left: int | None
    may_reply: bool
    may_decide: bool
    may_open: bool = True  # the order's own page is for its target unit and its deciders
    replier: str = ""  # who wrote the written reply (书面回复), by name
    closer: str = ""  # who closed the order, by name

    @property
    def status_label(self) -> str:
        return ORDER_STATUSES.get(self.order.status, self.order.status)


@dataclass(frozen=True)
class RecordView:
    record: AccountabilityRecord
    case_no: str
    case_listed: bool
    unit: str
    person: str
    may_decide: bool = True  # records on a city unit are the city's to decide

    @property
    def status_label(self) -> str:
        return RECORD_STATUSES.get(self.record.status, self.record.status)


def _names(session: Session, model, ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    label = model.display_name if model is User else model.name
    return dict(session.execute(select(model.id, label).where(model.id.in_(ids))).all())


def _check_status(status: str | None, allowed: dict[str, str]) -> str | None:
    if status and status not in allowed:
        raise ValidationError("状态无效。", fields={"status": "状态无效。"})
    return status or None


def may_reply(actor: Actor, order: SupervisionOrder) -> bool:
    return may_answer_order(actor, order) and order.status == "open"


def may_decide(actor: Actor, order: SupervisionOrder, case: Case) -> bool:
    return may_decide_order(actor, order, case) and order.status == "replied"


def order_views(session: Session, actor: Actor, orders: list[SupervisionOrder],
                today: date) -> list[OrderView]:
    cases = {c.id: c for c in session.execute(
        select(Case).where(Case.id.in_({o.case_id for o in orders}))).scalars()} if orders else {}
    units = _names(session, Unit, (o.target_unit_id for o in orders))
    users = _names(session, User, [u for o in orders for u in (
        o.issuer_user_id, o.replied_by_user_id, o.closed_by_user_id)])
    out = []
    for o in orders:
        case = cases[o.case_id]
        waiting = o.status == "open" and o.red_on is not None
        level = level_on(today, LevelDates(o.blue_on, o.yellow_on, o.red_on)) if waiting else None
        out.append(OrderView(o, case.case_no, row_text_for(actor, case, case.summary),
                             bool(case.listed_supervision),
                             units.get(o.target_unit_id, "—"), users.get(o.issuer_user_id, "—"),
                             level, (o.due_date - today).days if o.status == "open" else None,
                             may_reply(actor, o), may_decide(actor, o, case),
                             may_see_order(actor, o, case),
                             users.get(o.replied_by_user_id, ""),
                             users.get(o.closed_by_user_id, "")))
    return out


def orders_page(session: Session, actor: Actor, status: str | None, today: date) -> list[OrderView]:
    """The orders list of a role, optionally by status."""
    status = _check_status(status, ORDER_STATUSES)
    if status == "unclosed":  # what the dashboards count as 未办结: open and replied
        orders = [*list_orders(session, actor, status="open"),
                  *list_orders(session, actor, status="replied")]
        orders.sort(key=lambda o: (o.issued_at, o.id), reverse=True)
    else:
        orders = list_orders(session, actor, status=status)
    return order_views(session, actor, orders, today)


def get_order(session: Session, actor: Actor, order_id: int, today: date) -> OrderView:
    """One order, if the actor's unit received it or it concerns a case of their county."""
    order = session.get(SupervisionOrder, order_id)
    case = session.get(Case, order.case_id) if order is not None else None
    if order is None or not may_see_order(actor, order, case):
        raise NotFoundError(ORDER_NOT_FOUND)
    return order_views(session, actor, [order], today)[0]


def orders_of_case(session: Session, actor: Actor, case: Case, today: date) -> list[OrderView]:
    """The orders on a case the actor may already view (the case page and its admin view)."""
    require_view(actor, case)
    orders = list(session.execute(
        select(SupervisionOrder).where(SupervisionOrder.case_id == case.id)
        .order_by(SupervisionOrder.issued_at.desc(), SupervisionOrder.id.desc())).scalars())
    return order_views(session, actor, orders, today)


@dataclass(frozen=True)
class IssueContext:
    case: Case
    target_unit: str
    alert: Alert | None


def issue_context(session: Session, actor: Actor, case_id: int,
                  alert_id: int | None) -> IssueContext:
    """What the 下发督办单 form needs; the alert, if any, must be one of this case."""
    require_permission(actor, "supervise")
    case = session.get(Case, case_id)
    if case is None:
        raise NotFoundError("未找到该信访事项。")
    require_view(actor, case)
    alert = None
    if alert_id is not None:
        alert = session.get(Alert, alert_id)
        if alert is None or alert.case_id != case.id:
            raise NotFoundError("未找到该预警。")
    unit_id = order_target_unit(session, case, alert)
    return IssueContext(case, _names(session, Unit, [unit_id]).get(unit_id, "—"), alert)


def record_views(session: Session, actor: Actor, status: str | None) -> list[RecordView]:
    """The accountability list of a supervisor (pending first by default)."""
    status = _check_status(status, RECORD_STATUSES)
    records = list_accountability(session, actor, status=status)
    cases = {c.id: c for c in session.execute(
        select(Case).where(Case.id.in_({r.case_id for r in records}))).scalars()} if records else {}
    units = _names(session, Unit, (r.unit_id for r in records))
    users = _names(session, User, (r.user_id for r in records))
    return [RecordView(r, cases[r.case_id].case_no, bool(cases[r.case_id].listed_supervision),
                       units.get(r.unit_id, "—"), users.get(r.user_id, "未确定"),
                       may_decide_record(session, actor, r, cases[r.case_id]))
            for r in records]


def listed_by_county(session: Session, actor: Actor) -> dict[str, int]:
    """Open 挂牌督办 cases per county code, within the actor's scope."""
    rows = session.execute(
        select(Region.code, func.count()).select_from(Case)
        .join(Region, Region.id == Case.region_id)
        .where(scope_clause(actor), OPEN, Case.listed_supervision.is_(True))
        .group_by(Region.code)).all()
    return dict(rows)


def listed_case_ids(session: Session, case_ids) -> set[int]:
    ids = {i for i in case_ids if i}
    if not ids:
        return set()
    return set(session.execute(select(Case.id).where(
        Case.id.in_(ids), Case.listed_supervision.is_(True))).scalars())


def inbox_page(session: Session, actor: Actor, *,
               unread_only: bool) -> tuple[list[InboxItem], set[int], dict]:
    """The actor's messages, which of their cases are under 挂牌督办, and each alert's
    deadline and supersession."""
    items = list_inbox(session, actor, unread_only=unread_only, limit=200)
    return (items, listed_case_ids(session, (i.case_id for i in items)),
            alert_states(session, (i.alert_id for i in items)))
