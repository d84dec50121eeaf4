"""Clocks on a case: start, stop, pause, extend and recompute statutory deadlines.

A clock keeps every input of its due date (rule, article, trigger date,
extension, excluded days, calendar version), so it can explain itself and be
recomputed when the holiday calendar changes. It runs only while the case is
in one of the states its rule lists (``runs_while``) and stops by itself when
the case leaves them; time in ``paused_in`` states is not counted (Art. 36 ¶2:
听证所需时间不计入复核期限).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session, object_session

from ..domain.deadlines import compute_due
from ..domain.levels import LevelDates, WarningLevel, level_dates, level_on
from ..domain.spec import ClockRule, WorkflowSpec
from ..domain.statutory import exclusion_label
from ..domain.workcalendar import WorkCalendar
from ..models import Alert, Case, Clock
from .audit import AuditBatch


def _due(clock: Clock, calendar: WorkCalendar):
    return compute_due(
        clock.trigger_date, clock.days, clock.unit, calendar, label=clock.label,
        article=clock.article, extension_days=clock.extension_days,
        excluded_days=clock.excluded_days, excluded_label=exclusion_label(clock.article),
    )


def start_clock(case: Case, rule: ClockRule, trigger: date, now: datetime,
                calendar: WorkCalendar, workflow_version: str, audit: AuditBatch,
                levels: dict[str, WarningLevel]) -> Clock:
    """Start ``rule`` on ``case``; a clock of the same rule still running is superseded."""
    for old in case.clocks:
        if old.rule == rule.id and old.status != "stopped":
            _stop(old, now, audit, case, "superseded")
    # A local limit names its own basis and the statutory ceiling it tightens, so it never reads
    # as if the article set the shorter period (domain.md §8).
    article = rule.article if rule.basis is None else \
        f"{rule.basis}（严于{rule.article}规定的{rule.statutory_days}日）"
    clock = Clock(
        rule=rule.id, label=rule.label, article=article, unit=rule.unit, days=rule.days,
        duty=rule.duty,
        workflow_version=workflow_version, trigger_date=trigger, extension_days=0,
        excluded_days=0, status="running", started_at=now, version=1,
    )
    _apply(clock, _due(clock, calendar), calendar, levels)
    case.clocks.append(clock)
    audit.add("deadline_set", case_id=case.id, clock=rule.id, label=rule.label,
              article=article, trigger_date=trigger, days=rule.days, unit=rule.unit,
              due_date=clock.due_date, provisional=clock.provisional,
              calendar_version=clock.calendar_version, explanation=clock.explanation)
    return clock


def _apply(clock: Clock, due, calendar: WorkCalendar, levels) -> None:
    clock.due_date, clock.provisional = due.due_date, due.provisional
    clock.explanation, clock.calendar_version = due.explanation, due.calendar_version
    if clock.duty and levels:
        dates = level_dates(clock.trigger_date, due.due_date, levels, calendar)
        clock.blue_on, clock.yellow_on, clock.red_on = dates.blue_on, dates.yellow_on, dates.red_on
    else:
        clock.blue_on = clock.yellow_on = clock.red_on = None
    # A new deadline version is swept again from its first level (services/alerts.py).
    clock.next_level_on = clock.blue_on


def clock_level(clock: Clock, today: date) -> str | None:
    """The warning colour of a clock today: None, "blue", "yellow" or "red"."""
    if clock.status != "running" or clock.red_on is None:
        return None
    return level_on(today, LevelDates(clock.blue_on, clock.yellow_on, clock.red_on))


def recompute_clock(clock: Clock, calendar: WorkCalendar, audit: AuditBatch,
                    reason: str, levels: dict[str, WarningLevel]) -> bool:
    """Recompute from the stored inputs; audit and bump the version if anything changed."""
    due = _due(clock, calendar)
    if (due.due_date, due.provisional, due.explanation) == (
        clock.due_date, clock.provisional, clock.explanation
    ):
        if clock.calendar_version != due.calendar_version:
            clock.calendar_version = due.calendar_version
        return False
    old = clock.due_date
    _apply(clock, due, calendar, levels)
    clock.version += 1
    audit.add("deadline_recomputed", case_id=clock.case_id, clock=clock.rule,
              reason=reason, old_due_date=old, due_date=clock.due_date,
              provisional=clock.provisional, calendar_version=clock.calendar_version,
              explanation=clock.explanation)
    supersede_alerts(object_session(clock), audit, Alert.clock_id, clock.id, clock.version,
                     case_id=clock.case_id, clock=clock.rule, old_due_date=old,
                     due_date=clock.due_date)
    return True


def supersede_alerts(session: Session | None, audit: AuditBatch, column, owner_id: int | None,
                     version: int, **details) -> int:
    """Mark the alerts of an earlier version of a deadline superseded (kept, never deleted):
    the new deadline is warned afresh by the sweep. Audited once, with the two dates."""
    if session is None or owner_id is None:
        return 0
    count = session.execute(
        update(Alert).where(column == owner_id, Alert.deadline_version < version,
                            Alert.superseded_at.is_(None))
        .values(superseded_at=audit.now).execution_options(synchronize_session=False)
    ).rowcount
    if count:
        case_id = details.pop("case_id", None)
        audit.add("alert_superseded", case_id=case_id, alerts=count, **details)
    return count


def _stop(clock: Clock, now: datetime, audit: AuditBatch, case: Case, why: str) -> None:
    clock.status, clock.stopped_at = "stopped", now
    audit.add("deadline_stopped", case_id=case.id, clock=clock.rule, reason=why,
              due_date=clock.due_date)


def sync_with_state(case: Case, spec: WorkflowSpec, today: date, now: datetime,
                    calendar: WorkCalendar, audit: AuditBatch) -> None:
    """Stop, pause or resume each open clock for the state the case just entered."""
    for clock in case.clocks:
        if clock.status == "stopped":
            continue
        rule = spec.rule_of(clock.rule)
        if rule is None or case.state not in rule.runs_while:
            _stop(clock, now, audit, case, "state_left")
        elif case.state in rule.paused_in and clock.status == "running":
            clock.status, clock.paused_on = "paused", today
            audit.add("deadline_paused", case_id=case.id, clock=clock.rule, paused_on=today)
        elif case.state not in rule.paused_in and clock.status == "paused":
            # Both the first and the last day of a hearing are hearing days.
            clock.excluded_days += (today - clock.paused_on).days + 1
            clock.status, clock.paused_on = "running", None
            recompute_clock(clock, calendar, audit, "resumed", spec.warning_levels)


def extend_clock(case: Case, clock_id: str, days: int, rule: ClockRule,
                 calendar: WorkCalendar, audit: AuditBatch,
                 levels: dict[str, WarningLevel]) -> Clock:
    clock = open_clock(case, clock_id)
    if clock is None:
        raise ValueError(f"clock {clock_id} is not running")
    if clock.extension_days + days > rule.max_extension_days:
        raise ValueError("extension beyond the cap")
    clock.extension_days += days
    recompute_clock(clock, calendar, audit, "extended", levels)
    return clock


def refresh_next_due(case: Case) -> None:
    """Keep ``case.next_due``, the nearest due date of its running duty clocks, in step with
    them: called once a use case has started, stopped, paused, resumed or moved its clocks."""
    due = min((c.due_date for c in case.clocks if c.status == "running" and c.duty),
              default=None)
    if case.next_due != due:
        case.next_due = due


def open_clock(case: Case, clock_id: str) -> Clock | None:
    for clock in case.clocks:
        if clock.rule == clock_id and clock.status != "stopped":
            return clock
    return None


def latest_clock(case: Case, clock_id: str) -> Clock | None:
    found = [c for c in case.clocks if c.rule == clock_id]
    return found[-1] if found else None
