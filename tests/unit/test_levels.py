"""Three-colour warnings (红黄蓝) on real 2026 periods. Every expected date was worked out by hand
from the State Council holiday notice for 2026 (国办发明电〔2025〕7号), never by calling the code:

    元旦 1/1–1/3 (上班 1/4 周日); 春节 2/15–2/23 (上班 2/14 周六, 2/28 周六); 清明 4/4–4/6;
    劳动节 5/1–5/5 (上班 5/9 周六); 端午 6/19–6/21; 中秋 9/25–9/27;
    国庆 10/1–10/7 (上班 9/20 周日, 10/10 周六).

Settings as in the shipped workflow: blue when 0.34 of the period (calendar days, rounded down)
is left; yellow from the day on which 3 working days remain, the due date included; red the day
after the due date. No colour shows before the day after the trigger, and blue never comes after
yellow.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from petition_flow.domain.levels import LevelDates, WarningLevel, level_dates, level_on
from petition_flow.domain.workcalendar import WorkCalendar

CALENDAR = WorkCalendar()
LEVELS = {
    "blue": WarningLevel("blue", "蓝色提示", ("handler",), remaining_fraction=0.34),
    "yellow": WarningLevel("yellow", "黄色预警", ("handler", "unit_leader"), workdays_left=3),
    "red": WarningLevel("red", "红色超期", ("handler", "unit_leader", "county_supervisor")),
}
D = date.fromisoformat

# trigger, due, blue_on, yellow_on, red_on — with the reasoning for each.
TABLE = [
    pytest.param(
        # 60 日: 6/1 (Mon) + 60 = 7/31 (Fri). Span 60 → blue 20 days before due = 7/11.
        # Working days back from due: 7/31 Fri, 7/30 Thu, 7/29 Wed → yellow 7/29.
        "2026-06-01", "2026-07-31", "2026-07-11", "2026-07-29", "2026-08-01",
        id="60-days-plain-summer",
    ),
    pytest.param(
        # 60 日: 3/2 (Mon) + 60 = 5/1, 劳动节, rolls to 5/6 (Wed). Span 65 → 22 days → 4/14.
        # Back from 5/6: 5/6 Wed (1); 5/5–5/1 holiday and weekend; 4/30 Thu (2); 4/29 Wed (3).
        "2026-03-02", "2026-05-06", "2026-04-14", "2026-04-29", "2026-05-07",
        id="60-days-over-labour-day",
    ),
    pytest.param(
        # 15 日: 2/6 (Fri) + 15 = 2/21, 春节, rolls to 2/24 (Tue). Span 18 → 6 days → 2/18, but
        # yellow comes first: 2/24 Tue (1); 2/23–2/15 春节; 2/14 Sat 调休上班 (2); 2/13 Fri (3).
        "2026-02-06", "2026-02-24", "2026-02-13", "2026-02-13", "2026-02-25",
        id="15-days-over-spring-festival",
    ),
    pytest.param(
        # 5 个工作日 from 3/2 (Mon): 3/3, 3/4, 3/5, 3/6, 3/9 → due 3/9. Span 7 → 2 days → 3/7,
        # after yellow: 3/9 Mon (1); 3/8, 3/7 weekend; 3/6 Fri (2); 3/5 Thu (3) → both 3/5.
        "2026-03-02", "2026-03-09", "2026-03-05", "2026-03-05", "2026-03-10",
        id="5-workdays-plain",
    ),
    pytest.param(
        # 5 个工作日 from 9/29 (Tue): 9/30 (1); 10/1–10/7 国庆; 10/8 (2), 10/9 (3),
        # 10/10 Sat 调休上班 (4); 10/11 Sun; 10/12 Mon (5). Span 13 → 4 days → 10/8.
        # Back from 10/12: 10/12 (1); 10/11 Sun; 10/10 调休上班 (2); 10/9 Fri (3).
        "2026-09-29", "2026-10-12", "2026-10-08", "2026-10-09", "2026-10-13",
        id="5-workdays-over-national-day",
    ),
    pytest.param(
        # 1 个工作日 from 3/5 (Thu): due 3/6. Three working days back would be 3/4, before the
        # trigger; nothing shows before the day after the trigger, so blue and yellow are 3/6.
        "2026-03-05", "2026-03-06", "2026-03-06", "2026-03-06", "2026-03-07",
        id="period-shorter-than-the-yellow-window",
    ),
]


@pytest.mark.parametrize("trigger, due, blue, yellow, red", TABLE)
def test_warning_levels_start_on_the_dates_worked_out_from_the_2026_calendar(
    trigger, due, blue, yellow, red
):
    dates = level_dates(D(trigger), D(due), LEVELS, CALENDAR)

    assert dates == LevelDates(D(blue), D(yellow), D(red))


@pytest.mark.parametrize("trigger, due, blue, yellow, red", TABLE)
def test_the_colour_shown_each_day_goes_none_blue_yellow_red_at_those_dates(
    trigger, due, blue, yellow, red
):
    dates = LevelDates(D(blue), D(yellow), D(red))
    day = D(trigger)
    seen = []
    while day <= D(red) + timedelta(days=3):
        seen.append((day, level_on(day, dates)))
        day += timedelta(days=1)

    expected = [
        (d, None if d < D(blue) else "blue" if d < D(yellow) else "yellow" if d <= D(due)
         else "red")
        for d, _ in seen
    ]
    assert seen == expected
    assert level_on(D(trigger), dates) is None
    assert level_on(D(due), dates) == "yellow"
    assert level_on(D(due) + timedelta(days=1), dates) == "red"


def test_on_a_60_day_period_the_colours_change_on_the_exact_boundary_days():
    dates = level_dates(D("2026-03-02"), D("2026-05-06"), LEVELS, CALENDAR)

    assert level_on(D("2026-04-13"), dates) is None
    assert level_on(D("2026-04-14"), dates) == "blue"
    assert level_on(D("2026-04-28"), dates) == "blue"
    assert level_on(D("2026-04-29"), dates) == "yellow"
    assert level_on(D("2026-05-05"), dates) == "yellow"  # a holiday inside the yellow window
    assert level_on(D("2026-05-06"), dates) == "yellow"
    assert level_on(D("2026-05-07"), dates) == "red"


def _every_trigger_of_2026():
    day = D("2026-01-01")
    while day.year == 2026:
        yield day
        day += timedelta(days=1)


@pytest.mark.parametrize("period", ["60-calendar-days", "5-working-days", "15-calendar-days"])
def test_over_every_trigger_day_of_2026_blue_never_follows_yellow_and_nothing_precedes_the_trigger(
    period
):
    for trigger in _every_trigger_of_2026():
        if period == "5-working-days":
            due = CALENDAR.add_workdays(trigger, 5)
        else:
            due = CALENDAR.next_workday(trigger + timedelta(days=int(period.split("-")[0])))

        dates = level_dates(trigger, due, LEVELS, CALENDAR)

        assert trigger < dates.blue_on <= dates.yellow_on <= due, (trigger, dates)
        assert dates.red_on == due + timedelta(days=1), (trigger, dates)
        assert level_on(trigger, dates) is None, (trigger, dates)


def test_with_only_red_configured_a_period_shows_no_colour_until_the_day_after_it_is_due():
    dates = level_dates(D("2026-03-02"), D("2026-05-06"), {"red": LEVELS["red"]}, CALENDAR)

    assert dates == LevelDates(D("2026-05-07"), D("2026-05-07"), D("2026-05-07"))
    assert level_on(D("2026-05-06"), dates) is None
    assert level_on(D("2026-05-07"), dates) == "red"
