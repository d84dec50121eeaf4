"""Fixed statutory holidays (《全国年节及纪念日放假办法》) and the provisional calendar of
unpublished years.

Every expected date below was worked out by hand from the 放假办法 and a printed 万年历
(2027: 除夕 2/5, 春节 2/6, 清明 4/5, 端午 6/9, 中秋 9/15; 2028: 除夕 1/25, 春节 1/26, 清明 4/4,
端午 5/28, 中秋 10/3), never by calling the code under test.
"""

from __future__ import annotations

from datetime import date

import chinese_calendar
import pytest
from chinese_calendar.constants import holidays as package_holidays

from petition_flow.domain.deadlines import compute_due
from petition_flow.domain.fixedholidays import FIRST_YEAR, fixed_holidays
from petition_flow.domain.workcalendar import CalendarFileError, WorkCalendar, parse_override

CALENDAR = WorkCalendar()
PACKAGE_YEARS = range(min(package_holidays).year, max(package_holidays).year + 1)
P = pytest.param


def test_the_provisional_cases_assume_2027_and_2028_are_unpublished() -> None:
    assert not CALENDAR.is_official(2027) and not CALENDAR.is_official(2028), (
        "chinesecalendar now covers these years: move the provisional cases on"
    )


@pytest.mark.parametrize("year", [y for y in PACKAGE_YEARS if y >= FIRST_YEAR])
def test_every_fixed_holiday_is_an_official_rest_day_in_each_published_year(year: int) -> None:
    # The rule must never call a working day a holiday: it is a subset of the State Council's
    # rest days for every year chinesecalendar knows (2025 and 2026 under the 2024 revision).
    fixed = fixed_holidays(year)
    assert fixed, year
    working = [d for d in fixed if chinese_calendar.is_workday(d)]
    assert working == [], f"{year}: {working}"


def test_the_2024_revision_adds_new_years_eve_and_a_second_labour_day_from_2025() -> None:
    assert fixed_holidays(2025)[date(2025, 1, 28)] == "春节"  # 除夕
    assert fixed_holidays(2025)[date(2025, 5, 2)] == "劳动节"
    assert date(2024, 2, 9) not in fixed_holidays(2024)  # 除夕 was not fixed in 2014-2024
    assert date(2024, 5, 2) not in fixed_holidays(2024)


def test_the_fixed_days_of_2027_and_2028_are_the_lunar_and_solar_dates_of_the_decree() -> None:
    assert sorted(fixed_holidays(2027)) == [date.fromisoformat(d) for d in (
        "2027-01-01", "2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08", "2027-04-05",
        "2027-05-01", "2027-05-02", "2027-06-09", "2027-09-15", "2027-10-01", "2027-10-02",
        "2027-10-03")]
    assert fixed_holidays(2028)[date(2028, 1, 25)] == "春节"
    assert fixed_holidays(2028)[date(2028, 4, 4)] == "清明节"
    assert fixed_holidays(2028)[date(2028, 5, 28)] == "端午节"
    assert fixed_holidays(2028)[date(2028, 10, 3)] == "国庆节"  # 中秋 falls inside 国庆


@pytest.mark.parametrize(
    ("trigger", "days", "unit", "due", "named"),
    [
        P("2026-12-02", 30, "calendar", "2027-01-04", "元旦（2027年1月1日）", id="2027-new-year"),
        P("2027-03-21", 15, "calendar", "2027-04-06", "清明节（2027年4月5日）", id="2027-qingming"),
        P("2027-05-25", 15, "calendar", "2027-06-10", "端午节（2027年6月9日）", id="2027-duanwu"),
        P("2027-08-16", 30, "calendar", "2027-09-16", "中秋节（2027年9月15日）", id="2027-mid-autumn"),
        P("2027-09-28", 5, "workday", "2027-10-06", "国庆节（2027年10月1日至3日）", id="2027-5wd"),
        P("2027-12-26", 30, "calendar", "2028-01-31", "春节（2028年1月25日至28日）",
          id="2028-spring-festival"),
        P("2028-03-05", 30, "calendar", "2028-04-05", "清明节（2028年4月4日）", id="2028-qingming"),
        P("2028-04-01", 30, "calendar", "2028-05-03", "劳动节（2028年5月1日至2日）", id="2028-may-day"),
        P("2028-09-02", 30, "calendar", "2028-10-04", "国庆节（2028年10月2日至3日）",
          id="2028-national-day"),
        P("2028-01-20", 10, "workday", "2028-02-09", "春节（2028年1月25日至28日）", id="2028-10wd"),
    ],
)
def test_a_period_in_an_unpublished_year_skips_the_fixed_holiday_and_names_it(
    trigger: str, days: int, unit: str, due: str, named: str
) -> None:
    result = compute_due(date.fromisoformat(trigger), days, unit, CALENDAR,
                         label="期限", article="信访工作条例")
    assert result.due_date == date.fromisoformat(due)
    assert result.provisional is True
    assert f"其中{named}计为休息日" in result.explanation
    assert "调休安排尚未公布" in result.explanation and result.explanation.endswith("（暂定）。")


def test_a_provisional_period_that_meets_no_fixed_holiday_says_so_without_naming_one() -> None:
    result = compute_due(date(2027, 7, 1), 15, "calendar", CALENDAR, label="期限", article="条例")
    assert result.due_date == date(2027, 7, 16)
    assert "其中" not in result.explanation and "（暂定）" in result.explanation


def test_a_roll_onto_a_make_up_sunday_says_it_is_a_tiaoxiu_working_day() -> None:
    # 2025-12-19 + 15 = 2026-01-03 (Saturday, 元旦 run); 2026-01-04 is a Sunday worked.
    result = compute_due(date(2025, 12, 19), 15, "calendar", CALENDAR, label="期限", article="条例")
    assert result.due_date == date(2026, 1, 4)
    assert "顺延至2026年1月4日（星期日，调休上班日）" in result.explanation


def test_a_working_day_explanation_does_not_cite_the_civil_code() -> None:
    from petition_flow.services.calendars import plain_due

    working = plain_due(CALENDAR, date(2026, 9, 30), 5, "workday")
    assert working.due_date == date(2026, 10, 13)
    assert "民法典" not in working.explanation
    assert "民法典第二百零一条" in plain_due(CALENDAR, date(2026, 9, 30), 5, "calendar").explanation


def _file(year: int, holidays: str, workdays: str = "[]") -> str:
    return f"year: {year}\nsource: 测试用安排\nholidays: [{holidays}]\nworkdays: {workdays}\n"


def test_a_year_file_that_lists_one_holiday_is_refused_naming_every_missing_fixed_day() -> None:
    # The review's case: a 2026 file with only 元旦 would have dropped National Day.
    with pytest.raises(CalendarFileError) as caught:
        parse_override(_file(2026, "2026-01-01"), "2026.yaml")
    message = str(caught.value)
    assert message.startswith("2026.yaml: holidays: 缺少《全国年节及纪念日放假办法》规定的法定节假日")
    assert "2026-10-01（国庆节）" in message and "2026-02-16（春节）" in message
    assert "2026-01-01" not in message


def test_a_fixed_weekend_holiday_listed_as_a_make_up_workday_is_refused() -> None:
    fixed = "2027-01-01, 2027-02-05, 2027-02-08, 2027-04-05, 2027-06-09, 2027-09-15, 2027-10-01"
    with pytest.raises(CalendarFileError, match=r"2027-10-02（国庆节）"):
        parse_override(_file(2027, fixed, "[2027-10-02]"), "2027.yaml")
    # The same file without that make-up day is a complete schedule.
    assert parse_override(_file(2027, fixed), "2027.yaml").year == 2027


def test_a_shipped_calendar_file_goes_through_the_same_check(tmp_path) -> None:
    from petition_flow.services.calendars import shipped_overrides

    (tmp_path / "2028.yaml").write_text(_file(2028, "2028-01-25"), encoding="utf-8")
    with pytest.raises(CalendarFileError, match=r"2028\.yaml: holidays: .*2028-10-02（国庆节）"):
        shipped_overrides(tmp_path)
