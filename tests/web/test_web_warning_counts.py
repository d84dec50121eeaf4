"""红黄蓝 counts (services.digest.warning_figures) on the county and city dashboards and the
handling inbox, each linking to the list of the cases behind it."""

import re
from datetime import timedelta

import pytest

from tests.web.conftest import text
from tests.web.oversight_helpers import handling_clock, hrefs, today


def coloured(cases, session, county: str = "meixian") -> dict[str, str]:
    """One accepted case per colour today (the colour days of its handling clock moved)."""
    t, day = today(), timedelta(days=1)
    dates = {"red": (t - 9 * day, t - 5 * day, t - day),
             "yellow": (t - 5 * day, t - day, t + 3 * day),
             "blue": (t - day, t + 3 * day, t + 9 * day)}
    numbers = {}
    for level, (blue_on, yellow_on, red_on) in dates.items():
        case = cases.walk(["classify", "transfer", "accept"], county=county)
        # Meixian's 30-day 限时办结 clock runs beside the statutory one: both get the colour.
        for clock in [handling_clock(session, case.id)] + [
                c for c in case.clocks if c.rule == "handling@local"]:
            clock.blue_on, clock.yellow_on, clock.red_on = blue_on, yellow_on, red_on
        numbers[level] = case.case_no
    session.commit()
    return numbers


def figure(page: str, level: str) -> tuple[str, int]:
    found = re.search(rf'class="warn-{level}" href="([^"]+)">.*?<strong>(\d+)</strong>', page)
    return found.group(1).replace("&amp;", "&"), int(found.group(2))


@pytest.mark.parametrize("username, start", [("county_supervisor.meixian", "/supervision/"),
                                             ("city_supervisor.baoji", "/supervision/"),
                                             ("handler.meixian", "/cases"),
                                             ("unit_leader.meixian", "/cases")])
def test_each_colour_count_links_to_exactly_the_cases_of_that_colour(
        as_user, cases, session, username, start):
    numbers = coloured(cases, session)
    b = as_user(username)
    page = text(b.get(start))
    for level, case_no in numbers.items():
        url, count = figure(page, level)
        assert count == 1, (level, count)
        listed = text(b.get(url))
        assert case_no in listed, level
        assert all(n not in listed for other, n in numbers.items() if other != level), level


def test_a_county_supervisor_counts_only_their_county_and_the_city_counts_all(
        as_user, cases, session):
    coloured(cases, session)
    coloured(cases, session, county="jintai")
    assert figure(text(as_user("county_supervisor.meixian").get("/supervision/")), "red")[1] == 1
    assert figure(text(as_user("county_supervisor.jintai").get("/supervision/")), "red")[1] == 1
    assert figure(text(as_user("city_supervisor.baoji").get("/supervision/")), "red")[1] == 2
    assert figure(text(as_user("handler.jintai").get("/cases")), "yellow")[1] == 1


def test_the_dashboard_links_to_open_orders_and_pending_accountability(as_user, cases, session):
    coloured(cases, session)
    b = as_user("county_supervisor.meixian")
    page = text(b.get("/supervision/"))
    for css in ("warn-orders", "warn-accountability", "listed-link"):
        for url in hrefs(page, css):
            assert b.get(url).status_code == 200, url


def test_an_unknown_colour_in_the_list_is_refused_in_chinese(as_user):
    response = as_user("county_supervisor.meixian").get("/supervision/cases?level=purple")
    assert response.status_code == 200 and "预警级别无效" in text(response)
