"""The holiday calendar in force, and importing a year's schedule.

The calendar is the chinesecalendar package, then the override files shipped in
workflows/calendars/, then years imported into the database (the last wins).
Importing a year recomputes every open deadline whose period touches it
(domain.md §4.3: a provisional date, computed on weekends and the 放假办法's fixed
holidays, becomes official).
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ..db import write_transaction
from ..domain.deadlines import UNITS, DueDate, compute_due
from ..domain.workcalendar import (
    WorkCalendar,
    YearOverride,
    parse_override,
    read_calendar_file,
)
from ..errors import ValidationError
from ..models import CalendarYear, Case, Clock
from ..paths import workflows_dir
from .actor import Actor, require_permission
from .audit import AuditBatch
from .clocks import recompute_clock, refresh_next_due
from .workflows import all_engines

# `calendar due` (CLI and API): a plain period.  A calendar-day period follows the Civil Code's
# rules; a working-day period counts official working days, to which the Civil Code's
# roll-forward (第二百零三条) does not apply, so it is not cited (domain.md §8).
DUE_LABEL = "期限"
DUE_BASIS = "民法典第二百零一条至第二百零三条的期间计算规则"
DUE_BASIS_WORKDAY = "国务院公布的工作日安排（按工作日计算的期间）"
DUE_YEARS = (1900, 2100)  # the years a holiday schedule can exist for
MAX_DUE_DAYS = 3650  # ten years: far beyond any statutory period, and cheap to count


def plain_due(calendar: WorkCalendar, start: date, days: int, unit: str) -> DueDate:
    """The due date of ``days`` (calendar or working) days after ``start``, with its reason."""
    errors = {}
    if not DUE_YEARS[0] <= start.year <= DUE_YEARS[1]:
        errors["from"] = f"起算日应在{DUE_YEARS[0]}年至{DUE_YEARS[1]}年之间。"
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DUE_DAYS:
        errors["days"] = f"期限天数应为1至{MAX_DUE_DAYS}之间的整数。"
    if unit not in UNITS:
        errors["unit"] = "期限单位应为 calendar（日）或 workday（工作日）。"
    if errors:
        raise ValidationError("期限计算参数有误。", fields=errors)
    basis = DUE_BASIS_WORKDAY if unit == "workday" else DUE_BASIS
    return compute_due(start, days, unit, calendar, label=DUE_LABEL, article=basis)


def shipped_overrides(folder: Path | None = None) -> tuple[YearOverride, ...]:
    folder = folder or workflows_dir() / "calendars"
    return tuple(parse_override(read_calendar_file(p), p.name)
                 for p in sorted(folder.glob("*.yaml")))


@lru_cache(maxsize=4)
def _calendar(key: tuple[tuple[int, str], ...], shipped: tuple[YearOverride, ...],
              imported: tuple[YearOverride, ...]) -> WorkCalendar:
    return WorkCalendar(shipped + imported)


def _row_to_override(row: CalendarYear) -> YearOverride:
    return YearOverride(row.year, row.source, frozenset(map(date.fromisoformat, row.holidays)),
                        frozenset(map(date.fromisoformat, row.workdays)), row.sha256)


def current_calendar(session: Session) -> WorkCalendar:
    """The calendar in force now: one small query for which years are imported and their
    digests; the years themselves are read and parsed only when those change."""
    digests = session.execute(select(CalendarYear.year, CalendarYear.sha256)
                              .order_by(CalendarYear.year))
    key = tuple((year, sha256) for year, sha256 in digests)
    cached = _by_key.get(key)
    if cached is not None:
        return cached
    rows = session.execute(select(CalendarYear).order_by(CalendarYear.year)).scalars().all()
    imported = tuple(_row_to_override(r) for r in rows)
    key = tuple((o.year, o.sha256) for o in imported)
    calendar = _calendar(key, _shipped_cached(), imported)
    if len(_by_key) >= 4:
        _by_key.clear()
    _by_key[key] = calendar
    return calendar


_by_key: dict[tuple[tuple[int, str], ...], WorkCalendar] = {}


class CalendarInForce:
    """The calendar in force, read at its first use: a step that starts, extends or resumes
    no clock never asks the database for it (issue 18)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._calendar: WorkCalendar | None = None

    def __getattr__(self, name: str):
        if self._calendar is None:
            self._calendar = current_calendar(self._session)
        return getattr(self._calendar, name)


@lru_cache(maxsize=1)
def _shipped_cached() -> tuple[YearOverride, ...]:
    return shipped_overrides()


def _levels_for(session: Session, clock: Clock):
    workflow = session.get(Case, clock.case_id).workflow
    return all_engines()[workflow].spec.warning_levels


def import_calendar(session: Session, actor: Actor, now: datetime, text: str,
                    filename: str) -> tuple[YearOverride, int]:
    """Store a year file and recompute affected open deadlines; returns (year, moved).

    The file must keep every day fixed by the 放假办法 as a rest day (parse_override refuses it
    otherwise), so importing a partial year can never silently turn a holiday into a workday.
    """
    require_permission(actor, "administer")
    override = parse_override(text, filename)
    audit = AuditBatch(actor, now)
    with write_transaction(session):
        row = session.get(CalendarYear, override.year)
        if row is None:
            row = CalendarYear(year=override.year)
            session.add(row)
        row.source = override.source
        row.holidays = sorted(d.isoformat() for d in override.holidays)
        row.workdays = sorted(d.isoformat() for d in override.workdays)
        row.sha256, row.imported_at, row.imported_by_user_id = override.sha256, now, actor.user_id
        session.flush()
        audit.add("calendar_imported", year=override.year, source=override.source,
                  sha256=override.sha256, holidays=len(override.holidays),
                  workdays=len(override.workdays))
        calendar = current_calendar(session)
        start, end = date(override.year, 1, 1), date(override.year, 12, 31)
        clocks = session.execute(
            select(Clock).where(
                Clock.status != "stopped",
                or_(Clock.provisional.is_(True),
                    (Clock.trigger_date <= end) & (Clock.due_date >= start)),
            )
        ).scalars()
        moved, touched = 0, set()
        for clock in clocks:
            levels = _levels_for(session, clock)
            old_due = clock.due_date
            # Every recomputation is audited (a provisional date that becomes official keeps
            # its day but loses 暂定); only a due date that moved counts as an effect.
            if recompute_clock(clock, calendar, audit, "calendar_imported", levels) \
                    and clock.due_date != old_due:
                moved += 1
                touched.add(clock.case_id)
        for case_id in sorted(touched):
            refresh_next_due(session.get(Case, case_id))
        audit.flush(session)
    return override, moved
