"""Between levels on the pages: the city bureau assigns a matter to a county's units, the county
sees where it came from and reports a 重大紧急 matter up; the city reads the report in its inbox."""

from datetime import timedelta

from sqlalchemy import select

from petition_flow import clock
from petition_flow.clock import local_date
from petition_flow.devtools.demo import APPEAL6
from petition_flow.models import Case
from petition_flow.services.petitions import fire_transition
from tests.web.conftest import text


def _version(session, case_id) -> str:
    v = session.execute(select(Case.version_id).where(Case.id == case_id)).scalar_one()
    session.commit()
    return str(v)


def _classified_city_case(cases, world, session):
    start = clock.now() - timedelta(days=2)
    case = cases.register("baoji", start)
    case = fire_transition(session, world.actor("reception", "baoji"),
                           start + timedelta(hours=1), case.id, "classify", dict(APPEAL6))
    session.commit()
    return case


def test_the_city_bureau_assigns_down_to_a_county_unit_from_the_case_page(
        as_user, cases, world, session):
    case = _classified_city_case(cases, world, session)
    city = as_user("reception.baoji")
    page = text(city.get(f"/cases/{case.id}"))
    assert "眉县人力资源和社会保障局" in page and "金台区信访局" in page  # county units offered
    due = (local_date(clock.now()) + timedelta(days=20)).isoformat()
    response = city.post(f"/cases/{case.id}/actions/assign", {
        "assign-unit": str(world.unit("meixian.hrss")), "assign-assigned_due": due,
        "assign-version_id": _version(session, case.id), "confirmed": "1"})
    assert response.status_code == 302, text(response)
    page = text(city.get(f"/cases/{case.id}"))
    assert "由宝鸡市交办、转送至本县（区）办理" in page and "您只能查看此信访事项" in page
    assert as_user("reception.jintai").get(f"/cases/{case.id}").status_code == 404
    county = text(as_user("handler.meixian").get(f"/cases/{case.id}"))
    assert "受理" in county and "由宝鸡市交办" in county


def test_a_county_reports_a_major_urgent_matter_up_and_the_city_reads_it_in_its_inbox(
        as_user, cases, session):
    case = cases.walk(["classify"], county="jintai",
                      start=clock.now() - timedelta(days=1))
    session.commit()
    county = as_user("reception.jintai")
    page = text(county.get(f"/cases/{case.id}"))
    assert "向市级报告重大紧急事项" in page
    refused = county.post(f"/cases/{case.id}/report-up", {"report_up-reason": ""})
    assert refused.status_code == 400 and "请填写上报的情况说明" in text(refused)
    done = county.post(f"/cases/{case.id}/report-up",
                       {"report_up-reason": "务工人员准备集体到市上访。"})
    assert done.status_code == 302, text(done)
    page = text(county.get(f"/cases/{case.id}"))
    assert "向市级报告重大紧急情况" in page and "务工人员准备集体到市上访" in page
    assert "向市级报告</button>" not in page  # reported once
    inbox = text(as_user("city_supervisor.baoji").get("/inbox/"))
    assert "重大紧急上报" in inbox and case.case_no in inbox
    assert as_user("reception.meixian").post(
        f"/cases/{case.id}/report-up", {"report_up-reason": "x"}).status_code == 404
