"""Irreversible steps ask first and say what they will do (研判分类, 转送, 受理, 办结, 批准延期,
停用用户); the question itself changes nothing."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from petition_flow.models import AuditEntry, Case, Clock
from tests.web.conftest import text


def audit_count(session) -> int:
    n = session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    session.commit()
    return n


def state(session, case_id) -> str:
    s = session.execute(select(Case.state).where(Case.id == case_id)).scalar_one()
    session.commit()
    return s


def test_transfer_shows_the_receiving_unit_the_new_deadlines_and_the_notice_before_acting(
        as_user, cases, session, world):
    case = cases.walk(["classify"])
    case_id, version = case.id, case.version_id
    session.commit()
    b = as_user("reception.meixian")
    b.get(f"/cases/{case_id}")
    before = audit_count(session)
    data = {"transfer-unit": str(world.unit("meixian.hrss")),
            "transfer-version_id": str(version)}
    asked = b.post(f"/cases/{case_id}/actions/transfer", data)
    page = text(asked)
    assert asked.status_code == 200 and "确认转送" in page
    assert "事项将交由" in page and "眉县人力资源和社会保障局" in page
    assert re.search(r"开始计算受理告知期限，截止日期 <strong>\d{4}年\d{1,2}月\d{1,2}日", page)
    assert "转送交办期限停止计算" in page and "转送（交办）告知书" in page
    assert state(session, case_id) == "triaged" and audit_count(session) == before
    assert 'name="confirmed" value="1"' in page and 'name="transfer-unit"' in page

    done = b.post(f"/cases/{case_id}/actions/transfer", {**data, "confirmed": "1"})
    assert done.status_code == 302 and state(session, case_id) == "transferred"


def test_a_refused_step_says_why_on_the_case_page_instead_of_asking(as_user, cases, session):
    case = cases.walk(["classify"])
    case_id, version = case.id, case.version_id
    session.commit()
    response = as_user("reception.meixian").post(
        f"/cases/{case_id}/actions/transfer", {"transfer-version_id": str(version)})
    assert response.status_code == 400 and "确认转送" not in text(response)
    assert state(session, case_id) == "triaged"


def test_close_says_the_case_will_be_concluded(as_user, cases, session):
    case = cases.walk(["classify", "transfer", "accept", "reply", "deliver", "evaluate"])
    case_id, version = case.id, case.version_id
    session.commit()
    page = text(as_user("handler.meixian").post(f"/cases/{case_id}/actions/close",
                                                {"close-version_id": str(version)}))
    assert "确认办结" in page and "待评价" not in page and "已评价 →" in page
    assert "事项将办结" in page and state(session, case_id) == "evaluated"


def test_the_extension_approval_page_shows_the_deadline_approval_would_give(
        as_user, cases, session):
    case = cases.walk(["classify", "transfer", "accept", "request_extension"], county="jintai")
    clock = session.execute(select(Clock).where(Clock.case_id == case.id,
                                                Clock.rule == "handling")).scalar_one()
    due = clock.due_date
    session.commit()
    page = text(as_user("unit_leader.jintai").get("/approvals/"))
    effect = re.search(r'class="approval-effect">(.*?)</dd>', page, re.S).group(1)
    assert f"原为{due.year}年{due.month}月{due.day}日" in effect
    assert "办理期限延至" in effect and "延长办理期限告知书" in effect
    assert state(session, case.id) == "extension_requested"


def test_deactivating_a_user_asks_first_and_names_the_sessions_that_end(as_user, session):
    as_user("handler.chencang")
    from petition_flow.models import User

    user_id = session.execute(select(User.id).where(User.username == "handler.chencang")) \
        .scalar_one()
    session.commit()
    page = text(as_user("admin.baoji").post(f"/admin/users/{user_id}/deactivate"))
    assert "确认停用用户" in page and "1</strong> 个在线会话立即结束" in page
    active = session.execute(select(User.active).where(User.id == user_id)).scalar_one()
    session.commit()
    assert active
