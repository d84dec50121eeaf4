"""GET /stats?from=&to=&group_by=&county=: the figures of the hand-built set (tests/stats_data.py)
for a period in China time, with their definitions; answers checked against the description."""

from __future__ import annotations

import pytest
from helpers import at
from stats_data import EXPECTED, build, expected_value

from petition_flow.services.statistics import DEFINITIONS

Q1 = {"from": "2026-01-01", "to": "2026-03-31"}


@pytest.fixture
def data(Session, api_clock):
    api_clock.now = at("2026-04-10", 10)
    with Session() as session:
        return {k: c.case_no for k, c in build(session).items()}


def _figures(group):
    return {k: f["value"] for k, f in group["figures"].items()}


def test_the_city_gets_every_county_and_a_total_for_the_first_quarter(api, data):
    answer = api.get("/stats", as_="city_supervisor", query=Q1)
    assert answer.status == 200
    assert answer.json["period"] == {**Q1, "time_zone": "Asia/Shanghai"}
    groups = {g["key"]: g for g in answer.json["groups"]}
    assert len(groups) == 12 and answer.json["group_by"] == "county"
    for key, group in (("meixian", groups["meixian"]), ("jintai", groups["jintai"]),
                       ("total", answer.json["total"])):
        for name, want in EXPECTED[key].items():
            assert _figures(group)[name] == expected_value(name, want), (key, name)
    rate = answer.json["total"]["figures"]["in_county_rate"]
    assert (rate["numerator"], rate["denominator"]) == (2, 5)
    assert [d["key"] for d in answer.json["definitions"]] == [d.key for d in DEFINITIONS]
    assert len(answer.json["counties"]) == 12  # today's 督办 figures are still there


def test_months_and_a_quarter_edge_in_china_time(api, data):
    months = api.get("/stats", as_="county_supervisor",
                     query={**Q1, "group_by": "month"}).json["groups"]
    assert [(g["key"], g["figures"]["registered"]["value"]) for g in months] == [
        ("2026-01", 2), ("2026-02", 1), ("2026-03", 3)]
    q2 = api.get("/stats", as_="county_supervisor",
                 query={"from": "2026-04-01", "to": "2026-06-30"}).json["total"]
    assert _figures(q2)["registered"] == 1 and _figures(q2)["concluded"] == 1


def test_a_county_supervisor_asking_for_another_county_gets_403(api, data):
    answer = api.get("/stats", as_="county_supervisor", query={**Q1, "county": "jintai"})
    assert answer.status == 403
    assert answer.json["error"]["message"] == "您无权查看其他县（区）的统计数据。"


def test_the_city_may_narrow_to_one_county(api, data):
    answer = api.get("/stats", as_="city_supervisor", query={**Q1, "county": "jintai"})
    assert [g["key"] for g in answer.json["groups"]] == ["jintai"]
    assert _figures(answer.json["total"])["registered"] == 2


@pytest.mark.parametrize("query, field", [
    ({"from": "2026-3-1"}, "from"), ({"group_by": "week"}, "group_by"),
    ({"county": "atlantis"}, "county"), ({"frm": "2026-01-01"}, "frm")])
def test_bad_parameters_are_400_with_the_parameter_named(api, data, query, field):
    answer = api.get("/stats", as_="city_supervisor", query=query)
    assert answer.status == 400 and field in answer.json["error"]["fields"]


def test_an_inverted_period_is_422(api, data):
    answer = api.get("/stats", as_="city_supervisor",
                     query={"from": "2026-03-01", "to": "2026-02-01"})
    assert answer.status == 422
    assert "开始日期晚于结束日期" in answer.json["error"]["message"]


def test_the_description_publishes_each_definition(api):
    doc = api.client.get("/api/v1/openapi.json").get_json()
    params = {p["name"] for p in doc["paths"]["/stats"]["get"]["parameters"]}
    assert params == {"from", "to", "group_by", "county"}
    assert "q" in {p["name"] for p in doc["paths"]["/petitions"]["get"]["parameters"]}
    figures = doc["components"]["schemas"]["StatsGroup"]["properties"]["figures"]
    assert set(figures["properties"]) == {d.key for d in DEFINITIONS}
    for d in DEFINITIONS:
        assert figures["properties"][d.key]["description"] == f"{d.name}：{d.formula}"
