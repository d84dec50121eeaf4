"""Search on /cases and as ``q`` in the API: case number (exact or prefix), name, 身份证号 and
phone (exact), a Chinese phrase inside the facts; scoped; masked results."""

from __future__ import annotations

from datetime import datetime

import pytest
from stats_data import ID_M1, build

from petition_flow import clock
from petition_flow.clock import CHINA_TZ
from petition_flow.services.actor import SYSTEM
from petition_flow.services.queries import CaseFilters, list_cases
from petition_flow.services.tokens import create_token
from tests.web.conftest import text

NOW = datetime(2026, 4, 10, 10, 0, tzinfo=CHINA_TZ)
TODAY = NOW.date()


@pytest.fixture
def data(session, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)
    return build(session)


def _found(world, role, q, county="meixian"):
    page = list_cases(world.session, world.actor(role, county), CaseFilters(q=q), TODAY)
    return {r.case_no for r in page.rows}


@pytest.mark.parametrize("q", [
    "王建国", "王建", ID_M1, ID_M1.lower()[:-1] + ID_M1[-1], "13912345678",
    "建筑工地", "工地", "拖欠农民工工资"], ids=["name", "name-prefix", "id", "id-again",
                                           "phone", "phrase-in-facts", "two-characters",
                                           "phrase-in-summary"])
def test_a_clerk_finds_the_earlier_case_of_a_returning_petitioner(world, data, q):
    assert _found(world, "reception", q) == {data["m1"].case_no}


def test_a_case_number_is_found_exactly_and_by_its_beginning(world, data):
    assert _found(world, "reception", data["m2"].case_no) == {data["m2"].case_no}
    prefix = data["m1"].case_no[:-1]  # 610326-2026-00000: m1 … m8 (j1, j2 are 金台区)
    assert _found(world, "reception", prefix) == {data[k].case_no for k in (
        "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8")}


def test_an_id_number_matches_only_exactly(world, data):
    assert _found(world, "reception", ID_M1[:-2]) == set()
    assert _found(world, "reception", "1391234567") == set()


def test_another_countys_staff_find_nothing_of_this_county(world, data):
    for q in ("王建国", ID_M1, "13912345678", "建筑工地", data["m1"].case_no):
        assert _found(world, "reception", q, county="jintai") == set()
        assert _found(world, "county_supervisor", q, county="jintai") == set()


def test_a_role_that_may_not_see_identity_finds_by_id_number_but_sees_it_masked(as_user, data):
    page = text(as_user("unit_leader.meixian").get(f"/cases?q={ID_M1}"))
    assert data["m1"].case_no in page and "共 1 件" in page
    page = page.split('<table class="cases">', 1)[1]  # the results, not the echoed query
    assert ID_M1 not in page and "王建国" not in page and "13912345678" not in page
    assert "王某（610***********1234" in page


def test_the_search_box_keeps_its_query_and_explains_bad_input(as_user, data):
    b = as_user("reception.meixian")
    page = text(b.get("/cases?q=" + "长" * 101))
    assert "检索内容不能超过100字" in page


def test_the_api_answers_q_within_the_callers_scope(app, data, Session):
    with Session() as s:
        mine = create_token(s, SYSTEM, NOW, "reception.meixian", "t").token
        other = create_token(s, SYSTEM, NOW, "reception.jintai", "t").token
    client = app.test_client()

    def ask(token, q):
        answer = client.get("/api/v1/petitions", query_string={"q": q},
                            headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.json
        return {i["case_no"] for i in answer.json["items"]}

    assert ask(mine, "建筑工地") == {data["m1"].case_no}
    assert ask(mine, "13912345678") == {data["m1"].case_no}
    assert ask(other, "13912345678") == set()
    refused = client.get("/api/v1/petitions", query_string={"q": "王建国", "county": "meixian"},
                         headers={"Authorization": f"Bearer {other}"})
    assert refused.status_code == 200 and refused.json["items"] == []
