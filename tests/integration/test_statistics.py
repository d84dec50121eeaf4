"""Every statistic on a hand-built set with known answers (tests/stats_data.py), per county, in
total, by month and across period edges in China time; the list behind each number has as many
cases as the number says."""

from __future__ import annotations

from datetime import date

import pytest
from stats_data import EXPECTED, Q1, TODAY, build, expected_value

from petition_flow.errors import PermissionDenied, ValidationError
from petition_flow.services.queries import CaseFilters, list_cases
from petition_flow.services.statistics import BY_KEY, DEFINITIONS, statistics


@pytest.fixture
def data(session):
    return build(session)


def _check(group, expected):
    for key, want in expected.items():
        figure = group.figures[key]
        assert figure.value == expected_value(key, want), (group.label, key)
        if isinstance(want, tuple):
            assert (figure.numerator, figure.denominator) == want, (group.label, key)


def test_a_city_supervisor_sees_every_county_side_by_side_with_a_total_row(world, data):
    report = statistics(world.session, world.actor("city_supervisor"), TODAY, start=Q1[0],
                        end=Q1[1])
    by_code = {g.key: g for g in report.groups}
    assert len(report.groups) == 12  # every county of Baoji, with or without cases
    _check(by_code["meixian"], EXPECTED["meixian"])
    _check(by_code["jintai"], EXPECTED["jintai"])
    _check(report.total, EXPECTED["total"])
    assert by_code["taibai"].figures["registered"].value == 0
    assert by_code["taibai"].figures["on_time_statutory"].value is None


def test_a_county_supervisor_counts_only_the_own_county(world, data):
    report = statistics(world.session, world.actor("county_supervisor"), TODAY, start=Q1[0],
                        end=Q1[1])
    assert [g.key for g in report.groups] == ["meixian"]
    _check(report.total, EXPECTED["meixian"])


def test_a_county_supervisor_asking_for_another_county_is_refused(world, data):
    with pytest.raises(PermissionDenied):
        statistics(world.session, world.actor("county_supervisor"), TODAY, start=Q1[0],
                   end=Q1[1], county="jintai")


def test_a_handler_may_not_read_the_statistics(world, data):
    with pytest.raises(PermissionDenied):
        statistics(world.session, world.actor("handler"), TODAY)


def test_months_place_each_case_by_its_beijing_date(world, data):
    report = statistics(world.session, world.actor("county_supervisor"), TODAY, start=Q1[0],
                        end=Q1[1], group_by="month")
    months = {g.key: g for g in report.groups}
    assert sorted(months) == ["2026-01", "2026-02", "2026-03"]
    # registered: m1 (01-01 00:30 CST, still 2025 in UTC) and m7 in January
    assert [months[k].figures["registered"].value for k in sorted(months)] == [2, 1, 3]
    # concluded: m1, m5 in January; m7 in February; m2 on 03-31 23:30 CST in March
    assert [months[k].figures["concluded"].value for k in sorted(months)] == [2, 1, 1]
    assert months["2026-01"].label == "2026年1月"
    assert months["2026-02"].filters == {"from": "2026-02-01", "to": "2026-02-28"}


def test_the_second_quarter_starts_at_midnight_beijing_time(world, data):
    report = statistics(world.session, world.actor("county_supervisor"), TODAY,
                        start=date(2026, 4, 1), end=date(2026, 6, 30), group_by="quarter")
    # m6 was received at 04-01 00:00 CST; m8 concluded at 04-01 07:30 CST (03-31 in UTC)
    assert report.total.figures["registered"].value == 1
    assert report.total.figures["concluded"].value == 1
    assert report.total.figures["average_days"].value == 12.0
    assert [g.key for g in report.groups] == ["2026-Q2"]


def test_the_last_day_of_a_period_runs_to_midnight_beijing_time(world, data):
    report = statistics(world.session, world.actor("county_supervisor"), TODAY,
                        start=date(2026, 3, 31), end=date(2026, 3, 31))
    assert report.total.figures["concluded"].value == 1  # m2 at 23:30 CST, not m8 at 07:30 next


def test_grouping_by_unit_category_and_channel(world, data):
    actor = world.actor("county_supervisor")
    by_unit = {g.label: g for g in statistics(world.session, actor, TODAY, start=Q1[0],
                                              end=Q1[1], group_by="unit").groups}
    assert by_unit["眉县住房和城乡建设局"].figures["concluded"].value == 1
    assert by_unit["眉县人力资源和社会保障局"].figures["registered"].value == 5
    by_channel = {g.key: g for g in statistics(world.session, actor, TODAY, start=Q1[0],
                                               end=Q1[1], group_by="channel").groups}
    assert by_channel["letter"].figures["registered"].value == 1
    assert by_channel["letter"].label == "来信"
    city = world.actor("city_supervisor")
    by_category = {g.label: g for g in statistics(world.session, city, TODAY, start=Q1[0],
                                                  end=Q1[1], group_by="category").groups}
    assert by_category["未分类"].figures["registered"].value == 1
    assert by_category["建议意见类"].figures["registered"].value == 1
    assert by_category["申诉求决类"].figures["registered"].value == 6


@pytest.mark.parametrize("definition", DEFINITIONS, ids=lambda d: d.key)
def test_the_list_behind_each_number_has_that_many_cases(world, data, definition):
    actor = world.actor("city_supervisor")
    report = statistics(world.session, actor, TODAY, start=Q1[0], end=Q1[1])
    for group in [*report.groups, report.total]:
        figure = group.figures[definition.key]
        args = report.link(group, definition.numerator)
        page = list_cases(world.session, actor, CaseFilters(
            stat=args["stat"], period_from=date.fromisoformat(args["from"]),
            period_to=date.fromisoformat(args["to"]), county=args.get("county")), TODAY)
        if definition.kind == "count":
            assert page.total == figure.value, (group.label, definition.key)
        elif definition.kind == "rate":
            assert page.total == figure.numerator, (group.label, definition.key)
        else:
            assert page.total == figure.denominator, (group.label, definition.key)


def test_an_inverted_period_is_refused_with_a_chinese_message(world, data):
    with pytest.raises(ValidationError, match="开始日期晚于结束日期"):
        statistics(world.session, world.actor("city_supervisor"), TODAY,
                   start=date(2026, 3, 1), end=date(2026, 2, 1))


def test_every_definition_states_its_formula_in_chinese():
    for d in DEFINITIONS:
        assert d.formula and any("\u4e00" <= ch <= "\u9fff" for ch in d.formula)
    assert "复查" in BY_KEY["resolution_rate"].formula
    assert "越级" in BY_KEY["in_county_rate"].formula
