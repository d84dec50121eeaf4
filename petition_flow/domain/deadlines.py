"""Statutory period computation (期限计算): the due date of a time limit and why.

Rules encoded (domain.md §2, §4.1, §4.1a, §4.2):
- Calendar-day periods (the regulation's "15日/30日/60日"): the trigger day is not counted
  (民法典第二百零一条); the nominal last day is trigger + N days, where N includes an approved
  extension (信访工作条例第三十四条: ≤ 30 日) and days excluded by law (第三十六条: 听证时间不计入);
  days inside the period are never deducted.  If the last day is not an official working day
  (a statutory holiday, an in-lieu weekday, or a weekend that is not a 调休上班日), the period
  ends on the next working day (民法典第二百零三条), unless the rule turns roll-forward off.
- Working-day periods (信访工作条例第二十三条 "5个工作日", the only one in the regulation, and
  rules that say 工作日 such as 简易办理's 10 个工作日): the N-th official working day after the
  trigger day, 调休上班日 counted.
- A period touching a year with no official holiday schedule is computed on weekends only and
  marked provisional (暂定), to be recomputed when the schedule is published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from petition_flow.domain.workcalendar import WorkCalendar

CALENDAR = "calendar"
WORKDAY = "workday"
UNITS = (CALENDAR, WORKDAY)


@dataclass(frozen=True)
class DueDate:
    """A computed due date with the facts a clerk needs to trust it."""

    due_date: date
    provisional: bool
    explanation: str
    calendar_version: str
    last_day: date  # nominal last day, before any roll-forward


def compute_due(
    trigger: date,
    days: int,
    unit: str,
    calendar: WorkCalendar,
    *,
    label: str,
    article: str,
    extension_days: int = 0,
    excluded_days: int = 0,
    roll_forward: bool = True,
) -> DueDate:
    """Compute the due date of a period of `days` (calendar or working) days after `trigger`."""
    _check_count(days, 1, f"{label}天数必须是不小于 1 的整数")
    _check_count(extension_days, 0, "延长天数必须是不小于 0 的整数")
    _check_count(excluded_days, 0, "不计入期限的天数必须是不小于 0 的整数")
    if unit not in UNITS:
        raise ValueError(f"期限单位必须是 calendar（日）或 workday（工作日），实际为 {unit!r}")

    total = days + extension_days + excluded_days
    if unit == WORKDAY:
        last_day = due = calendar.add_workdays(trigger, total)
    else:
        last_day = trigger + timedelta(days=total)
        due = calendar.next_workday(last_day) if roll_forward else last_day
    unofficial = [y for y in range(trigger.year, due.year + 1) if not calendar.is_official(y)]

    # One Chinese sentence: basis, length, start, nominal last day, roll-forward, caveats.
    per = "个工作日" if unit == WORKDAY else "日"
    parts = _length_clauses(label, article, days, per, extension_days, excluded_days)
    if unit == WORKDAY:
        parts.append("按工作日计算（含调休上班日）")
    parts.append(f"自{_zh(trigger)}次日起算")
    parts.append(f"第{total}{per}为{_zh(last_day)}")
    if unit == CALENDAR:
        parts.extend(_roll_clauses(calendar, last_day, due))
    if unofficial:
        years = "、".join(f"{y}年" for y in unofficial)
        parts.append(f"{years}节假日安排尚未公布，暂按周末计算（暂定）")
    explanation = "，".join(parts) + "。"
    return DueDate(due, bool(unofficial), explanation, calendar.version, last_day)


def _check_count(value: object, minimum: int, message: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{message}，实际为 {value!r}")


def _length_clauses(
    label: str, article: str, days: int, per: str, extension_days: int, excluded_days: int
) -> list[str]:
    parts = [f"依据{article}", f"{label}{days}{per}"]
    if extension_days:
        parts.append(f"经批准延长{extension_days}{per}")
    if excluded_days:
        parts.append(f"听证等{excluded_days}{per}不计入期限")
    return parts


def _roll_clauses(calendar: WorkCalendar, last_day: date, due: date) -> list[str]:
    if calendar.is_workday(last_day):
        return ["该日为调休上班日，不顺延"] if last_day.weekday() >= 5 else []
    reason = calendar.holiday_name(last_day) or ("周末" if last_day.weekday() >= 5 else "休息日")
    if due == last_day:
        return [f"适逢{reason}，依本规则不顺延"]
    return [f"适逢{reason}", f"顺延至{_zh(due)}"]


def _zh(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"
