"""County isolation: no case URL gives another county's staff any data."""

import pytest

from petition_flow.models import Notice
from tests.web.conftest import text

OTHER_COUNTY = ["reception.jintai", "handler.jintai", "unit_leader.jintai",
                "county_supervisor.jintai"]


@pytest.fixture
def meixian_case(cases, session):
    case = cases.walk(["classify", "transfer", "accept"])
    notice_id = session.query(Notice.id).filter(Notice.case_id == case.id).first()[0]
    facts = (case.id, case.case_no, case.version_id, case.parties[0].name,
             case.parties[0].id_number, case.summary, notice_id)
    session.commit()
    return facts


def _urls(case_id, notice_id):
    return [("get", f"/cases/{case_id}"),
            ("get", f"/cases/{case_id}/notices/{notice_id}"),
            ("get", f"/reception/cases/{case_id}/receipt"),
            ("post", f"/cases/{case_id}/actions/reply"),
            ("post", f"/cases/{case_id}/actions/classify"),
            ("post", f"/cases/{case_id}/reveal"),
            ("get", f"/admin/cases/{case_id}"),
            ("get", f"/admin/cases/{case_id}/notices/{notice_id}"),
            ("post", f"/admin/cases/{case_id}/reveal"),
            ("post", f"/approvals/{case_id}/approve"),
            ("post", f"/approvals/{case_id}/refuse")]


@pytest.mark.parametrize("username", OTHER_COUNTY)
def test_staff_of_another_county_get_403_or_404_on_every_case_url_and_never_data(
        as_user, meixian_case, username):
    case_id, case_no, version, name, id_number, summary, notice_id = meixian_case
    b = as_user(username)
    for method, url in _urls(case_id, notice_id):
        if method == "get":
            response = b.get(url)
        else:
            response = b.post(url, {"reply-version_id": str(version), "reason": "x"})
        assert response.status_code in (403, 404), (username, url, response.status_code)
        page = text(response)
        for secret in (case_no, name, id_number, summary):
            assert secret not in page, (username, url, secret)


@pytest.mark.parametrize("username", OTHER_COUNTY)
def test_the_lists_of_another_county_do_not_contain_the_case(as_user, meixian_case, username):
    case_id, case_no, *_ = meixian_case
    b = as_user(username)
    for url in ("/cases", "/cases?county=meixian", "/supervision/cases?county=meixian"):
        response = b.get(url)
        assert case_no not in text(response), (username, url)


def test_a_handler_of_another_unit_in_the_same_county_cannot_open_the_case(
        as_user, meixian_case, world, session):
    from helpers import at

    from petition_flow.services.actor import SYSTEM
    from petition_flow.services.org import create_user

    create_user(session, SYSTEM, at("2026-03-01"), username="housing-handler",
                display_name="住建承办人", password="pass-word-1",
                unit_id=world.unit("meixian.housing"), role="handler")
    session.commit()
    case_id, case_no, *_ = meixian_case
    b = as_user("housing-handler", "pass-word-1")
    assert b.get(f"/cases/{case_id}").status_code == 404
    assert case_no not in text(b.get("/cases"))


def test_a_case_that_does_not_exist_gives_a_chinese_404(as_user):
    response = as_user("handler.meixian").get("/cases/999999")
    assert response.status_code == 404
    assert "页面不存在" in text(response) or "未找到" in text(response)


def test_the_city_supervisor_sees_a_case_of_any_county(as_user, meixian_case):
    case_id, case_no, *_ = meixian_case
    response = as_user("city_supervisor.baoji").get(f"/cases/{case_id}")
    assert response.status_code == 200 and case_no in text(response)
