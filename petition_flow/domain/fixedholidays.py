"""The statutory days off fixed in advance by the 《全国年节及纪念日放假办法》.

Rule encoded (domain.md §4.3 correction, §8): the 放假办法 fixes the days off of every year; the
yearly State Council notice only arranges the 调休/补假 around them.  So for a year without an
official schedule these days are still rest days, and every official schedule must contain them.

Versions of the 办法 (the whole population's 全体公民放假的节日):
- 国务院令第513号, in force 2008-01-01: 元旦 1 day; 春节 3 days (农历除夕、正月初一、初二);
  清明节, 劳动节 (5月1日), 端午节, 中秋节 1 day each; 国庆节 3 days (10月1日至3日).
- 国务院令第644号, in force 2014-01-01: as above, but 春节 is 正月初一至初三 (除夕 no longer).
- 国务院令第774号, in force 2025-01-01: 春节 4 days (除夕、正月初一至初三); 劳动节 2 days
  (5月1日、2日); the rest unchanged.

Lunar dates and the 清明 solar term come from ``lunar-python`` (a maintained calendar library).
Before 2008 the rules differed (the 黄金周 era) and are not encoded: no fixed days are assumed.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from lunar_python import Lunar

FIRST_YEAR = 2008  # the first 办法 version encoded here

NEW_YEAR = "元旦"
SPRING_FESTIVAL = "春节"
TOMB_SWEEPING = "清明节"
LABOUR_DAY = "劳动节"
DRAGON_BOAT = "端午节"
MID_AUTUMN = "中秋节"
NATIONAL_DAY = "国庆节"


def _solar(lunar: Lunar) -> date:
    s = lunar.getSolar()
    return date(s.getYear(), s.getMonth(), s.getDay())


def decree_for(year: int) -> str | None:
    """The 放假办法 version in force for ``year`` (None before 2008)."""
    if year >= 2025:
        return "《全国年节及纪念日放假办法》（2024年修订）"
    if year >= 2014:
        return "《全国年节及纪念日放假办法》（2013年修订）"
    if year >= FIRST_YEAR:
        return "《全国年节及纪念日放假办法》（2007年修订）"
    return None


@lru_cache(maxsize=256)
def fixed_holidays(year: int) -> dict[date, str]:
    """Every fixed statutory day off of ``year`` mapped to its festival's Chinese name."""
    if year < FIRST_YEAR:
        return {}
    days: dict[date, str] = {date(year, 1, 1): NEW_YEAR}
    first_day = _solar(Lunar.fromYmd(year, 1, 1))  # 正月初一 always falls in Jan/Feb of `year`
    eve = first_day - timedelta(days=1)  # 除夕: the last day of the twelfth month
    if year >= 2025:
        spring = [eve] + [first_day + timedelta(days=i) for i in range(3)]
    elif year >= 2014:
        spring = [first_day + timedelta(days=i) for i in range(3)]
    else:
        spring = [eve, first_day, first_day + timedelta(days=1)]
    for d in spring:
        days[d] = SPRING_FESTIVAL
    qingming = Lunar.fromYmd(year, 1, 1).getJieQiTable()["清明"]
    days[date(qingming.getYear(), qingming.getMonth(), qingming.getDay())] = TOMB_SWEEPING
    days[date(year, 5, 1)] = LABOUR_DAY
    if year >= 2025:
        days[date(year, 5, 2)] = LABOUR_DAY
    days[_solar(Lunar.fromYmd(year, 5, 5))] = DRAGON_BOAT
    # 中秋 may fall on 1-3 October; the day then stays named 国庆节 (both are days off).
    days.setdefault(_solar(Lunar.fromYmd(year, 8, 15)), MID_AUTUMN)
    for i in range(1, 4):
        days[date(year, 10, i)] = NATIONAL_DAY
    return dict(sorted(days.items()))


def fixed_holiday_name(d: date) -> str | None:
    """The festival fixed by the 放假办法 on ``d``, or None."""
    return fixed_holidays(d.year).get(d)
