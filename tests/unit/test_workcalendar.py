"""The official working calendar and its YAML year overrides."""

from __future__ import annotations

from datetime import date, datetime

import chinese_calendar
import pytest
from chinese_calendar.constants import Holiday
from chinese_calendar.constants import holidays as package_holidays

from petition_flow.domain.workcalendar import (
    CalendarFileError,
    WorkCalendar,
    YearOverride,
    parse_override,
)

CALENDAR = WorkCalendar()
SOURCE = "国务院办公厅关于2027年部分节假日安排的通知"
# The weekdays among 2027's days off fixed by the 放假办法 (元旦, 除夕, 初三, 清明, 端午, 中秋, 国庆);
# every 2027 schedule must list them.
FIXED_2027 = "2027-01-01, 2027-02-05, 2027-02-08, 2027-04-05, 2027-06-09, 2027-09-15, 2027-10-01"
FIXED_2026 = ("2026-01-01, 2026-02-16, 2026-02-17, 2026-02-18, 2026-02-19, 2026-05-01, "
              "2026-06-19, 2026-09-25, 2026-10-01, 2026-10-02")
FIXED_2028 = ("2028-01-25, 2028-01-26, 2028-01-27, 2028-01-28, 2028-04-04, 2028-05-01, "
              "2028-05-02, 2028-10-02, 2028-10-03")


def _text(
    year: str = "2027",
    source: str = SOURCE,
    holidays: str = f"[{FIXED_2027}, 2027-02-09]",
    workdays: str = "[2027-01-30]",
) -> str:
    """A test-made 2027 schedule (not the real one): 2027-01-30 is a Saturday worked and
    2027-02-09 a Tuesday given off in exchange."""
    return f"year: {year}\nsource: {source}\nholidays: {holidays}\nworkdays: {workdays}\n"


def _override(text: str | None = None, filename: str = "2027.yaml") -> YearOverride:
    return parse_override(_text() if text is None else text, filename)


def _rejects(text: str, filename: str = "2027.yaml") -> str:
    with pytest.raises(CalendarFileError) as caught:
        parse_override(text, filename)
    return str(caught.value)


# --- working days from the package data ---


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(date(2026, 10, 10), True, id="make-up-saturday"),
        pytest.param(date(2026, 1, 4), True, id="make-up-sunday"),
        pytest.param(date(2026, 10, 6), False, id="in-lieu-tuesday"),
        pytest.param(date(2026, 10, 1), False, id="national-day"),
        pytest.param(date(2026, 7, 11), False, id="ordinary-saturday"),
        pytest.param(date(2026, 7, 15), True, id="ordinary-wednesday"),
    ],
)
def test_a_day_in_a_published_year_follows_the_state_council_schedule(
    day: date, expected: bool
) -> None:
    assert CALENDAR.is_workday(day) is expected


def test_a_datetime_is_treated_as_its_date() -> None:
    assert CALENDAR.is_workday(datetime(2026, 10, 10, 9, 30)) is True
    assert CALENDAR.holiday_name(datetime(2026, 10, 1, 9, 30)) == "国庆节"


def test_the_package_years_are_official_and_years_outside_them_are_not() -> None:
    assert CALENDAR.is_official(2004) and CALENDAR.is_official(2026)
    assert not CALENDAR.is_official(2003)
    assert not CALENDAR.is_official(2027)


def test_a_year_the_package_does_not_know_keeps_its_fixed_holidays_without_raising() -> None:
    assert CALENDAR.is_workday(date(2027, 1, 1)) is False  # a Friday, but 元旦 is fixed by law
    assert CALENDAR.is_workday(date(2027, 1, 4)) is True
    assert CALENDAR.is_workday(date(2027, 1, 2)) is False
    assert CALENDAR.is_workday(date(2003, 1, 1)) is True  # before the 2008 办法: weekdays only
    assert CALENDAR.add_workdays(date(2026, 12, 30), 5) == date(2027, 1, 7)


# --- next_workday / add_workdays ---


def test_next_workday_returns_the_day_itself_when_it_is_a_working_day() -> None:
    assert CALENDAR.next_workday(date(2026, 10, 10)) == date(2026, 10, 10)


def test_next_workday_skips_a_whole_holiday_run() -> None:
    assert CALENDAR.next_workday(date(2026, 10, 1)) == date(2026, 10, 8)


def test_add_workdays_does_not_count_the_start_day_and_counts_make_up_days() -> None:
    assert CALENDAR.add_workdays(date(2026, 9, 30), 5) == date(2026, 10, 13)
    assert CALENDAR.add_workdays(date(2026, 10, 9), 1) == date(2026, 10, 10)


@pytest.mark.parametrize("n", [0, -1])
def test_add_workdays_rejects_a_count_below_one(n: int) -> None:
    with pytest.raises(ValueError, match="工作日数必须是不小于 1 的整数"):
        CALENDAR.add_workdays(date(2026, 9, 30), n)


# --- holiday names ---


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2026, 1, 1), "元旦"),
        (date(2025, 1, 29), "春节"),
        (date(2026, 4, 5), "清明节"),
        (date(2025, 5, 1), "劳动节"),
        (date(2026, 6, 19), "端午节"),
        (date(2025, 10, 6), "中秋节"),
        (date(2026, 10, 6), "国庆节"),
        (date(2015, 9, 3), "抗战胜利纪念日"),
    ],
)
def test_a_statutory_holiday_has_its_chinese_name(day: date, name: str) -> None:
    assert CALENDAR.holiday_name(day) == name


def test_every_holiday_name_the_package_uses_is_translated() -> None:
    for holiday in Holiday:
        day = next(d for d, name in package_holidays.items() if name == holiday.value)
        name = CALENDAR.holiday_name(day)
        assert name and name != "法定节假日" and not name.isascii(), holiday


@pytest.mark.parametrize(
    "day",
    [
        pytest.param(date(2026, 7, 11), id="ordinary-saturday"),
        pytest.param(date(2026, 7, 15), id="ordinary-wednesday"),
        pytest.param(date(2026, 10, 10), id="make-up-saturday"),
        pytest.param(date(2027, 1, 4), id="unpublished-year-weekday"),
    ],
)
def test_a_day_that_is_not_a_statutory_holiday_has_no_holiday_name(day: date) -> None:
    assert CALENDAR.holiday_name(day) is None


# --- overrides ---


def test_an_override_decides_its_workdays_and_holidays_and_makes_its_year_official() -> None:
    calendar = WorkCalendar([_override()])
    assert calendar.is_official(2027)
    assert calendar.is_workday(date(2027, 1, 30)) is True  # listed make-up Saturday
    assert calendar.is_workday(date(2027, 2, 9)) is False  # listed Tuesday off in lieu
    assert calendar.holiday_name(date(2027, 2, 9)) == "法定节假日"
    assert calendar.holiday_name(date(2027, 2, 8)) == "春节"  # a fixed day keeps its name


def test_an_override_year_follows_the_weekday_rule_for_days_it_does_not_list() -> None:
    calendar = WorkCalendar([_override()])
    assert calendar.is_workday(date(2027, 1, 4)) is True
    assert calendar.is_workday(date(2027, 1, 9)) is False
    assert calendar.holiday_name(date(2027, 1, 9)) is None


def test_an_override_replaces_the_package_data_for_the_year_it_covers() -> None:
    local = f"year: 2026\nsource: 本地调整\nholidays: [{FIXED_2026}]\nworkdays: []\n"
    calendar = WorkCalendar([parse_override(local, "2026.yaml")])
    assert calendar.is_workday(date(2026, 10, 5)) is True  # in lieu under the package, not here
    assert calendar.is_workday(date(2026, 10, 10)) is False
    assert calendar.holiday_name(date(2026, 10, 1)) == "国庆节"


def test_a_later_override_of_the_same_year_wins() -> None:
    first = _override()
    second = _override(_text(holidays=f"[{FIXED_2027}, 2027-01-04]", workdays="[]"))
    calendar = WorkCalendar([first, second])
    assert calendar.is_workday(date(2027, 1, 4)) is False
    assert calendar.is_workday(date(2027, 2, 9)) is True
    assert calendar.version == WorkCalendar([second]).version


# --- version ---


def test_the_version_without_overrides_names_the_package_release() -> None:
    assert CALENDAR.version == f"chinesecalendar-{chinese_calendar.__version__}"


def test_the_version_changes_when_an_override_is_added() -> None:
    override = _override()
    calendar = WorkCalendar([override])
    assert calendar.version != CALENDAR.version
    assert calendar.version == f"{CALENDAR.version}+2027:{override.sha256[:8]}"


def test_the_version_is_stable_for_the_same_data_and_changes_when_the_data_changes() -> None:
    a = _override()
    b = _override(_text(year="2028", holidays=f"[{FIXED_2028}]", workdays="[]"), "2028.yaml")
    version = WorkCalendar([b, a]).version
    assert version == WorkCalendar([a, b]).version
    assert version.index("+2027:") < version.index("+2028:")
    changed = _override(_text(holidays=f"[{FIXED_2027}]"))
    assert WorkCalendar([changed]).version != WorkCalendar([a]).version


# --- parse_override: accepted input ---


def test_a_valid_override_file_is_parsed_into_sets_of_dates() -> None:
    override = _override()
    assert (override.year, override.source) == (2027, SOURCE)
    assert override.holidays == {date.fromisoformat(d) for d in FIXED_2027.split(", ")} | {
        date(2027, 2, 9)}
    assert override.workdays == {date(2027, 1, 30)}
    assert len(override.sha256) == 64


def test_quoted_dates_block_lists_comments_and_order_do_not_change_the_content_hash() -> None:
    other = (
        "# 2027 安排\n"
        f"source: '{SOURCE}'\n"
        "year: 2027\n"
        "workdays:\n  - '2027-01-30'  # 周六上班\n"
        "holidays:\n  - 2027-02-09\n  - 2027-02-08\n  - '2027-01-01'\n  - 2027-02-05\n"
        "  - '2027-04-05'\n  - 2027-06-09\n  - 2027-09-15\n  - 2027-10-01\n"
    )
    assert _override(other) == _override()


def test_an_override_may_have_no_make_up_workdays() -> None:
    assert _override(_text(workdays="[]")).workdays == frozenset()


# --- parse_override: one test per rejection rule; each message names file and key ---


def test_a_file_that_is_not_valid_yaml_is_rejected_with_its_line() -> None:
    message = _rejects("year: 2027\nsource: [未闭合\n")
    assert message.startswith("2027.yaml: 第") and "YAML 语法错误" in message


def test_an_explicitly_tagged_impossible_date_is_reported_as_a_file_error() -> None:
    message = _rejects(_text(holidays="[!!timestamp 2027-02-30]"))
    assert message == "2027.yaml: YAML 内容无法解析"


def test_a_file_whose_top_level_is_not_a_mapping_is_rejected() -> None:
    message = _rejects("- 2027-01-01\n")
    assert message.startswith("2027.yaml: ") and "键值映射" in message


@pytest.mark.parametrize("key", ["year", "source", "holidays", "workdays"])
def test_a_missing_key_is_rejected(key: str) -> None:
    text = "\n".join(line for line in _text().splitlines() if not line.startswith(f"{key}:"))
    assert _rejects(text) == f"2027.yaml: {key}: 缺少必填项"


def test_an_unknown_key_is_rejected() -> None:
    assert _rejects(_text() + "region: 眉县\n").startswith("2027.yaml: region: 不允许的键")


def test_a_key_given_twice_is_rejected() -> None:
    assert _rejects(_text() + "workdays: []\n") == "2027.yaml: workdays: 键重复出现"


@pytest.mark.parametrize("year", ["2027年", "true", "1899", "2101", "2027.0"])
def test_a_year_that_is_not_an_integer_between_1900_and_2100_is_rejected(year: str) -> None:
    assert _rejects(_text(year=year)).startswith("2027.yaml: year: 年份必须是 1900–2100")


@pytest.mark.parametrize("source", ["''", "'   '", "42", "[通知]"])
def test_an_empty_or_non_text_source_is_rejected(source: str) -> None:
    assert _rejects(_text(source=source)) == "2027.yaml: source: 必须填写发布依据（非空文字）"


@pytest.mark.parametrize(
    ("field", "value"), [("holidays", "2027-01-01"), ("workdays", ""), ("holidays", "{}")]
)
def test_a_date_list_that_is_not_a_list_is_rejected(field: str, value: str) -> None:
    assert _rejects(_text(**{field: value})).startswith(f"2027.yaml: {field}: 必须是日期列表")


def test_an_impossible_calendar_date_is_rejected() -> None:
    message = _rejects(_text(holidays="[2027-01-01, 2027-02-30]"))
    assert message.startswith("2027.yaml: holidays[1]: '2027-02-30' 不是有效日期")


@pytest.mark.parametrize("value", ["next monday", "20270105", "2027-1-5", "2027-01-05 10:00:00"])
def test_a_value_that_is_not_a_plain_date_is_rejected(value: str) -> None:
    message = _rejects(_text(holidays=f"[2027-01-01, '{value}']"))
    assert message.startswith("2027.yaml: holidays[1]: ") and "不是有效日期" in message


def test_a_date_outside_the_files_year_is_rejected() -> None:
    message = _rejects(_text(holidays="[2027-01-01, 2027-02-05, 2027-02-08, 2028-01-01]"))
    assert message == "2027.yaml: holidays[3]: 日期 2028-01-01 不属于 2027 年"


def test_a_date_listed_both_as_holiday_and_as_workday_is_rejected() -> None:
    message = _rejects(_text(workdays="[2027-01-30, 2027-02-06]", holidays="[2027-02-06]"))
    assert message == "2027.yaml: workdays[1]: 日期 2027-02-06 同时列在 holidays 中"


def test_a_make_up_workday_on_a_weekday_is_rejected() -> None:
    message = _rejects(_text(workdays="[2027-01-30, 2027-02-22]"))
    assert message == "2027.yaml: workdays[1]: 调休上班日 2027-02-22 是星期一，只能是星期六或星期日"


def test_a_date_listed_twice_is_rejected() -> None:
    message = _rejects(_text(holidays="[2027-01-01, 2027-02-05, '2027-01-01']"))
    assert message == "2027.yaml: holidays[2]: 日期 2027-01-01 重复（已见于 holidays[0]）"


def test_the_error_names_the_file_it_was_given() -> None:
    assert _rejects(_text(year="1899"), "calendars/local.yaml").startswith(
        "calendars/local.yaml: year: "
    )
