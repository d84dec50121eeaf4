"""Implementations of the action names a workflow may use (domain/guards.py ACTIONS)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import ValidationError
from ..models import Case, Region, SupervisionOrder, Unit
from .actor import Actor
from .audit import AuditBatch
from .confidentiality import accused_units, require_not_accused_unit


@dataclass
class ActionContext:
    session: Session
    case: Case
    actor: Actor
    now: datetime
    inputs: dict[str, Any]
    audit: AuditBatch
    trigger: str = ""  # the workflow trigger being fired (its label goes into the audit)
    trigger_label: str = ""


def lower_regions(session: Session, case: Case) -> list[int]:
    """The counties a matter registered at the city may be sent down to (信访工作条例第二十二条
    第二项: 属地管理、分级负责 — a matter of a lower level goes to it); none for a county's case."""
    region = session.get(Region, case.region_id)
    if region is None or region.kind != "city":
        return []
    return list(session.execute(select(Region.id).where(Region.parent_id == region.id))
                .scalars())


def unit_in_scope(session: Session, case: Case, unit_id: int, field: str = "unit", *,
                  down: bool = False) -> Unit:
    """A unit a matter may go to: active, and of the case's own county, or (``down``: 转送 and
    交办 from the city) of a county below the city."""
    unit = session.get(Unit, unit_id)
    if unit is None or not unit.active:
        message = "所选单位不存在或已停用。"
        raise ValidationError(message, fields={field: message})
    lower = lower_regions(session, case) if down else []
    if unit.region_id != case.region_id and unit.region_id not in lower:
        message = "只能转送、交办给本市或所辖县（区）的单位。" if lower else \
            "只能转送、交办给本县（区）的单位。"
        raise ValidationError(message, fields={field: message})
    require_not_accused_unit(case, unit.id, field)  # 第三十条第三款
    return unit


def units_in_scope(session: Session, case: Case) -> list[Unit]:
    """The units ``unit_in_scope`` accepts for this case when it is sent on (转送、交办), for a
    form's or the API's choices: the city's own and its counties' units for a city case."""
    regions = [case.region_id, *lower_regions(session, case)]
    return list(session.execute(
        select(Unit).where(Unit.active.is_(True), Unit.region_id.in_(regions),
                           Unit.id.notin_(accused_units(case.id)))
        .order_by(Unit.code)
    ).scalars())


def _set_responsible(ctx: ActionContext, unit_id: int | None, why: str, **extra) -> None:
    before = ctx.case.responsible_unit_id
    ctx.case.responsible_unit_id = unit_id
    ctx.audit.add("responsible_unit_changed", case_id=ctx.case.id, reason=why,
                  from_unit_id=before, to_unit_id=unit_id, **extra)
    if unit_id is not None:
        _retarget_open_orders(ctx, unit_id)


def _retarget_open_orders(ctx: ActionContext, unit_id: int) -> None:
    """An unanswered 督办单 follows the case to the unit now responsible for it: the unit that
    handed the case over can no longer see it, so it must not be the one to answer."""
    orders = ctx.session.execute(select(SupervisionOrder).where(
        SupervisionOrder.case_id == ctx.case.id, SupervisionOrder.status.in_(("open", "replied")),
        SupervisionOrder.target_unit_id != unit_id)).scalars().all()
    for order in orders:
        ctx.audit.add("supervision_order_retargeted", case_id=ctx.case.id, order_id=order.id,
                      from_unit_id=order.target_unit_id, to_unit_id=unit_id)
        order.target_unit_id = unit_id


def assign_responsible_unit(ctx: ActionContext) -> None:
    """转送/交办 to the unit named by the ``unit`` input. A unit of a county below the city takes
    the matter into that county (信访工作条例第二十二条第二项: 属地管理、分级负责; 第三项: 交办),
    so the county's isolation, local limits and supervisors apply to it from now on; the city
    keeps following it (``upper_region_id``). Routing makes no first handler at either
    level: 首办责任制 (谁初次办理、谁负责, 国信发〔2014〕16号) falls on the unit that accepts it
    (``record_first_handler``)."""
    unit = unit_in_scope(ctx.session, ctx.case, ctx.inputs["unit"], down=True)
    case = ctx.case
    if unit.region_id != case.region_id:
        ctx.audit.add("case_sent_down", case_id=case.id, from_region_id=case.region_id,
                      to_region_id=unit.region_id, unit_id=unit.id, trigger=ctx.trigger,
                      label=ctx.trigger_label)
        case.data = {**case.data, "sent_down": {"from_region_id": case.region_id,
                                                "trigger": ctx.trigger}}
        case.upper_region_id = case.region_id
        case.region_id = unit.region_id
    _set_responsible(ctx, unit.id, "transferred")


def clear_responsible_unit(ctx: ActionContext) -> None:
    _set_responsible(ctx, None, "returned")


def take_over_by_actor_unit(ctx: ActionContext) -> None:
    _set_responsible(ctx, ctx.actor.unit_id, "handled_by_actor_unit")


def record_first_handler(ctx: ActionContext) -> None:
    """首办责任制: the first unit to accept, and the person who accepted, are fixed forever."""
    case = ctx.case
    if case.first_handler_unit_id is not None:
        return
    case.first_handler_unit_id = case.responsible_unit_id
    case.first_handler_user_id = ctx.actor.user_id
    case.first_handled_at = ctx.now
    ctx.audit.add("first_handler_recorded", case_id=case.id,
                  unit_id=case.first_handler_unit_id, user_id=ctx.actor.user_id)


def hand_over(ctx: ActionContext) -> None:
    """Pass an accepted matter on, with a reason; the first handler stays accountable."""
    unit = unit_in_scope(ctx.session, ctx.case, ctx.inputs["unit"])
    if unit.id == ctx.case.responsible_unit_id:
        raise ValidationError("接收单位与当前承办单位相同。",
                              fields={"unit": "接收单位与当前承办单位相同。"})
    _set_responsible(ctx, unit.id, "handed_over", note=ctx.inputs.get("reason"),
                     first_handler_unit_id=ctx.case.first_handler_unit_id)


def mark_recheck_concluded(ctx: ActionContext) -> None:
    ctx.case.data = {**ctx.case.data, "recheck_concluded": True}


ACTION_IMPLEMENTATIONS: dict[str, Callable[[ActionContext], None]] = {
    "assign_responsible_unit": assign_responsible_unit,
    "clear_responsible_unit": clear_responsible_unit,
    "take_over_by_actor_unit": take_over_by_actor_unit,
    "record_first_handler": record_first_handler,
    "hand_over_to_unit": hand_over,
    "mark_recheck_concluded": mark_recheck_concluded,
}
