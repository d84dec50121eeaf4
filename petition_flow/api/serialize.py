"""JSON shapes of the API (documented in openapi.py). Dates are ISO 8601; instants carry
their offset and are given in China time, the time the petition work is done in."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..clock import CHINA_TZ
from ..domain.labels import audit_label
from ..domain.spec import InputSpec, TriggerSpec, WorkflowSpec
from ..models import AuditEntry, Case, Clock, Notice, Region, Unit
from ..services.actions import units_in_scope
from ..services.actor import Actor
from ..services.clocks import clock_level
from ..services.disclosure import (
    UNMASKED,
    decide,
    parties_for,
    query_code_for,
    row_text_for,
    text_for,
)
from ..services.inbox import AlertEntry, AlertPage
from ..services.queries import CasePage, CountyFigures
from ..services.repeats import RepeatMatch


def instant(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(CHINA_TZ).isoformat()


def day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def step_of(spec: WorkflowSpec, state: str) -> dict[str, str]:
    step = spec.step_of(state)
    return {"key": step.key, "label": step.label}


def deadline(clock: Clock, today: date) -> dict[str, Any]:
    return {
        "clock": clock.rule, "label": clock.label, "basis": clock.article, "unit": clock.unit,
        "days": clock.days, "extension_days": clock.extension_days,
        "trigger_date": day(clock.trigger_date), "due_date": day(clock.due_date),
        "provisional": clock.provisional, "explanation": clock.explanation,
        "status": clock.status, "duty": clock.duty, "level": clock_level(clock, today),
    }


def repeat(match: RepeatMatch) -> dict[str, Any]:
    return {"id": match.case_id, "case_no": match.case_no, "state": match.state,
            "received_on": day(match.received_on), "summary": match.summary,
            "score": match.score, "open": match.open, "finalized": match.finalized}


def registered(case: Case, spec: WorkflowSpec, matches: list[RepeatMatch],
               today: date) -> dict[str, Any]:
    return {
        "id": case.id, "case_no": case.case_no, "query_code": case.query_code,
        "state": case.state, "state_label": spec.states[case.state].label,
        "step": step_of(spec, case.state), "version": case.version_id,
        "deadlines": [deadline(c, today) for c in case.clocks],
        "repeats": [repeat(m) for m in matches],
    }


def case_page(session: Session, actor: Actor, page: CasePage,
              spec: WorkflowSpec) -> dict[str, Any]:
    codes = dict(session.execute(select(Region.id, Region.code)).all())
    items = [{
        "id": row.id, "case_no": row.case_no, "state": row.state,
        "state_label": spec.states[row.state].label if row.state in spec.states else row.state,
        "step": step_of(spec, row.state), "summary": row_text_for(actor, row, row.summary),
        "county": codes[row.region_id], "received_at": instant(row.received_at),
        "category": row.category, "next_due": day(row.next_due),
        "responsible_unit_id": row.responsible_unit_id,
        "first_handler_unit_id": row.first_handler_unit_id,
    } for row in page.rows]
    return {"items": items, "total": page.total, "page": page.page, "per_page": page.per_page}


def _unit(session: Session, unit_id: int | None) -> dict[str, Any] | None:
    unit = session.get(Unit, unit_id) if unit_id else None
    return None if unit is None else {"id": unit.id, "name": unit.name}


def field(session: Session, case: Case, spec: InputSpec) -> dict[str, Any]:
    choices: list[dict[str, Any]] = [{"value": v, "label": label} for v, label in spec.choices]
    if spec.type == "unit":
        choices = [{"value": u.id, "label": u.name} for u in units_in_scope(session, case)
                   if u.id != case.responsible_unit_id]
    return {"name": spec.name, "label": spec.label, "type": spec.type,
            "required": spec.required, "required_if": dict(spec.required_if),
            "choices": choices, "min": spec.min, "max": spec.max,
            "not_after_today": spec.not_after_today}


def trigger(session: Session, case: Case, spec: TriggerSpec) -> dict[str, Any]:
    return {"trigger": spec.name, "label": spec.label,
            "fields": [field(session, case, i) for i in spec.inputs]}


def _timeline(session: Session, case: Case) -> list[dict[str, Any]]:
    entries = session.execute(
        select(AuditEntry).where(AuditEntry.case_id == case.id).order_by(AuditEntry.seq)
    ).scalars()
    out = []
    for e in entries:
        details = e.details or {}
        label = details.get("label") if e.action == "transition" else audit_label(e.action)
        if e.action == "notice_issued":
            label = f"出具《{details.get('title', '')}》"
        elif e.action.startswith("deadline_") and details.get("label"):
            label = f"{details['label']}：{label}"
        out.append({"seq": e.seq, "at": instant(e.at), "action": e.action, "label": label or "",
                    "actor": {"username": e.actor_username, "role": e.actor_role},
                    "from_state": e.from_state, "to_state": e.to_state,
                    "trigger": details.get("trigger") if e.action == "transition" else None})
    return out


def case_detail(session: Session, actor: Actor, case: Case, spec: WorkflowSpec,
                triggers: list[TriggerSpec], today: date, revealed=None) -> dict[str, Any]:
    """The case as the disclosure policy shows it: petitioners masked unless ``revealed``
    (the parties an audited reveal just returned)."""
    region = session.get(Region, case.region_id)
    parties = parties_for(case, revealed)
    notices = session.execute(
        select(Notice).where(Notice.case_id == case.id).order_by(Notice.id)).scalars()
    first = None
    if case.first_handler_unit_id is not None:
        first = {"unit": _unit(session, case.first_handler_unit_id),
                 "user_id": case.first_handler_user_id,
                 "handled_at": instant(case.first_handled_at)}
    return {
        "id": case.id, "case_no": case.case_no,
        "query_code": query_code_for(actor, case),
        "workflow": case.workflow, "version": case.version_id, "state": case.state,
        "state_label": spec.states[case.state].label, "step": step_of(spec, case.state),
        "channel": case.channel, "received_at": instant(case.received_at),
        "summary": text_for(actor, case, case.summary),
        "request": text_for(actor, case, case.request),
        "facts_and_reasons": text_for(actor, case, case.facts_and_reasons),
        "category": case.category,
        "route": case.route, "litigation_related": case.litigation_related,
        "simple": case.simple, "major_urgent": case.major_urgent,
        "collective": case.collective, "anonymous": case.anonymous,
        "county": {"code": region.code, "name": region.name},
        "registered_unit": _unit(session, case.registered_unit_id),
        "responsible_unit": _unit(session, case.responsible_unit_id),
        "first_handler": first, "repeat_of_id": case.repeat_of_id,
        "listed_supervision": case.listed_supervision,
        "parties_masked": parties.masked,
        "parties_may_reveal": decide(actor, case, "reveal") == UNMASKED,
        "parties": [{"name": p.name, "id_number": p.id_number or None, "phone": p.phone or None,
                     "address": p.address or None, "representative": p.representative}
                    for p in parties.items],
        "deadlines": [deadline(c, today) for c in case.clocks],
        "notices": [{"id": n.id, "kind": n.kind, "title": n.title,
                     "issued_at": instant(n.issued_at)} for n in notices],
        "timeline": _timeline(session, case),
        "available_triggers": [trigger(session, case, t) for t in triggers],
        "created_at": instant(case.created_at), "updated_at": instant(case.updated_at),
        "closed_at": instant(case.closed_at),
    }


def county_figures(figures: list[CountyFigures], today: date) -> dict[str, Any]:
    return {"today": day(today), "counties": [{
        "county": f.region_code, "name": f.region_name, "pilot": f.pilot,
        "open_by_step": f.open_by_step, "open_total": f.open_total, "due_soon": f.due_soon,
        "overdue": f.overdue, "handled": f.handled, "handled_on_time": f.handled_on_time,
        "on_time_rate": f.on_time_rate, "first_handled": f.first_handled,
        "first_handler_completed": f.first_handler_completed,
        "first_handler_rate": f.first_handler_rate,
    } for f in figures]}


def alert(entry: AlertEntry) -> dict[str, Any]:
    item, raised = entry.item, entry.alert
    return {
        "id": item.id, "alert_id": raised.id, "level": raised.level,
        "case_id": raised.case_id, "case_no": entry.case_no, "subject": raised.subject,
        "clock": entry.clock, "order_id": raised.order_id, "due_date": day(raised.due_date),
        "reached_at": instant(raised.reached_at), "raised_at": instant(raised.raised_at),
        "title": item.title, "body": item.body, "read": item.read_at is not None,
        "read_at": instant(item.read_at),
    }


def alert_page(page: AlertPage) -> dict[str, Any]:
    return {"items": [alert(e) for e in page.entries], "total": page.total,
            "unread": page.unread, "page": page.page, "per_page": page.per_page}


def report(r) -> dict[str, Any]:
    """A statistics report (services/statistics.py): the period, the definitions and every
    figure per group and in total, with the numerator and denominator of each rate."""
    def group(g) -> dict[str, Any]:
        return {"key": g.key, "label": g.label, "figures": {
            k: {"value": f.value, "numerator": f.numerator, "denominator": f.denominator}
            for k, f in g.figures.items()}}

    return {"period": {"from": r.period.start.isoformat(), "to": r.period.end.isoformat(),
                       "time_zone": "Asia/Shanghai"},
            "group_by": r.group_by,
            "definitions": [{"key": d.key, "name": d.name, "formula": d.formula,
                             "kind": d.kind} for d in r.definitions],
            "groups": [group(g) for g in r.groups], "total": group(r.total)}
