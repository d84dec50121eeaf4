"""The petitioner's public pages through the test client: no login, CSRF, throttling by
address, nothing about identity or staff on the query page, honeypot and fill time."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from helpers import at, nothing_changes
from sqlalchemy import select

from petition_flow import clock
from petition_flow.devtools.demo import APPEAL6
from petition_flow.models import Case, InboxItem, User
from petition_flow.services import portal
from tests.web.conftest import TOKEN, text

DELIVERED = ["classify", "transfer", "accept", "reply", "deliver"]
# An ID number in full (18 characters) or masked (digits around asterisks).
ID_NUMBER = re.compile(r"\d{17}[\dX]|\d{3,6}\*{4,}[\dX*]*")


class Clock:
    """The web app's wall clock, set by the test."""

    def __init__(self, monkeypatch, start):
        self.now = start
        monkeypatch.setattr(clock, "now", lambda: self.now)

    def advance(self, **kw):
        self.now += timedelta(**kw)


@pytest.fixture
def wall(monkeypatch):
    return Clock(monkeypatch, at("2026-03-02", 9))


class Visitor:
    """A browser of the public pages from one source address."""

    def __init__(self, app, address="127.0.0.1"):
        self.client = app.test_client()
        self.env = {"REMOTE_ADDR": address}
        self.token = None

    def get(self, url):
        response = self.client.get(url, environ_base=self.env)
        found = TOKEN.search(text(response))
        if found:
            self.token = found.group(1) or found.group(2)
        return response

    def post(self, url, data, *, csrf=True):
        data = dict(data)
        if csrf:
            if self.token is None:
                self.get("/query")
            data.setdefault("csrf_token", self.token)
        return self.client.post(url, data=data, environ_base=self.env)

    def query(self, case_no, code):
        self.get("/query")
        return self.post("/query", {"case_no": case_no, "query_code": code})


def _strip_token(html: str) -> str:
    return TOKEN.sub("", html)


def _open(app, case, address="127.0.0.9"):
    visitor = Visitor(app, address)
    response = visitor.query(case.case_no, case.query_code)
    assert response.status_code == 302, text(response)
    return visitor


def test_the_query_page_needs_no_login_and_is_not_cached(app, wall):
    response = Visitor(app).get("/query")
    assert response.status_code == 200
    page = text(response)
    assert "信访件编号" in page and "查询码" in page and 'lang="zh-CN"' in page
    assert response.headers["Cache-Control"] == "no-store"
    assert "<main" in page and "<nav" in page and 'for="case_no"' in page


def test_a_wrong_code_looks_exactly_like_an_unknown_case_number(app, cases, wall):
    case = cases.register()
    visitor = Visitor(app, "127.0.0.5")
    wrong = visitor.query(case.case_no, "ZZZZZZZZ")
    unknown = visitor.query(case.case_no[:-6] + "999999", "ZZZZZZZZ")
    assert wrong.status_code == unknown.status_code == 200
    assert portal.WRONG in text(wrong)
    strip = [_strip_token(text(r)).replace(case.case_no, "N").replace(
        case.case_no[:-6] + "999999", "N") for r in (wrong, unknown)]
    assert strip[0] == strip[1]


def test_a_post_without_the_csrf_token_is_refused(app, cases, wall, Session):
    case = cases.register()
    with nothing_changes(Session):
        response = Visitor(app).post("/query", {"case_no": case.case_no,
                                                "query_code": case.query_code}, csrf=False)
    assert response.status_code == 400


def test_twenty_wrong_codes_from_one_address_are_throttled_while_the_right_code_works(
        app, cases, wall):
    case = cases.register()
    attacker = Visitor(app, "127.0.0.2")
    statuses = []
    for i in range(20):
        statuses.append(attacker.query(case.case_no, f"BAD{i:05d}").status_code)
        wall.advance(seconds=1)
    assert statuses[0] == 200 and statuses[-1] == 429
    assert "尝试次数过多" in text(attacker.query(case.case_no, case.query_code))
    petitioner = Visitor(app, "127.0.0.3")
    response = petitioner.query(case.case_no, case.query_code)
    assert response.status_code == 302
    assert case.case_no in text(petitioner.get("/query/case"))


def test_the_query_page_shows_progress_but_no_id_number_staff_note_or_accused_unit(
        app, cases, session, wall):
    case = cases.register(summary="举报眉县交通局违规收费", request="请求查处眉县交通局",
                          facts_and_reasons="眉县交通局多次违规收费。")
    case = cases.fire(case, "classify", APPEAL6)
    case = cases.fire(case, "transfer")
    case = cases.fire(case, "object", {"reason": "内部：本单位认为不属职权"})
    case = cases.fire(case, "reject_objection", {"reason": "内部：属于你单位职权"})
    for step in ["accept", "reply", "deliver"]:
        case = cases.fire(case, step)
    wall.now = case.updated_at + timedelta(days=1)
    visitor = _open(app, case)
    page = text(visitor.get("/query/case"))
    notices = [text(visitor.get(f"/query/case/notices/{n}"))
               for n in re.findall(r"/query/case/notices/(\d+)", page)]
    assert len(notices) >= 5
    for html in [page, *notices]:
        assert not ID_NUMBER.search(html), ID_NUMBER.search(html)
        assert "内部" not in html and "交通局" not in html
        for username, name in session.execute(select(User.username, User.display_name)):
            assert username not in html and name not in html
        party = case.parties[0]
        assert party.phone not in html and party.name not in html
    assert "眉县人力资源和社会保障局" in page and "受理" in page and "申请复查期限" in page
    assert "信访处理意见书" in page


def test_evaluation_through_the_page_inside_and_outside_its_window(app, cases, session, world,
                                                                   wall):
    case = cases.walk(DELIVERED)
    delivered = portal.delivered_on(case)
    wall.now = at(delivered + timedelta(days=31))
    visitor = _open(app, case)
    page = text(visitor.get("/query/case"))
    assert "提交评价" not in page
    refused = visitor.post("/query/case/evaluate", {"unit_rating": "satisfied",
                                                    "bureau_rating": "satisfied"})
    assert refused.status_code == 400 and "评价期限已于" in text(refused)
    wall.now = at(delivered + timedelta(days=3))
    assert "提交评价" in text(visitor.get("/query/case"))
    done = visitor.post("/query/case/evaluate", {"unit_rating": "dissatisfied",
                                                 "bureau_rating": "basically_satisfied",
                                                 "comment": "问题没有解决"})
    assert done.status_code == 302
    assert "您已于" in text(visitor.get("/query/case"))
    supervisor = world.actor("county_supervisor")
    assert session.execute(select(InboxItem.kind).where(
        InboxItem.user_id == supervisor.user_id)).scalars().all() == ["followup"]


def test_staff_see_the_evaluation_and_the_online_review_request_on_the_case_page(
        app, cases, as_user, wall):
    case = cases.walk(DELIVERED)
    wall.now = at(portal.delivered_on(case) + timedelta(days=2), 20)
    visitor = _open(app, case)
    page = text(visitor.get("/query/case"))
    assert "提交申请复查请求" in page
    visitor.post("/query/case/evaluate", {"unit_rating": "satisfied",
                                          "bureau_rating": "satisfied"})
    receipt = visitor.post("/query/case/requests/request_review", {"reasons": "不服，请求复查"})
    assert receipt.status_code == 200 and "申请复查请求已收到" in text(receipt)
    staff = text(as_user("reception.meixian").get(f"/cases/{case.id}"))
    assert "信访人评价" in staff and "网上申请复查请求" in staff and "待登记" in staff


def test_review_is_not_offered_on_a_suggestion_or_before_delivery(app, cases, wall):
    suggestion = cases.walk(DELIVERED, classification={"category": "suggestion"})
    wall.now = at(portal.delivered_on(suggestion) + timedelta(days=1))
    visitor = _open(app, suggestion)
    assert "复查请求" not in text(visitor.get("/query/case"))
    refused = visitor.post("/query/case/requests/request_review", {"reasons": "请求复查"})
    assert refused.status_code == 400 and "不能申请复查" in text(refused)
    early = cases.walk(["classify", "transfer", "accept"])
    assert "复查请求" not in text(_open(app, early, "127.0.0.8").get("/query/case"))


def test_reception_reissues_a_query_code_and_the_old_sessions_end(app, cases, as_user, wall):
    case = cases.register()
    visitor = _open(app, case)
    staff = as_user("reception.meixian")
    staff.get(f"/cases/{case.id}")
    response = staff.post(f"/reception/cases/{case.id}/query-code")
    assert response.status_code == 302
    assert visitor.get("/query/case").status_code == 302  # back to the query form
    assert Visitor(app, "127.0.0.10").query(case.case_no, case.query_code).status_code == 200
    new = re.search(r"已重新生成查询码：(\w+)", text(staff.get(f"/cases/{case.id}"))).group(1)
    assert Visitor(app, "127.0.0.11").query(case.case_no, new).status_code == 302


def _submit_data(visitor, **overrides):
    page = text(visitor.get("/submit"))
    started = re.search(r'name="started"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="started"',
                        page)
    data = {"county": "meixian", "name": "赵六", "phone": "13912340000",
            "address": "眉县首善街道", "summary": "反映拖欠工资", "request": "请求支付工资",
            "facts_and_reasons": "在某工地务工，工资未结清。", "consent": "y",
            "started": started.group(1) or started.group(2), "website": ""}
    data.update(overrides)
    return data


def test_an_online_petition_shows_its_number_and_code_once_and_reaches_reception(
        app, session, as_user, wall):
    visitor = Visitor(app, "127.0.0.20")
    data = _submit_data(visitor)
    wall.advance(seconds=30)
    response = visitor.post("/submit", data)
    page = text(response)
    assert response.status_code == 200, page
    case = session.execute(select(Case)).scalar_one()
    assert case.case_no in page and case.query_code in page and "登记回执" in page
    assert (case.channel, case.state) == ("web", "registered")
    staff = text(as_user("reception.meixian").get("/cases"))
    assert case.case_no in staff
    assert visitor.query(case.case_no, case.query_code).status_code == 302


@pytest.mark.parametrize("trick", ["honeypot", "too_fast", "forged_start"])
def test_an_automated_submission_is_refused_without_saying_why(app, session, wall, trick):
    visitor = Visitor(app, "127.0.0.21")
    data = _submit_data(visitor)
    if trick == "honeypot":
        data["website"] = "http://spam.example"
        wall.advance(seconds=30)
    elif trick == "too_fast":
        wall.advance(seconds=1)
    else:
        data["started"] = "1700000000.0"
        wall.advance(seconds=30)
    response = visitor.post("/submit", data)
    page = text(response)
    assert response.status_code == 400
    assert "提交未成功，请稍后重新提交。" in page
    assert "网址" not in page.split("errors")[1][:200] and "太快" not in page
    assert session.execute(select(Case.id)).first() is None
    assert "赵六" in page  # nothing typed is lost


def test_a_submission_with_bad_input_keeps_every_field_and_names_the_problems(app, session,
                                                                             wall):
    visitor = Visitor(app, "127.0.0.22")
    data = _submit_data(visitor, summary="", id_number="123", consent="")
    wall.advance(seconds=30)
    response = visitor.post("/submit", data)
    page = text(response)
    assert response.status_code == 400
    assert "请填写事项摘要" in page and "权利义务告知书" in page and "身份证" in page
    assert 'value="赵六"' in page and 'aria-invalid="true"' in page
    assert session.execute(select(Case.id)).first() is None


def test_an_evaluation_staff_recorded_shows_on_the_closed_case_page(app, cases, as_user, wall):
    case = cases.walk([*DELIVERED, "evaluate", "close"])
    stored = case.data["evaluate"]
    labels = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}
    page = text(as_user("county_supervisor.meixian").get(f"/cases/{case.id}"))
    assert "已办结" in page
    assert f"登记的满意度评价</strong>：{labels[stored['rating']]}" in page
