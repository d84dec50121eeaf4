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

from sqlalchemy import bindparam, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from ..clock import local_date
from ..db import retry_conflicts, write_transaction
from ..domain.guards import CATEGORIES, CaseView, ClockView
from ..domain.registry import DEFAULT_WORKFLOW
from ..domain.spec import ClockRule, TriggerSpec
from ..errors import ConcurrentChangeError, NotFoundError, PermissionDenied, ValidationError
from ..models import AuditEntry, Case, CaseAccused, CaseNumber, Party, Recusal, Region, Unit
from . import scope
from .actions import ACTION_IMPLEMENTATIONS, ActionContext, unit_in_scope
from .actor import Actor, can_act, require_act, require_permission, require_view
from .audit import AuditBatch
from .calendars import CalendarInForce, current_calendar
from .clocks import (
    extend_clock,
    latest_clock,
    open_clock,
    refresh_next_due,
    start_clock,
    sync_with_state,
)
from .dbutil import bump_counter
from .notices import CHANNELS, CaseFacts, issue_notice
from .org import BUREAU_KIND
from .registration import RegistrationForm, validate_registration
from .repeats import RepeatMatch, find_repeats, repeat_blocks
from .workflows import all_engines, engine_for

QUERY_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def load_case(session: Session, case_id: int, *, for_update: bool = False) -> Case:
    """The case with its clocks, county and responsible unit, in one statement (issue 18: a step used to spend five).

    Beside the row come whether anyone is accused in it or recused from it (第三十条第三款,
    第二十八条第三款) and the day it entered its state: where nobody is, those collections are
    set empty instead of being queried again by the access rules. The parties come with a
    case read for viewing; a write loads them only if it needs them (a notice names them)."""
    stmt = _LOAD_FOR_UPDATE if for_update else _LOAD_FOR_VIEW
    row = session.execute(stmt, {"case_id": case_id}).unique().first()
    if row is None:
        raise NotFoundError("未找到该信访事项。")
    case, any_accused, any_recused, entered_at = row
    if not any_accused and "accused" not in case.__dict__:
        set_committed_value(case, "accused", [])
    if not any_recused and "recusals" not in case.__dict__:
        set_committed_value(case, "recusals", [])
    session.info.setdefault("state_entered_at", {})[(case.id, case.state, case.version_id)] = entered_at
    return case


def get_case(session: Session, actor: Actor, case_id: int) -> Case:
    """The case if the actor may view it. The scope is checked on the bare row first, so a
    case outside it costs what a missing one costs: neither answer nor timing tells them apart."""
    row = session.execute(select(Case.id, Case.region_id, Case.upper_region_id,
                                 Case.responsible_unit_id, Case.first_handler_unit_id,
                                 Case.category)
                          .where(Case.id == case_id)).first()
    if row is None or not scope.matches(actor, row):
        raise NotFoundError("未找到该信访事项。")
    case = load_case(session, case_id)
    require_view(actor, case)  # and the rules that need the whole case (第三十条: accused)
    return case


def case_view(session: Session, case: Case, today: date) -> CaseView:
    engine = engine_for(case)
    clocks = {}
    for rule_id, rule in engine.spec.clocks.items():
        clock = latest_clock(case, rule_id)
        if clock is not None:
            clocks[rule_id] = ClockView(clock.label, clock.status, clock.due_date,
                                        clock.extension_days, rule.max_extension_days,
                                        clock.trigger_date)
    repeat_state, repeat_final, repeat_pending = None, False, False
    if case.repeat_of_id is not None:
        original = session.get(Case, case.repeat_of_id)
        repeat_state = original.state
        repeat_final = bool(original.data.get("recheck_concluded"))
        repeat_pending = repeat_blocks(original, today)
    unit = session.get(Unit, case.responsible_unit_id) if case.responsible_unit_id else None
    return CaseView(state=case.state, today=today, category=case.category, route=case.route,
                    litigation_related=case.litigation_related, simple=case.simple,
                    repeat_of_state=repeat_state, repeat_of_final=repeat_final,
                    repeat_of_pending=repeat_pending, data=case.data, clocks=clocks,
                    received_on=local_date(case.received_at), tagged=engine.spec.trigger_tags(),
                    state_entered_on=_state_entered_on(session, case),
                    with_petition_bureau=unit is not None and unit.kind == BUREAU_KIND)


# The last entry that brought a case into its state (a self-transition does not count).
_ENTERED_AT = (
    select(AuditEntry.at).where(AuditEntry.case_id == Case.id,
                                AuditEntry.action.in_(("transition", "case_registered")),
                                AuditEntry.to_state == Case.state,
                                or_(AuditEntry.from_state.is_(None),
                                    AuditEntry.from_state != Case.state))
    .order_by(AuditEntry.seq.desc()).limit(1).correlate(Case).scalar_subquery())
_ANY_ACCUSED = exists().where(CaseAccused.case_id == Case.id).correlate(Case)
_ANY_RECUSED = exists().where(Recusal.case_id == Case.id).correlate(Case)


# Built once: a step does not pay for composing and keying the statement again.
_LOAD = (select(Case, _ANY_ACCUSED, _ANY_RECUSED, _ENTERED_AT)
         .where(Case.id == bindparam("case_id"))
         .options(joinedload(Case.clocks), joinedload(Case.responsible_unit),
                  joinedload(Case.region)))
_LOAD_FOR_UPDATE = _LOAD.with_for_update(of=Case)
_LOAD_FOR_VIEW = _LOAD.options(selectinload(Case.parties))


def _state_entered_on(session: Session, case: Case) -> date:
    """The day the case entered its current state: read with the case by load_case, or
    asked now for a case read otherwise or whose state changed since."""
    known = session.info.get("state_entered_at", {})
    if (case.id, case.state, case.version_id) in known:
        at = known[(case.id, case.state, case.version_id)]
    else:
        at = session.execute(select(_ENTERED_AT).select_from(Case)
                             .where(Case.id == case.id)).scalar()
    return local_date(at) if at is not None else local_date(case.received_at)


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
    # A collective visit's notices go to its representatives (推选的代表，不超过5人: the
    # article registration.MAX_REPRESENTATIVES cites), not to everyone who came.
    if "parties" in case.__dict__:
        people = [(p.name, p.representative) for p in case.parties]
    else:  # names only: a notice needs no ID number, phone or address decrypted
        people = session.execute(select(Party.name, Party.representative)
                                 .where(Party.case_id == case.id).order_by(Party.id)).all()
    addressed = [name for name, rep in people if rep] if case.collective else []
    names = "、".join(addressed or [name for name, _ in people]) \
        if not case.anonymous else "匿名信访人"
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
    last_no = bump_counter(session, CaseNumber, {"region_id": region.id, "year": year})
    return f"{region.division_code}-{year}-{last_no:06d}"


@retry_conflicts
def register_petition(session: Session, actor: Actor, now: datetime,
                      form: dict[str, Any]) -> Registered:
    """登记: record a petition, start its clocks, issue the 两告知; look for repeats first."""
    require_permission(actor, "register")
    try:
        with write_transaction(session):
            clean = validate_registration(form, now)
            matches = find_repeats(session, actor, clean)
            clean.check_repeat_decision(matches)
            case = _create_case(session, actor, now, clean)
    except IntegrityError:
        raise ConcurrentChangeError("登记时发生冲突，请重试。") from None
    return Registered(case, matches)


def create_case(session: Session, actor: Actor, now: datetime,
                clean: RegistrationForm) -> Case:
    """The one registration write (reception, API and the online channel alike)."""
    return _create_case(session, actor, now, clean)


def _create_case(session: Session, actor: Actor, now: datetime,
                 clean: RegistrationForm) -> Case:
    engine = all_engines()[DEFAULT_WORKFLOW]
    spec = engine.spec
    if actor.unit_id is not None:
        session.get(Unit, actor.unit_id)  # with its region, kept for the notices (issue 18)
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
    case.clocks, case.accused, case.recusals = [], [], []  # new: nothing to read back
    # The clocks first, so that the case is inserted once with its nearest due date (issue
    # 18: an UPDATE straight after the INSERT); their entries get the case's id after it.
    clock_entries = AuditBatch(actor, now)
    with session.no_autoflush:
        calendar = current_calendar(session)
        for start in spec.register_start:
            trigger = local_date(case.received_at) if start.from_ == "received" else today
            _start_clocks(case, spec, start.clock, region.code, trigger, now, calendar,
                          clock_entries)
    refresh_next_due(case)
    session.add(case)
    session.flush()
    audit = AuditBatch(actor, now)
    audit.add("case_registered", case_id=case.id, to_state=case.state, case_no=case.case_no,
              channel=case.channel, received_at=case.received_at, summary=case.summary,
              petitioners=len(case.parties), collective=case.collective,
              repeat_of_id=case.repeat_of_id, repeat_reason=clean.repeat_reason,
              **({"late_reason": clean.late_reason} if clean.late_reason else {}))
    audit.entries.extend({**entry, "case_id": case.id} for entry in clock_entries.entries)
    _issue(session, case, spec.register_notices, actor, now, {}, audit)
    audit.flush(session)
    return case


def _issue(session, case, notice_ids, actor, now, data, audit) -> None:
    if not notice_ids:
        return
    spec = engine_for(case).spec
    facts = case_facts(session, case)
    issuer = (actor.unit_name or session.get(Unit, actor.unit_id).name) if actor.unit_id \
        else "信访工作机构"
    for nid in notice_ids:
        session.add(issue_notice(session, case, spec.notices[nid], facts, issuer, actor, now,
                                 data, audit))


@retry_conflicts
def fire_transition(session: Session, actor: Actor, now: datetime, case_id: int, trigger: str,
                    inputs: dict[str, Any] | None = None,
                    expected_version: int | None = None) -> Case:
    """Fire ``trigger`` on a case for ``actor`` at ``now``; one transaction, all or nothing."""
    try:
        with write_transaction(session):
            case = load_case(session, case_id, for_update=True)
            if not actor.role_def.public:  # the public page has matched the query code already
                require_act(actor, case)
            if expected_version is not None and case.version_id != expected_version:
                raise ConcurrentChangeError()
            # One flush, the audit's, before the commit: a query in the middle of the step
            # must not write half of it first (issue 18: that bumped version_id twice).
            with session.no_autoflush:
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
    down = "assign_responsible_unit" in decision.transition.actions  # 转送、交办 may go down
    for spec_input in decision.trigger.inputs:
        if spec_input.type == "unit" and spec_input.name in decision.inputs:
            unit_in_scope(session, case, decision.inputs[spec_input.name], spec_input.name,
                          down=down)
    before = case.state
    after = engine.fire(view, decision)
    audit = AuditBatch(actor, now)
    inputs = decision.inputs
    case.state, case.updated_at = after, now
    stored = _jsonable(inputs)
    case.data = {**case.data, trigger: stored}
    for name, column in decision.trigger.case_fields:  # the workflow's case_fields: map
        if name in inputs:
            value = inputs[name]
            setattr(case, column, int(value) if column == "route" else value)
    audit.add("transition", case_id=case.id, from_state=before, to_state=after,
              trigger=trigger, label=decision.trigger.label, inputs=stored)
    ctx = ActionContext(session, case, actor, now, inputs, audit, trigger,
                        decision.trigger.label)
    for name in decision.transition.actions:
        ACTION_IMPLEMENTATIONS[name](ctx)
    calendar = CalendarInForce(session)
    region_code = session.get(Region, case.region_id).code
    sync_with_state(case, spec, today, now, calendar, audit)
    for start in decision.transition.start:
        origin = {"event": today, "received": local_date(case.received_at)}.get(start.from_)
        origin = origin or inputs[start.from_]
        if start.until is not None:
            _start_set_clock(case, spec, start, origin, inputs[start.until], now, calendar,
                             audit)
            continue
        _start_clocks(case, spec, start.clock, region_code, origin, now, calendar, audit)
    notice_data = _notice_data(session, case, decision, inputs)
    ext = decision.transition.extend
    if ext is not None:
        src, _, name = ext.days_from.partition(".")
        days = int(case.data[src][name])
        clock = extend_clock(case, ext.clock, days, spec.clock_for(ext.clock, region_code),
                             calendar, audit, spec.warning_levels)
        local = spec.local_clock_for(ext.clock, region_code)
        if local is not None and open_clock(case, local.id) is not None:
            extend_clock(case, local.id, days, local, calendar, audit, spec.warning_levels)
        notice_data.update(days=days, reason=case.data[src].get("reason"),
                           new_due_date=clock.due_date)
    refresh_next_due(case)
    if spec.states[after].closes_case:
        case.closed_at = case.closed_at or now
    _issue(session, case, decision.transition.notices, actor, now, notice_data, audit)
    audit.flush(session)


def _start_set_clock(case, spec, start, origin: date, due: date, now, calendar, audit) -> None:
    """A period the assigning bureau set case by case (信访工作条例第二十二条第三项: 交办 with a
    report date): it is counted like any other, so it is warned, swept and accountable."""
    rule = spec.clocks[start.clock]
    days = (due - origin).days
    if days < 1:
        field_name = start.until
        message = f"“{rule.label}”应晚于交办之日（{origin.isoformat()}）。"
        raise ValidationError("输入有误，请检查标出的字段。", fields={field_name: message})
    rule = ClockRule(**{**rule.__dict__, "days": days})
    start_clock(case, rule, origin, now, calendar, spec.version, audit, spec.warning_levels)


def _start_clocks(case, spec, clock_id, region_code, trigger, now, calendar, audit) -> None:
    """Start the statutory clock, and beside it the county's stricter 限时办结 clock if any."""
    start_clock(case, spec.clock_for(clock_id, region_code), trigger, now, calendar,
                spec.version, audit, spec.warning_levels)
    local = spec.local_clock_for(clock_id, region_code)
    if local is not None:
        start_clock(case, local, trigger, now, calendar, spec.version, audit,
                    spec.warning_levels)


def _notice_data(session, case, decision, inputs) -> dict[str, Any]:
    data = dict(inputs)
    for spec_input in decision.trigger.inputs:
        if spec_input.type == "choice" and spec_input.name in inputs:
            data[f"{spec_input.name}_label"] = spec_input.choice_label(inputs[spec_input.name])
        if spec_input.type == "unit" and spec_input.name in inputs:
            data["unit_name"] = session.get(Unit, inputs[spec_input.name]).name
    if "assign_responsible_unit" in decision.transition.actions:  # 转送 or 交办: say which
        data["mode_label"] = decision.trigger.label
    if case.repeat_of_id is not None:
        data["original_case_no"] = session.get(Case, case.repeat_of_id).case_no
    return data


def _jsonable(inputs: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in inputs.items()}


__all__ = ["PermissionDenied", "Registered", "available_triggers", "fire_transition",
           "get_case", "register_petition"]
