"""Three-colour deadline warnings (红黄蓝): when a duty clock turns blue, yellow and red.

The thresholds are data (``warning_levels`` in the workflow file): blue (提示) when a
fraction of the period is left, yellow (预警) a number of working days before the due
date, red (超期) the day after the due date. The local practice this follows is the
漯河源汇区 three-colour system (domain.md §3); the thresholds are our setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .workcalendar import WorkCalendar

LEVELS = ("blue", "yellow", "red")
LEVEL_LABELS = {"blue": "蓝色提示", "yellow": "黄色预警", "red": "红色超期"}


@dataclass(frozen=True)
class WarningLevel:
    level: str
    label: str
    notify: tuple[str, ...]  # organisational roles, never named users
    remaining_fraction: float | None = None  # blue
    workdays_left: int | None = None  # yellow


@dataclass(frozen=True)
class LevelDates:
    blue_on: date
    yellow_on: date
    red_on: date


def workdays_before(due: date, n: int, calendar: WorkCalendar) -> date:
    """The day from which ``n`` working days remain up to and including ``due``."""
    day, left = due, 0
    while True:
        if calendar.is_workday(day):
            left += 1
            if left == n:
                return day
        day -= timedelta(days=1)


def level_dates(trigger: date, due: date, levels: dict[str, WarningLevel],
                calendar: WorkCalendar) -> LevelDates:
    red_on = due + timedelta(days=1)
    span = (due - trigger).days
    blue = levels.get("blue")
    yellow = levels.get("yellow")
    blue_on = due - timedelta(days=int(span * blue.remaining_fraction)) if blue else red_on
    yellow_on = workdays_before(due, yellow.workdays_left, calendar) if yellow else red_on
    yellow_on = max(yellow_on, trigger + timedelta(days=1))
    blue_on = min(max(blue_on, trigger + timedelta(days=1)), yellow_on)
    return LevelDates(blue_on, yellow_on, red_on)


def level_on(today: date, dates: LevelDates) -> str | None:
    """The level in force on ``today``: None, "blue", "yellow" or "red"."""
    if today >= dates.red_on:
        return "red"
    if today >= dates.yellow_on:
        return "yellow"
    if today >= dates.blue_on:
        return "blue"
    return None
