"""Between levels: what the city sent down, and what a county reports up.

- 交办/转送 down (信访工作条例第二十二条第二项、第三项) is a workflow transition whose action
  (services/actions.assign_responsible_unit) moves the case into the county; this module only
  describes it for the case page.
- 重大紧急 up (信访工作条例第二十五条): a county that finds a matter major or urgent reports it at
  once to the level above — here the city's 信访局 and the 市信联办 (the joint-conference office)
  — outside the workflow, in whatever state the case is. The report marks the case 重大紧急,
  is audited, reaches the city's bureau staff and supervisors in their inbox, and lets the
  city's bureau follow the case (``upper_region_id``: it sees it, the county still acts). A matter is
  reported once; what follows is the city's supervision (督办单, services/supervision.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ..db import retry_conflicts, write_transaction
from ..domain.identity import mask_free_text
from ..domain.roles import ROLE_TABLE
from ..domain.text import text_problem
from ..errors import PermissionDenied, ValidationError
from ..models import Case, Region, Unit
from .actor import Actor, can_act, require_act, require_permission
from .audit import AuditBatch
from .inbox import Directory, Recipient, post
from .notify import NotifyConfig, Outbox
from .petitions import load_case

REASON_MAX = 1000
ARTICLE = "信访工作条例第二十五条"


@dataclass(frozen=True)
class LevelsView:
    """What the case page says about levels: where it came from, whether it was reported up,
    and whether this actor may report it now."""

    sent_down_from: str | None  # the city's name, for a case the city sent down
    reported_up: dict | None  # {"at", "by", "unit", "reason"} once reported
    may_report_up: bool


def _city_of(session: Session, region_id: int) -> Region | None:
    region = session.get(Region, region_id)
    if region is None or region.kind != "county" or region.parent_id is None:
        return None
    return session.get(Region, region.parent_id)


def levels_view(session: Session, actor: Actor, case: Case) -> LevelsView:
    sent = case.data.get("sent_down") or {}
    origin = session.get(Region, sent["from_region_id"]) if sent.get("from_region_id") else None
    reported = case.data.get("reported_up")
    may = (reported is None and case.closed_at is None and actor.may("report_up")
           and actor.region_kind == "county" and can_act(actor, case))
    return LevelsView(origin.name if origin else None, reported, may)


def _city_recipients(session: Session, city: Region) -> list[Recipient]:
    """The city's supervisors (市信联办) and the staff of the city's own bureau who register and
    route matters (市信访局): the roles table names them, by scope and permission."""
    directory = Directory(session)
    out: dict[int, Recipient] = {}
    for r in ROLE_TABLE:
        if not r.account:
            continue
        if r.scope == "city" and r.may("supervise"):
            found = directory.anywhere(r.id)
        elif r.scope == "county" and r.may("register"):
            found = directory.in_region(city.id, r.id)
        else:
            continue
        for recipient in found:
            out.setdefault(recipient.user_id, recipient)
    return list(out.values())


def _check_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    problem = "请填写上报的情况说明。" if not reason else text_problem(
        reason, "情况说明", limit=REASON_MAX, multiline=True)
    if problem:
        raise ValidationError(problem, fields={"reason": problem})
    return reason


@retry_conflicts
def report_up(session: Session, actor: Actor, now: datetime, case_id: int, reason: str, *,
              config: NotifyConfig | None = None) -> Case:
    """重大紧急信访事项向市级报告 (信访工作条例第二十五条): once per case, by the county's bureau."""
    with write_transaction(session):
        require_permission(actor, "report_up")
        if actor.region_kind != "county":
            raise PermissionDenied("只有县（区）可以向市级报告重大紧急信访事项。")
        case = load_case(session, case_id, for_update=True)
        require_act(actor, case)
        if case.closed_at is not None:
            raise ValidationError("该信访事项已办结，不能再上报重大紧急事项。")
        if case.data.get("reported_up"):
            raise ValidationError("该信访事项已向市级报告过重大紧急情况。")
        reason = _check_reason(reason)
        city = _city_of(session, case.region_id)
        if city is None:
            raise PermissionDenied("只有县（区）的信访事项可以向市级报告。")
        unit = session.get(Unit, actor.unit_id)
        county = session.get(Region, case.region_id)
        case.major_urgent = True
        case.upper_region_id = city.id  # the city's bureau follows it from now on
        case.data = {**case.data, "reported_up": {
            "at": now.isoformat(), "by": actor.username, "unit": unit.name, "reason": reason}}
        case.updated_at = now
        audit = AuditBatch(actor, now)
        audit.add("major_urgent_reported", case_id=case.id, to_region_id=city.id,
                  article=ARTICLE, reason=reason)
        title = f"【重大紧急】{county.name}上报 {case.case_no}"
        body = (f"信访件编号：{case.case_no}\n上报单位：{unit.name}\n"
                f"事项摘要：{mask_free_text(case.summary)}\n情况说明：{mask_free_text(reason)}\n"
                f"依据：{ARTICLE}（重大、紧急信访事项应当及时报告）。请及时研判，必要时督办。")
        outbox = Outbox(config or NotifyConfig.load(), now)
        post(session, outbox, _city_recipients(session, city), key=f"report_up:{case.id}",
             kind="report_up", title=title, body=body, now=now, case_id=case.id)
        session.add_all(outbox.rows)
        audit.flush(session)
    return case
