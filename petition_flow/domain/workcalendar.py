"""The official Chinese working calendar (工作日历): statutory holidays and 调休 make-up workdays.

Rule encoded (domain.md §4.1a, §4.3): a day is an official working day if the State Council's
holiday notice (国务院办公厅关于节假日安排的通知) makes it a 调休上班日, or if it is a Monday to
Friday that the notice does not give off.  Ordinary weekends and statutory holidays, including
weekdays given off in lieu, are rest days.  This is the "actual rest day" reading used when the
民法典第二百零三条 roll-forward is applied to the last day of a period (民法典第二百零一条 governs
the start), and it is the unit of the only working-day period in the regulation, the 5 个工作日 of
信访工作条例第二十三条.

Sources, in order of precedence:
1. a year override loaded from ``workflows/calendars/<year>.yaml`` (a later one for the same
   year wins) -- for a year the package does not know yet, or a local adjustment;
2. the ``chinesecalendar`` package, for the years its data covers;
3. otherwise Monday to Friday less the days off fixed by the 《全国年节及纪念日放假办法》
   (domain/fixedholidays.py: 元旦, 除夕至初三, 清明, 5月1-2日, 端午, 中秋, 10月1-3日); such a year is
   not official (``is_official`` is false), its 调休 is unknown, and every deadline computed over
   it is provisional (暂定).

Every official schedule must keep those fixed days as rest days: an override file that leaves
one out (or lists it as a 调休上班日) is refused with the missing days named, since importing it
would silently turn a statutory holiday into a working day (domain.md §8).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import chinese_calendar
import yaml
from chinese_calendar.constants import Holiday
from chinese_calendar.constants import holidays as _package_holidays

from .fixedholidays import fixed_holiday_name, fixed_holidays
from .safefile import MAX_CALENDAR_BYTES, UnsafeFile, check_rule_text, read_rule_file

# Coverage of the package, read from its data (the package itself raises NotImplementedError
# outside this range; we never ask it about such a year).
_PACKAGE_YEARS = range(min(_package_holidays).year, max(_package_holidays).year + 1)
_PACKAGE_VERSION = chinese_calendar.__version__

_HOLIDAY_NAMES_ZH: dict[str, str] = {
    Holiday.new_years_day.value: "元旦",
    Holiday.spring_festival.value: "春节",
    Holiday.tomb_sweeping_day.value: "清明节",
    Holiday.labour_day.value: "劳动节",
    Holiday.dragon_boat_festival.value: "端午节",
    Holiday.national_day.value: "国庆节",
    Holiday.mid_autumn_festival.value: "中秋节",
    Holiday.anti_fascist_70th_day.value: "抗战胜利纪念日",
}
GENERIC_HOLIDAY_NAME = "法定节假日"

_MIN_YEAR, _MAX_YEAR = 1900, 2100
_KEYS = ("year", "source", "holidays", "workdays")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WEEKDAYS_ZH = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")


class CalendarFileError(ValueError):
    """A holiday override file is invalid; the message names the file and the key."""

    def __init__(self, filename: str, key: str | None, problem: str) -> None:
        self.filename = filename
        self.key = key
        self.problem = problem
        where = f"{filename}: {key}" if key else filename
        super().__init__(f"{where}: {problem}")


@dataclass(frozen=True)
class YearOverride:
    """One year's official schedule (放假日 and 调休上班日), loaded from a YAML file."""

    year: int
    source: str
    holidays: frozenset[date]
    workdays: frozenset[date]
    sha256: str


class _OverrideLoader(yaml.SafeLoader):
    """SafeLoader that leaves dates as strings, so an impossible date gets a keyed message."""


_OverrideLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_calendar_file(path: Path) -> str:
    """A calendar file's text: UTF-8 and at most MAX_CALENDAR_BYTES, else CalendarFileError."""
    try:
        return read_rule_file(path, MAX_CALENDAR_BYTES)
    except UnsafeFile as exc:
        raise CalendarFileError(exc.filename, None, exc.problem) from None


def parse_override(text: str, filename: str) -> YearOverride:
    """Parse and validate one year override file; raise CalendarFileError on any defect."""
    data = _load_mapping(text, filename)
    missing = [key for key in _KEYS if key not in data]
    if missing:
        raise CalendarFileError(filename, missing[0], "缺少必填项")
    extra = [str(key) for key in data if key not in _KEYS]
    if extra:
        raise CalendarFileError(filename, extra[0], f"不允许的键（只允许 {'、'.join(_KEYS)}）")
    year = data["year"]
    if isinstance(year, bool) or not isinstance(year, int) or not _MIN_YEAR <= year <= _MAX_YEAR:
        raise CalendarFileError(
            filename, "year", f"年份必须是 {_MIN_YEAR}–{_MAX_YEAR} 之间的整数，实际为 {year!r}"
        )
    source = data["source"]
    if not isinstance(source, str) or not source.strip():
        raise CalendarFileError(filename, "source", "必须填写发布依据（非空文字）")
    holidays = _parse_dates(data["holidays"], "holidays", year, filename)
    workdays = _parse_dates(data["workdays"], "workdays", year, filename)
    for day, index in workdays.items():
        if day in holidays:
            raise CalendarFileError(
                filename, f"workdays[{index}]", f"日期 {day} 同时列在 holidays 中"
            )
        if day.weekday() < 5:
            raise CalendarFileError(
                filename,
                f"workdays[{index}]",
                f"调休上班日 {day} 是{_WEEKDAYS_ZH[day.weekday()]}，只能是星期六或星期日",
            )
    check_fixed_holidays(year, frozenset(holidays), frozenset(workdays), filename)
    return _build_override(year, source.strip(), frozenset(holidays), frozenset(workdays))


def check_fixed_holidays(
    year: int, holidays: frozenset[date], workdays: frozenset[date], filename: str
) -> None:
    """Refuse a schedule under which a day fixed by the 放假办法 would be a working day.

    A fixed day on a weekend may be left out of ``holidays`` (it is a rest day anyway) but must
    not be a 调休上班日; a fixed day on a weekday must be listed.
    """
    missing = [
        (d, name)
        for d, name in fixed_holidays(year).items()
        if d in workdays or (d.weekday() < 5 and d not in holidays)
    ]
    if missing:
        days = "、".join(f"{d.isoformat()}（{name}）" for d, name in missing)
        raise CalendarFileError(
            filename,
            "holidays",
            f"缺少《全国年节及纪念日放假办法》规定的法定节假日 {days}；"
            "法定节假日必须全部列为放假日，文件只能补充调休安排",
        )


def _load_mapping(text: str, filename: str) -> dict[Any, Any]:
    try:
        check_rule_text(text, filename, MAX_CALENDAR_BYTES)  # size, aliases: before parsing
    except UnsafeFile as exc:
        raise CalendarFileError(filename, None, exc.problem) from None
    try:
        node = yaml.compose(text, Loader=_OverrideLoader)
        data = yaml.load(text, Loader=_OverrideLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"第{mark.line + 1}行" if mark is not None else None
        raise CalendarFileError(filename, where, "YAML 语法错误，无法解析") from exc
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: e.g. "!!timestamp 2027-02-30"
        raise CalendarFileError(filename, None, "YAML 内容无法解析") from exc
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise CalendarFileError(
            filename, None, "文件内容必须是键值映射（year、source、holidays、workdays）"
        )
    seen: set[str] = set()
    for key_node, _ in node.value:
        key = str(key_node.value)
        if key in seen:
            raise CalendarFileError(filename, key, "键重复出现")
        seen.add(key)
    return data


def _parse_dates(value: object, key: str, year: int, filename: str) -> dict[date, int]:
    """Return the dates in list order, each mapped to its index in the file."""
    if not isinstance(value, list):
        raise CalendarFileError(filename, key, "必须是日期列表，例如 [2027-01-01]；没有则写 []")
    found: dict[date, int] = {}
    for index, item in enumerate(value):
        where = f"{key}[{index}]"
        day = _as_date(item)
        if day is None:
            raise CalendarFileError(filename, where, f"{item!r} 不是有效日期（格式 YYYY-MM-DD）")
        if day.year != year:
            raise CalendarFileError(filename, where, f"日期 {day} 不属于 {year} 年")
        if day in found:
            raise CalendarFileError(
                filename, where, f"日期 {day} 重复（已见于 {key}[{found[day]}]）"
            )
        found[day] = index
    return found


def _as_date(item: object) -> date | None:
    if isinstance(item, date) and not isinstance(item, datetime):
        return item
    if isinstance(item, str) and _ISO_DATE.fullmatch(item.strip()):
        try:
            return date.fromisoformat(item.strip())
        except ValueError:
            return None
    return None


def _build_override(
    year: int, source: str, holidays: frozenset[date], workdays: frozenset[date]
) -> YearOverride:
    canonical = json.dumps(
        {
            "year": year,
            "source": source,
            "holidays": sorted(d.isoformat() for d in holidays),
            "workdays": sorted(d.isoformat() for d in workdays),
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return YearOverride(year, source, holidays, workdays, digest)


class WorkCalendar:
    """Official working days: overrides, then chinesecalendar, then the 放假办法's fixed days."""

    def __init__(self, overrides: Iterable[YearOverride] = ()) -> None:
        by_year: dict[int, YearOverride] = {}
        for override in overrides:
            by_year[override.year] = override  # a later override of the same year wins
        self._overrides = by_year
        self._version = "".join(
            [f"chinesecalendar-{_PACKAGE_VERSION}"]
            + [f"+{year}:{by_year[year].sha256[:8]}" for year in sorted(by_year)]
        )
        self._workday_cache: dict[date, bool] = {}

    @property
    def version(self) -> str:
        """Stable identifier of the data in use, stored beside every computed deadline."""
        return self._version

    def is_official(self, year: int) -> bool:
        """Whether an official schedule (package data or an override) covers the year."""
        return year in self._overrides or year in _PACKAGE_YEARS

    def is_workday(self, d: date) -> bool:
        """Whether d is an official working day (调休上班日 included, holidays excluded)."""
        d = _plain_date(d)
        cached = self._workday_cache.get(d)
        if cached is None:
            cached = self._workday_cache[d] = self._compute_workday(d)
        return cached

    def holiday_name(self, d: date) -> str | None:
        """Chinese name of the statutory holiday on d, or None for a working day or weekend."""
        d = _plain_date(d)
        override = self._overrides.get(d.year)
        if override is not None:
            if d in override.holidays:
                return fixed_holiday_name(d) or GENERIC_HOLIDAY_NAME
            return None if self.is_workday(d) else fixed_holiday_name(d)
        if d.year not in _PACKAGE_YEARS:
            return None if self.is_workday(d) else fixed_holiday_name(d)
        name = _package_holidays.get(d)
        if name is None:
            return None
        return _HOLIDAY_NAMES_ZH.get(name, GENERIC_HOLIDAY_NAME)

    def assumed_holidays(self, start: date, end: date) -> list[tuple[date, str]]:
        """The fixed 放假办法 days in [start, end] that fall in years without an official schedule.

        These are the days a provisional (暂定) date was computed with as rest days.
        """
        start, end = _plain_date(start), _plain_date(end)
        found = []
        for year in range(start.year, end.year + 1):
            if self.is_official(year):
                continue
            found.extend((d, n) for d, n in fixed_holidays(year).items() if start <= d <= end)
        return found

    def next_workday(self, d: date) -> date:
        """d itself if it is a working day, otherwise the first working day after it."""
        d = _plain_date(d)
        while not self.is_workday(d):
            d += timedelta(days=1)
        return d

    def add_workdays(self, d: date, n: int) -> date:
        """The n-th working day after d, d itself not counted (n >= 1)."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"工作日数必须是不小于 1 的整数，实际为 {n!r}")
        d = _plain_date(d)
        while n:
            d += timedelta(days=1)
            if self.is_workday(d):
                n -= 1
        return d

    def _compute_workday(self, d: date) -> bool:
        override = self._overrides.get(d.year)
        if override is not None:
            if d in override.workdays:
                return True
            if d in override.holidays:
                return False
            return d.weekday() < 5
        if d.year in _PACKAGE_YEARS:
            try:
                return bool(chinese_calendar.is_workday(d))
            except NotImplementedError:
                # Only if the package's own range check ever disagrees with its data.
                pass
        # A year without an official schedule: the 放假办法's fixed days are still rest days.
        return d.weekday() < 5 and fixed_holiday_name(d) is None


def _plain_date(d: date) -> date:
    # A datetime never equals a date, so it would silently miss every lookup.
    return d.date() if isinstance(d, datetime) else d
