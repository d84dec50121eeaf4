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
  trigger day, 调休上班日 counted.  The 民法典's roll-forward (第二百零三条) concerns calendar
  periods, so a working-day explanation never cites it (domain.md §8).
- A period touching a year with no official holiday schedule is computed on weekends and the
  days off fixed by the 《全国年节及纪念日放假办法》 (domain.md §4.3) and marked provisional
  (暂定); the explanation names the fixed holidays it assumed and says the 调休 is unpublished.
  It is recomputed when the schedule is published.
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
    excluded_label: str = "听证等",
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
    parts = _length_clauses(label, article, days, per, extension_days, excluded_days,
                            excluded_label)
    if unit == WORKDAY:
        parts.append("按工作日计算（含调休上班日）")
    parts.append(f"自{_zh(trigger)}次日起算")
    parts.append(f"第{total}{per}为{_zh(last_day)}")
    if unit == CALENDAR:
        parts.extend(_roll_clauses(calendar, last_day, due))
    if unofficial:
        parts.append(_provisional_clause(calendar, unit, trigger, last_day, due, unofficial))
    explanation = "，".join(parts) + "。"
    return DueDate(due, bool(unofficial), explanation, calendar.version, last_day)


def _provisional_clause(
    calendar: WorkCalendar, unit: str, trigger: date, last_day: date, due: date,
    unofficial: list[int],
) -> str:
    years = "、".join(f"{y}年" for y in unofficial)
    # The fixed days that shaped the date: every one counted past in a working-day period; in a
    # calendar period only those the last day rolled over (days inside are never deducted).
    if unit == WORKDAY:
        assumed = calendar.assumed_holidays(trigger + timedelta(days=1), due)
    else:
        assumed = calendar.assumed_holidays(last_day, due)
    head = f"{years}调休安排尚未公布，按《全国年节及纪念日放假办法》规定的法定节假日和周末推算"
    if assumed:
        days = "、".join(_holiday_runs(assumed))
        return f"{head}，其中{days}计为休息日（暂定）"
    return f"{head}（暂定）"


def _holiday_runs(days: list[tuple[date, str]]) -> list[str]:
    """'春节（2028年1月25日至28日）' for consecutive days of one festival."""
    runs: list[list] = []
    for d, name in days:
        if runs and runs[-1][2] == name and runs[-1][1] + timedelta(days=1) == d:
            runs[-1][1] = d
        else:
            runs.append([d, d, name])
    out = []
    for first, last, name in runs:
        span = _zh(first) if first == last else f"{_zh(first)}至{last.day}日"
        if first != last and first.month != last.month:
            span = f"{_zh(first)}至{last.month}月{last.day}日"
        out.append(f"{name}（{span}）")
    return out


def _check_count(value: object, minimum: int, message: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{message}，实际为 {value!r}")


def _length_clauses(
    label: str, article: str, days: int, per: str, extension_days: int, excluded_days: int,
    excluded_label: str,
) -> list[str]:
    parts = [f"依据{article}", f"{label}{days}{per}"]
    if extension_days:
        parts.append(f"经批准延长{extension_days}{per}")
    if excluded_days:
        parts.append(f"{excluded_label}{excluded_days}{per}不计入期限")
    return parts


def _roll_clauses(calendar: WorkCalendar, last_day: date, due: date) -> list[str]:
    if calendar.is_workday(last_day):
        return ["该日为调休上班日，不顺延"] if last_day.weekday() >= 5 else []
    reason = calendar.holiday_name(last_day) or ("周末" if last_day.weekday() >= 5 else "休息日")
    if due == last_day:
        return [f"适逢{reason}，依本规则不顺延"]
    target = _zh(due)
    if due.weekday() >= 5:  # rolled onto a weekend day that the notice makes a working day
        target += f"（{_WEEKDAYS_ZH[due.weekday()]}，调休上班日）"
    return [f"适逢{reason}", f"顺延至{target}"]


_WEEKDAYS_ZH = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")


def _zh(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"
