"""Deadline table: every expected date was derived by hand from the State Council holiday notices
(国办发明电〔2024〕12号 for 2025, 国办发明电〔2025〕7号 for 2026) and cross-checked against the
chinesecalendar 1.11.0 data, never by calling the code under test.

2025: 元旦 1/1; 春节 1/28–2/4 (上班 1/26 周日, 2/8 周六); 清明 4/4–4/6;
      劳动节 5/1–5/5 (上班 4/27 周日); 端午 5/31–6/2;
      国庆中秋 10/1–10/8 (上班 9/28 周日, 10/11 周六).
2026: 元旦 1/1–1/3 (上班 1/4 周日); 春节 2/15–2/23 (上班 2/14 周六, 2/28 周六);
      清明 4/4–4/6; 劳动节 5/1–5/5 (上班 5/9 周六); 端午 6/19–6/21; 中秋 9/25–9/27;
      国庆 10/1–10/7 (上班 9/20 周日, 10/10 周六).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from petition_flow.domain.deadlines import DueDate, compute_due
from petition_flow.domain.workcalendar import WorkCalendar, parse_override

CALENDAR = WorkCalendar()
ART_34 = "信访工作条例第三十四条"
ART_23 = "信访工作条例第二十三条"

C, W = "calendar", "workday"
P = pytest.param

# (trigger, days, unit, extension_days, excluded_days, nominal last day, due date)
CASES = [
    # --- 2025, calendar days ---
    P("2025-03-03", 15, C, 0, 0, "2025-03-18", "2025-03-18", id="15d-2025-plain-tuesday"),
    P("2025-03-07", 15, C, 0, 0, "2025-03-22", "2025-03-24", id="15d-2025-saturday-rolls"),
    P("2025-03-08", 15, C, 0, 0, "2025-03-23", "2025-03-24", id="15d-2025-sunday-rolls"),
    P("2024-12-17", 15, C, 0, 0, "2025-01-01", "2025-01-02", id="15d-new-year-2025"),
    P("2025-01-11", 15, C, 0, 0, "2025-01-26", "2025-01-26", id="15d-makeup-sun-0126"),
    P("2025-01-14", 15, C, 0, 0, "2025-01-29", "2025-02-05", id="15d-spring-fest-2025"),
    P("2025-01-04", 30, C, 0, 0, "2025-02-03", "2025-02-05", id="30d-in-lieu-mon-0203"),
    P("2025-01-24", 15, C, 0, 0, "2025-02-08", "2025-02-08", id="15d-makeup-sat-0208"),
    P("2025-03-21", 15, C, 0, 0, "2025-04-05", "2025-04-07", id="15d-qingming-2025-sat"),
    P("2025-03-05", 30, C, 0, 0, "2025-04-04", "2025-04-07", id="30d-qingming-2025-fri"),
    P("2025-04-12", 15, C, 0, 0, "2025-04-27", "2025-04-27", id="15d-makeup-sun-0427"),
    P("2025-04-16", 15, C, 0, 0, "2025-05-01", "2025-05-06", id="15d-labour-day-2025"),
    P("2025-04-03", 60, C, 0, 0, "2025-06-02", "2025-06-03", id="60d-dragon-boat-2025"),
    P("2025-06-09", 30, C, 0, 7, "2025-07-16", "2025-07-16", id="30d-7-hearing-days"),
    P("2025-08-02", 60, C, 0, 0, "2025-10-01", "2025-10-09", id="60d-national-day-2025"),
    P("2025-09-06", 30, C, 0, 0, "2025-10-06", "2025-10-09", id="30d-mid-autumn-2025"),
    P("2025-09-08", 30, C, 0, 0, "2025-10-08", "2025-10-09", id="30d-in-lieu-wed-1008"),
    P("2025-09-26", 15, C, 0, 0, "2025-10-11", "2025-10-11", id="15d-makeup-sat-1011"),
    # --- 2025, working days ---
    P("2025-03-03", 10, W, 0, 0, "2025-03-17", "2025-03-17", id="10wd-2025-plain"),
    P("2025-03-07", 5, W, 0, 0, "2025-03-14", "2025-03-14", id="5wd-2025-from-friday"),
    P("2025-01-24", 5, W, 0, 0, "2025-02-07", "2025-02-07", id="5wd-spring-fest-2025"),
    P("2025-01-24", 10, W, 0, 0, "2025-02-13", "2025-02-13", id="10wd-spring-fest-2025"),
    P("2025-04-25", 5, W, 0, 0, "2025-05-06", "2025-05-06", id="5wd-labour-day-2025"),
    P("2025-04-28", 10, W, 0, 0, "2025-05-15", "2025-05-15", id="10wd-labour-day-2025"),
    P("2025-05-28", 5, W, 0, 0, "2025-06-05", "2025-06-05", id="5wd-dragon-boat-2025"),
    P("2025-09-30", 5, W, 0, 0, "2025-10-14", "2025-10-14", id="5wd-national-day-2025"),
    P("2025-09-26", 10, W, 0, 0, "2025-10-16", "2025-10-16", id="10wd-national-day-2025"),
    # --- 2026, calendar days ---
    P("2025-12-02", 30, C, 0, 0, "2026-01-01", "2026-01-04", id="30d-new-year-2026"),
    P("2025-12-18", 15, C, 0, 0, "2026-01-02", "2026-01-04", id="15d-in-lieu-fri-0102"),
    P("2025-12-20", 15, C, 0, 0, "2026-01-04", "2026-01-04", id="15d-makeup-sun-0104"),
    P("2026-01-30", 15, C, 0, 0, "2026-02-14", "2026-02-14", id="15d-makeup-sat-0214"),
    P("2026-02-02", 15, C, 0, 0, "2026-02-17", "2026-02-24", id="15d-spring-fest-2026"),
    P("2026-01-21", 30, C, 0, 0, "2026-02-20", "2026-02-24", id="30d-in-lieu-fri-0220"),
    P("2026-02-13", 15, C, 0, 0, "2026-02-28", "2026-02-28", id="15d-makeup-sat-0228"),
    P("2026-03-20", 15, C, 0, 0, "2026-04-04", "2026-04-07", id="15d-qingming-2026-sat"),
    P("2026-03-07", 30, C, 0, 0, "2026-04-06", "2026-04-07", id="30d-qingming-2026-mon"),
    P("2026-04-20", 15, C, 0, 0, "2026-05-05", "2026-05-06", id="15d-in-lieu-tue-0505"),
    P("2026-04-24", 15, C, 0, 0, "2026-05-09", "2026-05-09", id="15d-makeup-sat-0509"),
    P("2026-03-02", 60, C, 30, 0, "2026-05-31", "2026-06-01", id="60+30d-ends-sunday"),
    P("2026-04-20", 60, C, 0, 0, "2026-06-19", "2026-06-22", id="60d-dragon-boat-2026"),
    P("2026-07-01", 15, C, 0, 0, "2026-07-16", "2026-07-16", id="15d-2026-plain-thursday"),
    P("2026-07-03", 30, C, 0, 0, "2026-08-02", "2026-08-03", id="30d-2026-sunday-rolls"),
    P("2026-08-03", 60, C, 0, 0, "2026-10-02", "2026-10-08", id="60d-domain-example"),
    P("2026-08-26", 30, C, 0, 0, "2026-09-25", "2026-09-28", id="30d-mid-autumn-2026"),
    P("2026-09-05", 15, C, 0, 0, "2026-09-20", "2026-09-20", id="15d-makeup-sun-0920"),
    P("2026-07-05", 60, C, 30, 0, "2026-10-03", "2026-10-08", id="60+30d-national-day"),
    P("2026-03-02", 30, C, 0, 10, "2026-04-11", "2026-04-13", id="30d-10-hearing-days"),
    P("2026-10-01", 15, C, 0, 0, "2026-10-16", "2026-10-16", id="15d-trigger-on-holiday"),
    # --- 2026, working days ---
    P("2026-09-30", 5, W, 0, 0, "2026-10-13", "2026-10-13", id="5wd-domain-example"),
    P("2025-12-30", 5, W, 0, 0, "2026-01-07", "2026-01-07", id="5wd-new-year-2026"),
    P("2026-02-12", 5, W, 0, 0, "2026-02-26", "2026-02-26", id="5wd-spring-fest-2026"),
    P("2026-02-12", 10, W, 0, 0, "2026-03-04", "2026-03-04", id="10wd-spring-fest-2026"),
    P("2026-04-02", 5, W, 0, 0, "2026-04-10", "2026-04-10", id="5wd-qingming-2026"),
    P("2026-04-29", 5, W, 0, 0, "2026-05-09", "2026-05-09", id="5wd-ends-makeup-sat"),
    P("2026-09-18", 10, W, 0, 0, "2026-10-09", "2026-10-09", id="10wd-autumn-national"),
    P("2026-03-02", 10, W, 0, 3, "2026-03-19", "2026-03-19", id="10wd-3-excluded-days"),
]


def _d(text: str) -> date:
    return date.fromisoformat(text)


def _due(
    trigger: str, days: int, unit: str = C, calendar: WorkCalendar = CALENDAR, **kw: Any
) -> DueDate:
    article = ART_23 if unit == W else ART_34
    return compute_due(_d(trigger), days, unit, calendar, label="办理期限", article=article, **kw)


@pytest.mark.parametrize(
    ("trigger", "days", "unit", "extension", "excluded", "last_day", "due"), CASES
)
def test_each_statutory_period_in_the_table_ends_on_the_hand_derived_date(
    trigger: str, days: int, unit: str, extension: int, excluded: int, last_day: str, due: str
) -> None:
    result = _due(trigger, days, unit, extension_days=extension, excluded_days=excluded)
    assert (result.last_day, result.due_date) == (_d(last_day), _d(due))
    assert result.provisional is False
    assert result.calendar_version == CALENDAR.version


def test_the_table_has_at_least_thirty_two_cases_across_2025_and_2026() -> None:
    assert len(CASES) >= 32
    assert {p.values[0][:4] for p in CASES} >= {"2025", "2026"}


def test_a_sixty_day_limit_ending_in_national_day_rolls_to_the_first_working_day_after() -> None:
    result = _due("2026-08-03", 60)
    assert result.explanation == (
        "依据信访工作条例第三十四条，办理期限60日，自2026年8月3日次日起算，"
        "第60日为2026年10月2日，适逢国庆节，顺延至2026年10月8日。"
    )


def test_a_five_working_day_objection_period_counts_the_make_up_saturday() -> None:
    result = compute_due(date(2026, 9, 30), 5, W, CALENDAR, label="异议期限", article=ART_23)
    assert result.due_date == date(2026, 10, 13)
    assert result.explanation == (
        "依据信访工作条例第二十三条，异议期限5个工作日，按工作日计算（含调休上班日），"
        "自2026年9月30日次日起算，第5个工作日为2026年10月13日。"
    )


def test_a_period_ending_on_an_ordinary_weekend_says_it_was_rolled_past_the_weekend() -> None:
    result = _due("2025-03-07", 15)
    assert "第15日为2025年3月22日，适逢周末，顺延至2025年3月24日" in result.explanation


def test_a_period_ending_on_a_weekday_given_off_in_lieu_names_the_holiday() -> None:
    assert "适逢春节，顺延至2026年2月24日" in _due("2026-01-21", 30).explanation


def test_a_calendar_period_ending_on_a_make_up_saturday_explains_why_it_does_not_roll() -> None:
    result = _due("2026-01-30", 15)
    assert result.due_date == result.last_day == date(2026, 2, 14)
    assert "该日为调休上班日，不顺延" in result.explanation


def test_an_approved_extension_is_stated_and_counted_into_the_last_day() -> None:
    result = _due("2026-07-05", 60, extension_days=30)
    assert "办理期限60日，经批准延长30日" in result.explanation
    assert "第90日为2026年10月3日" in result.explanation


def test_excluded_hearing_days_are_stated_and_added_to_the_period() -> None:
    result = _due("2026-03-02", 30, excluded_days=10)
    assert "听证等10日不计入期限" in result.explanation
    assert "第40日为2026年4月11日" in result.explanation


def test_excluded_days_in_a_working_day_period_are_counted_as_working_days() -> None:
    result = _due("2026-03-02", 10, W, excluded_days=3)
    assert result.due_date == date(2026, 3, 19)
    assert "听证等3个工作日不计入期限" in result.explanation
    assert "第13个工作日为2026年3月19日" in result.explanation


def test_a_rule_without_roll_forward_keeps_the_nominal_last_day_even_on_a_holiday() -> None:
    result = _due("2026-08-03", 60, roll_forward=False)
    assert result.due_date == result.last_day == date(2026, 10, 2)
    assert "适逢国庆节，依本规则不顺延" in result.explanation


@pytest.mark.parametrize(
    ("days", "unit", "extension", "excluded", "fragment"),
    [
        pytest.param(0, C, 0, 0, "天数必须是不小于 1 的整数", id="zero-days"),
        pytest.param(-5, C, 0, 0, "天数必须是不小于 1 的整数", id="negative-days"),
        pytest.param(60, C, -1, 0, "延长天数", id="negative-extension"),
        pytest.param(60, C, 0, -1, "不计入期限的天数", id="negative-excluded"),
        pytest.param(60, "week", 0, 0, "期限单位", id="unknown-unit"),
    ],
)
def test_invalid_period_parameters_are_rejected_with_a_chinese_message(
    days: int, unit: str, extension: int, excluded: int, fragment: str
) -> None:
    with pytest.raises(ValueError, match=fragment):
        _due("2026-08-03", days, unit, extension_days=extension, excluded_days=excluded)


# --- years without an official schedule (chinesecalendar 1.11.0 stops at 2026) ---

OVERRIDE_2027_TEXT = """\
year: 2027
source: 测试用安排（非真实通知）
holidays: [2027-01-01, 2027-01-19, 2027-02-05, 2027-02-08, 2027-04-05, 2027-06-09, 2027-09-15,
           2027-10-01]
workdays: []
"""


def test_the_unknown_year_cases_assume_the_package_has_no_2027_data() -> None:
    assert not CALENDAR.is_official(2027), "chinesecalendar now covers 2027: move these cases on"


def test_a_sixty_day_period_into_an_unpublished_year_is_provisional_and_says_tiaoxiu_is_unknown(
) -> None:
    result = _due("2026-11-20", 60)
    assert (result.last_day, result.due_date) == (date(2027, 1, 19), date(2027, 1, 19))
    assert result.provisional is True
    assert "2027年调休安排尚未公布" in result.explanation
    assert "《全国年节及纪念日放假办法》" in result.explanation and "（暂定）" in result.explanation


def test_an_unpublished_new_years_day_is_a_rest_day_and_the_period_rolls_past_it() -> None:
    # The review's case: accepted 2026-12-02, 30 days end on 2027-01-01 (元旦, a Friday).
    result = _due("2026-12-02", 30)
    assert (result.last_day, result.due_date) == (date(2027, 1, 1), date(2027, 1, 4))
    assert result.provisional is True
    assert "适逢元旦，顺延至2027年1月4日" in result.explanation
    assert "其中元旦（2027年1月1日）计为休息日" in result.explanation


def test_a_provisional_period_ending_on_a_weekend_still_rolls_to_monday() -> None:
    result = _due("2026-12-19", 15)
    assert (result.last_day, result.due_date) == (date(2027, 1, 3), date(2027, 1, 4))
    assert "适逢周末" in result.explanation and "暂定" in result.explanation


def test_a_working_day_period_crossing_into_an_unpublished_year_does_not_crash() -> None:
    result = _due("2026-12-30", 5, W)
    assert result.due_date == date(2027, 1, 7)  # 2027-01-01 is not counted as a working day
    assert result.provisional is True
    assert "元旦（2027年1月1日）计为休息日" in result.explanation


def test_a_published_override_makes_the_same_period_official_and_rolls_past_its_holiday() -> None:
    calendar = WorkCalendar([parse_override(OVERRIDE_2027_TEXT, "2027.yaml")])
    result = _due("2026-11-20", 60, calendar=calendar)
    assert result.provisional is False
    assert (result.last_day, result.due_date) == (date(2027, 1, 19), date(2027, 1, 20))
    assert "适逢法定节假日，顺延至2027年1月20日" in result.explanation
    assert "暂定" not in result.explanation
    assert result.calendar_version != CALENDAR.version
