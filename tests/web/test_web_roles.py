"""Every role's allowed and forbidden pages and actions."""

import pytest
from helpers import nothing_changes

from tests.web.conftest import text

USERS = {
    "reception": "reception.meixian", "handler": "handler.meixian",
    "unit_leader": "unit_leader.meixian", "county_supervisor": "county_supervisor.meixian",
    "city_supervisor": "city_supervisor.baoji", "admin": "admin.baoji",
    "auditor": "auditor.baoji",
}
CASE_ROLES = {"reception", "handler", "unit_leader", "county_supervisor", "city_supervisor"}
PAGES = {
    "/reception/petitions/new": {"reception"},
    "/cases": CASE_ROLES,
    "/approvals/": {"unit_leader"},
    "/supervision/": {"county_supervisor", "city_supervisor"},
    "/supervision/cases": {"county_supervisor", "city_supervisor"},
    "/admin/users": {"admin"},
    "/admin/units": {"admin"},
    "/admin/calendar": {"admin"},
    "/admin/workflows": {"admin"},
    "/admin/audit": {"auditor"},
    "/account/password": set(USERS),
}


@pytest.mark.parametrize("role", sorted(USERS))
def test_each_role_reaches_its_own_pages_and_gets_a_chinese_403_elsewhere(as_user, role):
    b = as_user(USERS[role])
    for url, allowed in PAGES.items():
        response = b.get(url)
        if role in allowed:
            assert response.status_code == 200, (role, url)
        else:
            assert response.status_code == 403, (role, url, response.status_code)
            assert "无权访问" in text(response)


@pytest.mark.parametrize("role", sorted(USERS))
def test_the_start_page_of_each_role_is_one_it_may_open(as_user, role):
    b = as_user(USERS[role])
    response = b.get("/")
    assert response.status_code == 302
    assert b.get(response.headers["Location"]).status_code == 200


def test_only_reception_may_post_a_registration(as_user, Session):
    for role in ("handler", "unit_leader", "county_supervisor", "admin"):
        b = as_user(USERS[role])
        with nothing_changes(Session):
            response = b.post("/reception/petitions/new", {"summary": "x"})
        assert response.status_code == 403, role


def test_a_handler_is_not_offered_and_cannot_fire_a_reception_action(as_user, cases, session):
    case = cases.register()
    session.commit()
    b = as_user("handler.meixian")
    b2 = as_user("reception.meixian")
    page = text(b2.get(f"/cases/{case.id}"))
    assert "研判分类" in page  # reception may classify a case of its county
    response = b.get(f"/cases/{case.id}")
    assert response.status_code == 404  # not yet transferred: for the unit it does not exist


def test_a_role_that_may_not_fire_a_trigger_gets_the_reason_in_chinese(as_user, cases, session):
    case = cases.walk(["classify", "transfer"])
    session.commit()
    b = as_user("reception.meixian")
    response = b.post(f"/cases/{case.id}/actions/accept",
                      {"accept-version_id": str(case.version_id)})
    assert response.status_code == 400
    assert "只能由" in text(response)


def test_only_the_actions_the_user_may_take_now_are_shown(as_user, cases, session):
    case = cases.walk(["classify", "transfer"])
    session.commit()
    page = text(as_user("handler.meixian").get(f"/cases/{case.id}"))
    assert "<summary>受理</summary>" in page
    assert "<summary>不予受理</summary>" in page
    assert "<summary>研判分类</summary>" not in page
    assert "<summary>出具处理意见书</summary>" not in page
    page = text(as_user("reception.meixian").get(f"/cases/{case.id}"))
    assert "<summary>受理</summary>" not in page


def test_an_admin_cannot_fire_an_action(as_user, cases, session, Session):
    case = cases.register()
    session.commit()
    b = as_user("admin.baoji")
    with nothing_changes(Session):  # the case keeps its state and version, the log its length
        response = b.post(f"/cases/{case.id}/actions/classify", {"classify-category": "appeal"})
    assert response.status_code == 403
