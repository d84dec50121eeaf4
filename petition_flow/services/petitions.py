"""Use cases on a petition: register it, fire a transition, list what may be done.

Each use case validates, lets the domain engine decide, writes state, clocks,
notices and audit entries, and commits once; on any error it rolls back, so a
refused action changes nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from ..clock import local_date
from ..db import write_transaction
from ..domain.engine import WorkflowEngine
from ..domain.guards import CATEGORIES, CaseView, ClockView
from ..domain.registry import DEFAULT_WORKFLOW, engines
from ..domain.spec import TriggerSpec
from ..errors import ConcurrentChangeError, NotFoundError, PermissionDenied
from ..models import Case, CaseNumber, Party, Region, Unit
from ..paths import templates_dir, workflows_dir
from .actions import ACTION_IMPLEMENTATIONS, ActionContext, unit_in_scope
from .actor import Actor, can_act, require_act, require_role, require_view
from .audit import AuditBatch
from .calendars import current_calendar
from .clocks import extend_clock, latest_clock, start_clock, sync_with_state
from .notices import CHANNELS, CaseFacts, issue_notice
from .registration import RegistrationForm, validate_registration
from .repeats import RepeatMatch, find_repeats

CASE_COLUMNS = ("category", "route", "litigation_related", "simple", "major_urgent")
QUERY_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def all_engines() -> dict[str, WorkflowEngine]:
    return engines(workflows_dir(), templates_dir())


def engine_for(case: Case) -> WorkflowEngine:
    return all_engines()[case.workflow]


def load_case(session: Session, case_id: int, *, for_update: bool = False) -> Case:
    stmt = (select(Case).where(Case.id == case_id)
            .options(selectinload(Case.clocks), selectinload(Case.parties)))
    if for_update:
        stmt = stmt.with_for_update(of=Case)
    case = session.execute(stmt).scalar_one_or_none()
    if case is None:
        raise NotFoundError("未找到该信访事项。")
    return case


def get_case(session: Session, actor: Actor, case_id: int) -> Case:
    case = load_case(session, case_id)
    require_view(actor, case)
    return case


def case_view(session: Session, case: Case, today: date) -> CaseView:
    engine = engine_for(case)
    clocks = {}
    for rule_id, rule in engine.spec.clocks.items():
        clock = latest_clock(case, rule_id)
        if clock is not None:
            clocks[rule_id] = ClockView(clock.label, clock.status, clock.due_date,
                                        clock.extension_days, rule.max_extension_days)
    repeat_state, repeat_final = None, False
    if case.repeat_of_id is not None:
        original = session.get(Case, case.repeat_of_id)
        repeat_state = original.state
        repeat_final = bool(original.data.get("recheck_concluded"))
    return CaseView(state=case.state, today=today, category=case.category, route=case.route,
                    litigation_related=case.litigation_related, simple=case.simple,
                    repeat_of_state=repeat_state, repeat_of_final=repeat_final,
                    data=case.data, clocks=clocks)


def available_triggers(session: Session, actor: Actor, case: Case,
                       now: datetime) -> list[TriggerSpec]:
    """What this actor may do on this case now (the pages and the API show only these)."""
    if not can_act(actor, case):
        return []
    view = case_view(session, case, local_date(now))
    return engine_for(case).available(view, actor.role)


def case_facts(session: Session, case: Case) -> CaseFacts:
    region = session.get(Region, case.region_id)
    unit = session.get(Unit, case.responsible_unit_id) if case.responsible_unit_id else None
    names = "、".join(p.name for p in case.parties) if not case.anonymous else "匿名信访人"
    return CaseFacts(
        case_no=case.case_no, query_code=case.query_code,
        received_on=local_date(case.received_at), channel_label=CHANNELS[case.channel],
        summary=case.summary, request=case.request, facts_and_reasons=case.facts_and_reasons,
        region_name=region.name, responsible_unit_name=unit.name if unit else None,
        petitioner_names=names, category_label=CATEGORIES.get(case.category or ""),
        collective=case.collective,
    )


@dataclass
class Registered:
    case: Case
    matches: list[RepeatMatch] = field(default_factory=list)


def _next_case_no(session: Session, region: Region, year: int) -> str:
    counter = session.execute(
        select(CaseNumber).where(CaseNumber.region_id == region.id, CaseNumber.year == year)
        .with_for_update()
    ).scalar_one_or_none()
    if counter is None:
        counter = CaseNumber(region_id=region.id, year=year, last_no=0)
        session.add(counter)
    counter.last_no += 1
    return f"{region.division_code}-{year}-{counter.last_no:06d}"


def register_petition(session: Session, actor: Actor, now: datetime,
                      form: dict[str, Any]) -> Registered:
    """登记: record a petition, start its clocks, issue the 两告知; look for repeats first."""
    require_role(actor, "reception")
    try:
        with write_transaction(session):
            clean = validate_registration(form, now)
            matches = find_repeats(session, actor, clean)
            clean.check_repeat_decision(matches)
            case = _create_case(session, actor, now, clean)
    except IntegrityError:
        raise ConcurrentChangeError("登记时发生冲突，请重试。") from None
    return Registered(case, matches)


def _create_case(session: Session, actor: Actor, now: datetime,
                 clean: RegistrationForm) -> Case:
    engine = all_engines()[DEFAULT_WORKFLOW]
    spec = engine.spec
    region = session.get(Region, actor.region_id)
    today = local_date(now)
    case = Case(
        case_no=_next_case_no(session, region, today.year),
        query_code="".join(secrets.choice(QUERY_ALPHABET) for _ in range(8)),
        workflow=spec.name, workflow_version=spec.version, state=spec.initial,
        region_id=region.id, registered_unit_id=actor.unit_id, channel=clean.channel,
        received_at=clean.received_at, summary=clean.summary, request=clean.request,
        facts_and_reasons=clean.facts_and_reasons, major_urgent=clean.major_urgent,
        collective=clean.collective, anonymous=clean.anonymous,
        repeat_of_id=clean.repeat_of_id, data=clean.extra_data(), created_at=now,
        updated_at=now,
    )
    case.parties = [Party(**p) for p in clean.petitioners]
    session.add(case)
    session.flush()
    audit = AuditBatch(actor, now)
    audit.add("case_registered", case_id=case.id, to_state=case.state, case_no=case.case_no,
              channel=case.channel, received_at=case.received_at, summary=case.summary,
              petitioners=len(case.parties), collective=case.collective,
              repeat_of_id=case.repeat_of_id, repeat_reason=clean.repeat_reason,
              **({"late_reason": clean.late_reason} if clean.late_reason else {}))
    calendar = current_calendar(session)
    for start in spec.register_start:
        trigger = local_date(case.received_at) if start.from_ == "received" else today
        start_clock(case, spec.clock_for(start.clock, region.code), trigger, now, calendar,
                    spec.version, audit, spec.warning_levels)
    _issue(session, case, spec.register_notices, actor, now, {}, audit)
    audit.flush(session)
    return case


def _issue(session, case, notice_ids, actor, now, data, audit) -> None:
    if not notice_ids:
        return
    spec = engine_for(case).spec
    facts = case_facts(session, case)
    issuer = session.get(Unit, actor.unit_id).name if actor.unit_id else "信访工作机构"
    for nid in notice_ids:
        session.add(issue_notice(case, spec.notices[nid], facts, issuer, actor, now, data, audit))


def fire_transition(session: Session, actor: Actor, now: datetime, case_id: int, trigger: str,
                    inputs: dict[str, Any] | None = None,
                    expected_version: int | None = None) -> Case:
    """Fire ``trigger`` on a case for ``actor`` at ``now``; one transaction, all or nothing."""
    try:
        with write_transaction(session):
            case = load_case(session, case_id, for_update=True)
            if actor.role != "petitioner":  # the public page has matched the query code already
                require_act(actor, case)
            if expected_version is not None and case.version_id != expected_version:
                raise ConcurrentChangeError()
            _fire(session, actor, now, case, trigger, inputs or {})
    except StaleDataError:
        raise ConcurrentChangeError() from None
    return case


def _fire(session: Session, actor: Actor, now: datetime, case: Case, trigger: str,
          raw: dict[str, Any]) -> None:
    engine = engine_for(case)
    spec = engine.spec
    today = local_date(now)
    view = case_view(session, case, today)
    decision = engine.decide(view, trigger, actor.role, raw)
    for spec_input in decision.trigger.inputs:
        if spec_input.type == "unit" and spec_input.name in decision.inputs:
            unit_in_scope(session, case, decision.inputs[spec_input.name], spec_input.name)
    before = case.state
    after = engine.fire(view, decision)
    audit = AuditBatch(actor, now)
    inputs = decision.inputs
    case.state, case.updated_at = after, now
    stored = _jsonable(inputs)
    case.data = {**case.data, trigger: stored}
    for column in CASE_COLUMNS:
        if column in inputs:
            value = inputs[column]
            setattr(case, column, int(value) if column == "route" else value)
    audit.add("transition", case_id=case.id, from_state=before, to_state=after,
              trigger=trigger, label=decision.trigger.label, inputs=stored)
    ctx = ActionContext(session, case, actor, now, inputs, audit)
    for name in decision.transition.actions:
        ACTION_IMPLEMENTATIONS[name](ctx)
    calendar = current_calendar(session)
    region_code = session.get(Region, case.region_id).code
    sync_with_state(case, spec, today, now, calendar, audit)
    for start in decision.transition.start:
        origin = {"event": today, "received": local_date(case.received_at)}.get(start.from_)
        origin = origin or inputs[start.from_]
        start_clock(case, spec.clock_for(start.clock, region_code), origin, now, calendar,
                    spec.version, audit, spec.warning_levels)
    notice_data = _notice_data(session, case, decision, inputs)
    ext = decision.transition.extend
    if ext is not None:
        src, _, name = ext.days_from.partition(".")
        days = int(case.data[src][name])
        clock = extend_clock(case, ext.clock, days, spec.clock_for(ext.clock, region_code),
                             calendar, audit, spec.warning_levels)
        notice_data.update(days=days, reason=case.data[src].get("reason"),
                           new_due_date=clock.due_date)
    if spec.states[after].final or after == "concluded":
        case.closed_at = case.closed_at or now
    _issue(session, case, decision.transition.notices, actor, now, notice_data, audit)
    audit.flush(session)


def _notice_data(session, case, decision, inputs) -> dict[str, Any]:
    data = dict(inputs)
    for spec_input in decision.trigger.inputs:
        if spec_input.type == "choice" and spec_input.name in inputs:
            data[f"{spec_input.name}_label"] = spec_input.choice_label(inputs[spec_input.name])
        if spec_input.type == "unit" and spec_input.name in inputs:
            data["unit_name"] = session.get(Unit, inputs[spec_input.name]).name
    if decision.trigger.name in ("transfer", "assign"):
        data["mode_label"] = decision.trigger.label
    if case.repeat_of_id is not None:
        data["original_case_no"] = session.get(Case, case.repeat_of_id).case_no
    return data


def _jsonable(inputs: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in inputs.items()}


__all__ = ["PermissionDenied", "Registered", "available_triggers", "fire_transition",
           "get_case", "register_petition"]
