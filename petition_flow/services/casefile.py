"""What the staff pages show about cases: the case file, urgency of a list, approvals.

Read-only and scoped by the same rules as every use case (actor.can_view); the
only writes are in disclosure.py (an audited reveal). Masking happens here, so
no page can forget it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..clock import local_date
from ..domain.engine import mermaid
from ..domain.spec import LOCAL_SUFFIX, StepSpec, TriggerSpec, WorkflowSpec
from ..models import AuditEntry, Case, Clock, Notice, Party, Unit
from .actions import units_in_scope
from .actor import Actor, can_act, require_permission
from .clocks import clock_level
from .disclosure import (
    UNMASKED,
    PartyRecord,
    decide,
    notice_text,
    parties_for,
    query_code_for,
    text_for,
)
from .history import Describer
from .petitions import all_engines, available_triggers, engine_for, get_case, load_case
from .queries import CaseFilters, list_cases


@dataclass(frozen=True)
class StepView:
    key: str
    label: str
    status: str  # done | current | todo


@dataclass(frozen=True)
class ClockRowView:
    label: str
    article: str
    due_date: date
    status: str
    explanation: str
    provisional: bool
    duty: bool
    level: str | None
    days_left: int | None
    extension_days: int
    late_days: int | None = None  # a stopped duty clock: days past its due date (0: on time)

    @property
    def finish_label(self) -> str:
        """A finished deadline says whether it was met (按期办结 / 超期办结)."""
        if self.late_days is None:
            return "已结束"
        return "按期办结" if self.late_days <= 0 else f"超期{self.late_days}天办结"


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    who: str
    role: str
    text: str
    detail: str
    login: str = ""  # shown on hover beside the name


@dataclass(frozen=True)
class StepResult:
    """What was entered at one step (送达, 评价, 回访, 处理意见…), shown in 办理结果."""

    at: datetime
    label: str
    who: str
    login: str
    rows: list[tuple[str, str]]


@dataclass
class CaseFile:
    case: Case
    spec: WorkflowSpec
    state_label: str
    steps: list[StepView]
    parties: list[PartyRecord]
    clocks: list[ClockRowView]
    timeline: list[TimelineItem]
    notices: list[Notice]
    triggers: list[TriggerSpec]
    unit_choices: list[tuple[int, str]]
    unit_names: dict[int, str]
    may_act: bool
    may_reveal: bool = False  # the disclosure policy lets this actor reveal petitioners
    query_code: str | None = None  # shown only to those who need to know
    texts: dict[str, str] | None = None  # free-text fields as the disclosure policy shows them
    attachments: str = ""
    late_reason: str = ""  # why it was registered more than 30 days after it was received
    repeat_of_no: str | None = None  # 重复信访: the earlier matter this one was linked to
    results: list[StepResult] | None = None  # every step's inputs, oldest first


def progress(spec: WorkflowSpec, state: str) -> list[StepView]:
    """The six steps (and 复查复核 once reached) with the current one marked."""
    current = spec.states[state].step
    keys = [s.key for s in spec.steps]
    shown: list[StepSpec] = [s for s in spec.steps if s.key.isdigit() or s.key == current]
    out = []
    for step in shown:
        if step.key == current:
            status = "current"
        elif keys.index(step.key) < keys.index(current):
            status = "done"
        else:
            status = "todo"
        if spec.states[state].final and step.key == current:
            status = "done"
        out.append(StepView(step.key, step.label, status))
    return out


def clock_row(clock: Clock, today: date) -> ClockRowView:
    level = clock_level(clock, today) if clock.duty else None
    days_left = (clock.due_date - today).days if clock.status != "stopped" else None
    late = None
    if clock.status == "stopped" and clock.duty and clock.stopped_at is not None:
        late = max(0, (local_date(clock.stopped_at) - clock.due_date).days)
    return ClockRowView(clock.label, clock.article, clock.due_date, clock.status,
                        clock.explanation, clock.provisional, clock.duty, level, days_left,
                        clock.extension_days, late)


def _case_entries(session: Session, case: Case) -> list[AuditEntry]:
    return list(session.execute(select(AuditEntry).where(AuditEntry.case_id == case.id)
                                .order_by(AuditEntry.seq)).scalars())


def step_results(session: Session, actor: Actor, case: Case, spec: WorkflowSpec,
                 entries: list[AuditEntry] | None = None) -> list[StepResult]:
    """Every step taken with inputs, and what was entered, free text as the disclosure
    policy shows it to this actor (办理结果)."""
    entries = _case_entries(session, case) if entries is None else entries
    describer = Describer(session)
    describer.prefetch(entries)
    out = []
    for entry in entries:
        if entry.action != "transition":
            continue
        rows = describer.input_rows(spec, entry.details or {},
                                    lambda value: text_for(actor, case, value))
        if not rows:
            continue
        who = describer.person(entry)
        out.append(StepResult(entry.at, describer.describe(entry).title, who.name, who.login,
                              rows))
    return out


def timeline(session: Session, case: Case, spec: WorkflowSpec,
             entries: list[AuditEntry] | None = None) -> list[TimelineItem]:
    """The case's history (办理过程) in Chinese, people by name with their login on hover."""
    entries = _case_entries(session, case) if entries is None else entries
    describer = Describer(session)
    describer.prefetch(entries)
    out = []
    for entry in entries:
        told = describer.describe(entry)
        who = describer.person(entry)
        out.append(TimelineItem(entry.at, who.name, who.role if who.role != who.name else "",
                                told.title, told.detail, who.login))
    return out


def _load(session: Session, actor: Actor, case_id: int) -> Case:
    """The case within the actor's scope; out of scope it is "not found"."""
    return get_case(session, actor, case_id)


def case_file(session: Session, actor: Actor, case_id: int, now: datetime, *,
              reveal: list[Party] | None = None) -> CaseFile:
    """Everything the case page shows; ``reveal`` comes from disclosure.reveal_petitioners."""
    case = _load(session, actor, case_id)
    spec = engine_for(case).spec
    today = local_date(now)
    notices = list(session.execute(select(Notice).where(Notice.case_id == case.id)
                                   .order_by(Notice.id)).scalars())
    units = units_in_scope(session, case)  # the city's case may go down to a county's unit
    ids = {i for i in (case.responsible_unit_id, case.first_handler_unit_id,
                       case.registered_unit_id) if i}
    names = {u.id: u.name for u in session.execute(select(Unit).where(Unit.id.in_(ids)))
             .scalars()}
    entries = _case_entries(session, case)
    return CaseFile(
        case=case, spec=spec, state_label=spec.states[case.state].label,
        steps=progress(spec, case.state),
        parties=parties_for(case, reveal).items,
        clocks=[clock_row(c, today) for c in case.clocks],
        timeline=timeline(session, case, spec, entries), notices=notices,
        triggers=available_triggers(session, actor, case, now),
        unit_choices=[(u.id, u.name) for u in units], unit_names=names,
        may_act=can_act(actor, case),
        may_reveal=decide(actor, case, "reveal") == UNMASKED,
        query_code=query_code_for(actor, case),
        attachments=text_for(actor, case, str(case.data.get("attachments") or "")),
        texts={name: text_for(actor, case, getattr(case, name))
               for name in ("summary", "request", "facts_and_reasons")},
        late_reason=text_for(actor, case, str(case.data.get("late_reason") or "")),
        repeat_of_no=session.get(Case, case.repeat_of_id).case_no if case.repeat_of_id else None,
        results=step_results(session, actor, case, spec, entries),
    )


@dataclass(frozen=True)
class NoticeView:
    id: int
    case_id: int
    title: str
    body: str
    issued_at: datetime
    doc_no: str | None = None
    served: bool = True


def notice_for(session: Session, actor: Actor, case_id: int, notice_id: int) -> NoticeView | None:
    """A printable notice, as the disclosure policy lets this actor read it."""
    case = _load(session, actor, case_id)
    notice = session.get(Notice, notice_id)
    if notice is None or notice.case_id != case.id:
        return None
    spec = engine_for(case).spec.notices.get(notice.kind)
    return NoticeView(notice.id, case.id, notice.title, notice_text(actor, case, notice.body),
                      notice.issued_at, notice.doc_no, spec.served if spec else True)


@dataclass(frozen=True)
class Urgency:
    level: str | None
    due_date: date | None
    days_left: int | None
    clock_label: str | None


def urgencies(session: Session, case_ids: list[int], today: date) -> dict[int, Urgency]:
    """For each case, its nearest running duty clock's colour and days left."""
    out: dict[int, Urgency] = {}
    if not case_ids:
        return out
    clocks = session.execute(select(Clock).where(Clock.case_id.in_(case_ids),
                                                 Clock.status == "running",
                                                 Clock.duty.is_(True))
                             .order_by(Clock.due_date)).scalars()
    for clock in clocks:
        if clock.case_id not in out:
            out[clock.case_id] = Urgency(clock_level(clock, today), clock.due_date,
                                         (clock.due_date - today).days, clock.label)
    return out


def unit_names(session: Session, unit_ids) -> dict[int, str]:
    ids = {i for i in unit_ids if i}
    if not ids:
        return {}
    return dict(session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(ids))).all())


@dataclass(frozen=True)
class ExtensionRequest:
    case: Case
    days: int
    reason: str
    handling_due: date | None


def extension_requests(session: Session, actor: Actor, today: date) -> list[ExtensionRequest]:
    """Pending 申请延期 of the unit leader's own unit, oldest deadline first."""
    require_permission(actor, "lead_unit")
    pending = default_spec().extension_approval()  # read from the workflow's transitions
    if pending is None:
        return []
    page = list_cases(session, actor, CaseFilters(state=pending.state, per_page=200), today)
    out = []
    for row in page.rows:
        case = load_case(session, row.id)
        if not can_act(actor, case):
            continue
        asked = case.data.get(pending.request, {})
        out.append(ExtensionRequest(case, int(asked.get("days", 0)),
                                    str(asked.get("reason", "")), row.next_due))
    return out


def default_spec() -> WorkflowSpec:
    from ..domain.registry import DEFAULT_WORKFLOW

    return all_engines()[DEFAULT_WORKFLOW].spec


def workflows_in_use(actor: Actor) -> list[tuple[WorkflowSpec, str]]:
    """Every loaded workflow with its Mermaid state diagram text."""
    require_permission(actor, "administer")
    return [(e.spec, mermaid(e.spec)) for e in all_engines().values()]


@dataclass(frozen=True)
class CalendarYearView:
    year: int
    source: str
    holidays: int
    workdays: int
    origin: str  # 随系统提供 | 已导入
    imported_at: datetime | None


def calendar_years(session: Session, actor: Actor) -> list[CalendarYearView]:
    """Holiday schedules in force: those shipped with the system and those imported."""
    from ..models import CalendarYear
    from .calendars import shipped_overrides

    require_permission(actor, "administer")
    out = {o.year: CalendarYearView(o.year, o.source, len(o.holidays), len(o.workdays),
                                    "随系统提供", None) for o in shipped_overrides()}
    for row in session.execute(select(CalendarYear)).scalars():
        out[row.year] = CalendarYearView(row.year, row.source, len(row.holidays),
                                         len(row.workdays), "已导入", row.imported_at)
    return [out[y] for y in sorted(out)]


@dataclass(frozen=True)
class DeadlineChange:
    case_id: int
    case_no: str
    label: str
    old_due: str
    new_due: str
    provisional: bool


@dataclass(frozen=True)
class CalendarEffect:
    year: int
    at: datetime
    changes: list[DeadlineChange]


def last_calendar_effect(session: Session, actor: Actor) -> CalendarEffect | None:
    """The deadlines the latest calendar import moved, read back from its audit entries.

    A deadline recomputed to the same day (e.g. 暂定 dropped) is not an effect and is not listed.
    """
    require_permission(actor, "administer")
    last = session.execute(select(AuditEntry).where(AuditEntry.action == "calendar_imported")
                           .order_by(AuditEntry.seq.desc()).limit(1)).scalar_one_or_none()
    if last is None:
        return None
    rows = session.execute(
        select(AuditEntry, Case.case_no).join(Case, Case.id == AuditEntry.case_id)
        .where(AuditEntry.action == "deadline_recomputed", AuditEntry.seq > last.seq,
               AuditEntry.at == last.at, AuditEntry.actor_username == last.actor_username)
        .order_by(AuditEntry.seq)).all()
    labels = {rule_id: rule.label for e in all_engines().values()
              for rule_id, rule in e.spec.clocks.items()}
    labels.update({f"{rule_id}{LOCAL_SUFFIX}": f"{label}（限时办结）"
                   for rule_id, label in list(labels.items())})
    changes = [DeadlineChange(e.case_id, case_no, labels.get(e.details.get("clock"), "期限"),
                              str(e.details.get("old_due_date")), str(e.details.get("due_date")),
                              bool(e.details.get("provisional")))
               for e, case_no in rows if e.details.get("reason") == "calendar_imported"
               and e.details.get("old_due_date") != e.details.get("due_date")]
    return CalendarEffect(int(last.details.get("year", 0)), last.at, changes)
