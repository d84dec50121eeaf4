"""Which role opens which of the issue 4 pages; everything is in Simplified Chinese."""

import pytest

from tests.web.conftest import text

USERS = {"reception": "reception.meixian", "handler": "handler.meixian",
         "unit_leader": "unit_leader.meixian", "county_supervisor": "county_supervisor.meixian",
         "city_supervisor": "city_supervisor.baoji", "admin": "admin.baoji"}
SUPERVISORS = {"county_supervisor", "city_supervisor"}
PAGES = {
    "/inbox/": set(USERS),
    "/account/password": set(USERS),
    "/orders/": {"handler", "unit_leader"} | SUPERVISORS,
    "/supervision/accountability": SUPERVISORS,
    "/supervision/cases/{case_id}/orders/new": SUPERVISORS,
}


@pytest.fixture
def case_id(cases, session):
    case = cases.walk(["classify", "transfer", "accept"])
    session.commit()
    return case.id


@pytest.mark.parametrize("role", list(USERS))
def test_each_role_opens_exactly_the_pages_meant_for_it(as_user, case_id, role):
    b = as_user(USERS[role])
    for url, allowed in PAGES.items():
        response = b.get(url.format(case_id=case_id))
        expected = 200 if role in allowed else 403
        assert response.status_code == expected, (role, url, response.status_code)
        assert "无权访问" in text(response) if expected == 403 else True


@pytest.mark.parametrize("role, links", [
    ("handler", ["督办单", "消息"]), ("unit_leader", ["督办单", "消息", "延期审批"]),
    ("county_supervisor", ["督办单", "追责问责", "消息"]),
    ("city_supervisor", ["督办单", "追责问责", "消息"]), ("reception", ["消息"]),
    ("admin", ["消息"])])
def test_the_top_navigation_offers_each_role_its_new_pages(as_user, role, links):
    page = text(as_user(USERS[role]).get("/inbox/"))
    nav = page[page.index("<header"):page.index("</header>")]
    for label in links:
        assert f">{label}" in nav, (role, label)
    if role not in SUPERVISORS:
        assert "追责问责" not in nav
    if role in ("reception", "admin"):
        assert ">督办单<" not in nav


def test_the_new_pages_use_the_glossary_terms(as_user, case_id):
    b = as_user("county_supervisor.meixian")
    dashboard = text(b.get("/supervision/"))
    for term in ("蓝色提示", "黄色预警", "红色超期", "未办结督办单", "挂牌督办", "追责问责"):
        assert term in dashboard, term
    assert "督办单" in text(b.get(f"/cases/{case_id}"))
