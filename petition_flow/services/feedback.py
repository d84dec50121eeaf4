"""What a petitioner sends back from the query page: a satisfaction evaluation (满意度评价)
and a 复查/复核 request.

- Evaluation (国信发〔2022〕11号 and Shaanxi's 满意度评价工作办法, domain.md §5): 满意 / 基本满意 /
  不满意 for the handling unit and for the petition bureau's work, with a comment, once per
  case, within the configured window after the reply was delivered. 不满意 opens a follow-up
  (回访) task in the inbox of the county's supervisors. An evaluation never changes the
  case's legal state: no transition is fired, no window opens or closes.
- 复查/复核 request (第三十五条、第三十六条): only where the workflow opens one now
  (portal.request_options); it is stored with the day it was received — the decision period
  runs from receipt (domain.md §8) — and the staff who record requests are told.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..clock import local_date
from ..db import write_transaction
from ..domain.roles import NOTIFY_ROLES, ROLE_TABLE
from ..errors import TransitionNotAllowed, ValidationError
from ..models import AuditEntry, Case, Evaluation, PetitionerRequest
from . import sms
from .audit import AuditBatch
from .inbox import Directory, post
from .notify import NotifyConfig, Outbox
from .petitions import engine_for
from .portal import evaluation_due, petitioner_actor, request_options

RATINGS = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}
QUESTIONS = {"unit_rating": "对承办单位办理结果的评价", "bureau_rating": "对信访工作机构工作的评价"}
COMMENT_MAX = 1000
REASONS_MAX = 4000


def _rating(form: dict, key: str, errors: dict) -> str:
    value = str(form.get(key) or "")
    if value not in RATINGS:
        errors[key] = f"请选择{QUESTIONS[key]}。"
    return value


def _county_supervisors() -> tuple[str, ...]:
    """Who follows up a 不满意: the county-level supervisors of the roles table."""
    return tuple(r.id for r in ROLE_TABLE if r.may("supervise") and r.scope == "county")


def _tell(session: Session, now: datetime, config: NotifyConfig | None, case: Case,
          roles, *, key: str, kind: str, title: str, body: str) -> int:
    recipients = Directory(session).resolve(roles, unit_id=case.responsible_unit_id,
                                            region_id=case.region_id)
    outbox = Outbox(config or NotifyConfig.load(), now)
    posted = post(session, outbox, recipients, key=key, kind=kind, title=title, body=body,
                  now=now, case_id=case.id)
    session.add_all(outbox.rows)
    return posted


def evaluate(session: Session, now: datetime, case: Case, form: dict, *, window_days: int,
             address: str = "", config: NotifyConfig | None = None) -> Evaluation:
    """Record the petitioner's evaluation; 不满意 opens a 回访 task for the supervisors."""
    errors: dict[str, str] = {}
    unit_rating = _rating(form, "unit_rating", errors)
    bureau_rating = _rating(form, "bureau_rating", errors)
    comment = str(form.get("comment") or "").strip()
    if len(comment) > COMMENT_MAX:
        errors["comment"] = f"评价意见不能超过{COMMENT_MAX}字。"
    if errors:
        raise ValidationError("请完成评价后再提交。", fields=errors)
    with write_transaction(session):
        case = session.get(Case, case.id, populate_existing=True)
        due = evaluation_due(case, window_days)
        if due is None:
            raise TransitionNotAllowed("处理意见尚未送达，暂不能评价。")
        if local_date(now) > due:
            raise TransitionNotAllowed(f"评价期限已于{due.year}年{due.month}月{due.day}日届满，"
                                       "不能再评价。")
        if session.execute(select(Evaluation.id).where(Evaluation.case_id == case.id)).first():
            raise TransitionNotAllowed("本信访事项已经评价过。")
        row = Evaluation(case_id=case.id, unit_rating=unit_rating, bureau_rating=bureau_rating,
                         comment=comment, channel="web", created_at=now)
        session.add(row)
        session.flush()
        audit = AuditBatch(petitioner_actor(case, address), now)
        audit.add("petitioner_evaluated", case_id=case.id, unit_rating=unit_rating,
                  bureau_rating=bureau_rating, comment=bool(comment))
        if "dissatisfied" in (unit_rating, bureau_rating):
            told = _tell(session, now, config, case, _county_supervisors(),
                         key=f"followup:{row.id}", kind="followup",
                         title=f"信访人不满意，请安排回访：{case.case_no}",
                         body=_followup_body(unit_rating, bureau_rating, comment))
            audit.add("followup_task_opened", case_id=case.id, evaluation_id=row.id,
                      recipients=told)
        audit.flush(session)
    return row


def _followup_body(unit_rating: str, bureau_rating: str, comment: str) -> str:
    lines = [f"{QUESTIONS['unit_rating']}：{RATINGS[unit_rating]}",
             f"{QUESTIONS['bureau_rating']}：{RATINGS[bureau_rating]}"]
    if comment:
        lines.append(f"评价意见：{comment}")
    lines.append("请了解不满意的原因，开展回访并记录回访情况。")
    return "\n".join(lines)


def request_review(session: Session, now: datetime, case: Case, trigger: str, reasons: str,
                   *, address: str = "", config: NotifyConfig | None = None,
                   settings: Mapping[str, Any] | None = None) -> PetitionerRequest:
    """Receive a 复查/复核 request online, for staff to record with its received date."""
    reasons = (reasons or "").strip()
    if not reasons:
        raise ValidationError("请填写请求及理由。", fields={"reasons": "请填写请求及理由。"})
    if len(reasons) > REASONS_MAX:
        message = f"请求及理由不能超过{REASONS_MAX}字。"
        raise ValidationError(message, fields={"reasons": message})
    with write_transaction(session):
        case = session.get(Case, case.id, populate_existing=True)
        options = {o.trigger: o for o in request_options(session, case, local_date(now))}
        if trigger not in options:
            raise TransitionNotAllowed("本信访事项当前不能申请复查或复核，或申请期限已届满。")
        pending = session.execute(select(PetitionerRequest.id).where(
            PetitionerRequest.case_id == case.id, PetitionerRequest.kind == trigger,
            PetitionerRequest.status == "pending")).first()
        if pending:
            raise TransitionNotAllowed("您已提交过该申请，正在等待工作人员登记。")
        row = PetitionerRequest(case_id=case.id, kind=trigger, reasons=reasons,
                                received_at=now, status="pending")
        session.add(row)
        session.flush()
        label = options[trigger].label
        roles = [r for r in engine_for(case).spec.triggers[trigger].roles if r in NOTIFY_ROLES]
        audit = AuditBatch(petitioner_actor(case, address), now)
        told = _tell(session, now, config, case, roles, key=f"request:{row.id}",
                     kind="request", title=f"网上{label}请求，请登记：{case.case_no}",
                     body=f"信访人于{local_date(now).isoformat()}在网上提出{label}请求，"
                          f"收到日期以此为准。\n请求及理由：{reasons}")
        audit.add("petitioner_request_received", case_id=case.id, request_id=row.id,
                  kind=trigger, received_at=now, recipients=told)
        audit.flush(session)
        sms.queue(session, case, now, settings)
    return row


def request_label(case: Case, trigger: str) -> str:
    found = engine_for(case).spec.triggers.get(trigger)
    return found.label if found else trigger


# --- what staff see on the case page ------------------------------------------------------

@dataclass(frozen=True)
class RequestView:
    request: PetitionerRequest
    label: str
    recorded: bool  # staff have fired the trigger since it was received


@dataclass(frozen=True)
class StaffFeedback:
    evaluation: Evaluation | None  # the petitioner's own, online
    requests: list[RequestView]
    recorded_rating: str | None  # an evaluation staff recorded with the workflow's trigger
    recorded_comment: str


def _recorded(case: Case) -> tuple[str | None, str]:
    """The evaluation staff entered (the trigger tagged ``evaluation``), as its label."""
    spec = engine_for(case).spec
    name = spec.tagged_one("evaluation")
    trigger = spec.triggers.get(name) if name else None
    stored = case.data.get(name) or {} if name else {}
    if trigger is None or not stored.get("rating"):
        return None, ""
    rating = next((i.choice_label(stored["rating"]) for i in trigger.inputs
                   if i.name == "rating"), stored["rating"])
    return rating, str(stored.get("comment") or "")


def staff_feedback(session: Session, case: Case) -> StaffFeedback:
    """Every evaluation and online request of a case the caller may view."""
    evaluation = session.execute(select(Evaluation).where(Evaluation.case_id == case.id)
                                 ).scalar_one_or_none()
    spec = engine_for(case).spec
    fired = session.execute(select(AuditEntry.at, AuditEntry.details).where(
        AuditEntry.case_id == case.id, AuditEntry.action == "transition")).all()
    out = []
    for row in session.execute(select(PetitionerRequest).where(
            PetitionerRequest.case_id == case.id).order_by(PetitionerRequest.id)).scalars():
        recorded = any(at >= row.received_at and (d or {}).get("trigger") == row.kind
                       for at, d in fired)
        trigger = spec.triggers.get(row.kind)
        out.append(RequestView(row, trigger.label if trigger else row.kind, recorded))
    return StaffFeedback(evaluation, out, *_recorded(case))
