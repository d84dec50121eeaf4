"""延期审批 for unit leaders; 督办 dashboards with the list behind each figure."""

import re

from helpers import at
from sqlalchemy import select

from petition_flow.models import Case, Notice
from tests.web.conftest import text


def _extension_case(cases, session):
    case = cases.walk(["classify", "transfer", "accept", "request_extension"],
                      start=at("2026-11-02", 9))
    facts = case.id, case.case_no, str(case.version_id)
    session.commit()
    return facts


def test_a_unit_leader_sees_the_pending_extension_and_approves_it(as_user, cases, session):
    case_id, case_no, version = _extension_case(cases, session)
    b = as_user("unit_leader.meixian")
    page = text(b.get("/approvals/"))
    assert case_no in page and "15 天" in page and "涉及多个部门" in page
    response = b.post(f"/approvals/{case_id}/approve", {"version_id": version})
    assert response.status_code == 302
    state = session.execute(select(Case.state).where(Case.id == case_id)).scalar_one()
    kinds = session.execute(select(Notice.kind).where(Notice.case_id == case_id)).scalars().all()
    session.commit()
    assert state == "under_handling" and "extension" in kinds
    assert case_no not in text(b.get("/approvals/"))


def test_refusing_an_extension_needs_a_reason_shown_beside_the_case(as_user, cases, session):
    case_id, case_no, version = _extension_case(cases, session)
    b = as_user("unit_leader.meixian")
    response = b.post(f"/approvals/{case_id}/refuse", {"version_id": version, "reason": ""})
    assert response.status_code == 400
    assert "请填写“不批准理由”" in text(response)
    response = b.post(f"/approvals/{case_id}/refuse",
                      {"version_id": version, "reason": "案情简单，应在期限内办结。"})
    assert response.status_code == 302


def test_a_unit_leader_of_another_county_cannot_decide_the_extension(as_user, cases, session):
    case_id, case_no, version = _extension_case(cases, session)
    b = as_user("unit_leader.jintai")
    assert case_no not in text(b.get("/approvals/"))
    response = b.post(f"/approvals/{case_id}/approve", {"version_id": version})
    assert response.status_code == 404  # another county's case does not exist for it
    assert case_no not in text(response)


def test_a_county_supervisor_sees_only_their_county_and_the_overdue_list_one_click_away(
        as_user, cases, session):
    overdue = cases.walk(["classify", "transfer", "accept"], start=at("2026-01-05", 9))
    other = cases.walk(["classify", "transfer", "accept"], county="jintai",
                       start=at("2026-01-05", 9))
    overdue_no, other_no = overdue.case_no, other.case_no
    session.commit()
    b = as_user("county_supervisor.meixian")
    page = text(b.get("/supervision/"))
    assert "眉县" in page and "金台区" not in page
    link = re.search(r'class="overdue-link" href="([^"]+)">(\d+)<', page)
    assert link and int(link.group(2)) >= 1
    listed = text(b.get(link.group(1).replace("&amp;", "&")))
    assert overdue_no in listed and other_no not in listed
    assert other_no not in text(b.get("/supervision/cases?county=jintai"))


def test_the_city_supervisor_sees_every_county_with_pilots_marked(as_user, cases, session):
    cases.walk(["classify"], county="longxian")
    session.commit()
    page = text(as_user("city_supervisor.baoji").get("/supervision/"))
    for name in ("眉县", "金台区", "陈仓区", "陇县", "太白县"):
        assert name in page
    assert "省级试点" in page and "市级试点" in page


def test_every_figure_on_the_dashboard_links_to_a_list_that_opens(as_user, cases, session):
    cases.walk(["classify", "transfer", "accept"], start=at("2026-01-05", 9))
    session.commit()
    b = as_user("county_supervisor.meixian")
    page = text(b.get("/supervision/"))
    links = set(re.findall(r'href="(/supervision/cases\?[^"]+)"', page))
    assert len(links) >= 10
    for url in links:
        assert b.get(url.replace("&amp;", "&")).status_code == 200, url


def test_the_rates_link_to_the_cases_they_count(as_user, cases, session):
    done = cases.walk(["classify", "transfer", "accept", "reply", "deliver", "evaluate", "close"])
    running = cases.walk(["classify", "transfer", "accept"])
    done_no, running_no = done.case_no, running.case_no
    session.commit()
    b = as_user("county_supervisor.meixian")
    page = text(b.get("/supervision/"))
    for css in ("on-time-link", "first-handler-link"):
        url = re.search(rf'class="{css}" href="([^"]+)"', page).group(1).replace("&amp;", "&")
        listed = text(b.get(url))
        assert done_no in listed and running_no not in listed, css
    assert "清单类型无效" in text(b.get("/supervision/cases?completed=bogus"))
