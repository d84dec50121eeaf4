"""The access policy as the pages apply it: the same disclosure answers as the API, the
first-handler unit after a hand-over, 404 for what exists but is not yours, the navigation
from the roles table."""

from __future__ import annotations

import re

import pytest
from helpers import NEED_TO_KNOW
from sqlalchemy import select

from petition_flow.domain.roles import NAV, ROLE_TABLE
from petition_flow.models import AuditEntry, Notice


def text(response) -> str:
    return response.get_data(as_text=True)


def _reveals(session) -> int:
    session.rollback()  # read what the app committed, not this session's snapshot
    return len(session.execute(select(AuditEntry.seq).where(
        AuditEntry.action == "petitioner_details_revealed")).all())


@pytest.mark.parametrize("role", [r for r in NEED_TO_KNOW if r != "admin"])
def test_the_page_reveal_answers_each_role_as_the_api_does(as_user, cases, session, role):
    case = cases.walk(["classify", "transfer", "accept"])
    case_id, id_number, code = case.id, case.parties[0].id_number, case.query_code
    session.commit()
    username = "city_supervisor.baoji" if role == "city_supervisor" else f"{role}.meixian"
    b = as_user(username)
    page = text(b.get(f"/cases/{case_id}"))
    assert id_number not in page and "王某" in page  # every role reads masked first
    assert (code in page) is NEED_TO_KNOW[role]  # the query code only for those who may reveal
    assert ("查看完整信息</button>" in page) is NEED_TO_KNOW[role]
    before = _reveals(session)
    empty = b.post(f"/cases/{case_id}/reveal", {"reason": ""})
    shown = b.post(f"/cases/{case_id}/reveal", {"reason": "电话联系信访人送达文书"})
    if NEED_TO_KNOW[role]:
        assert empty.status_code == 400 and "须填写查看理由" in text(empty)
        assert shown.status_code == 200 and id_number in text(shown)
        assert _reveals(session) == before + 1
    else:
        assert shown.status_code == 403 and id_number not in text(shown)
        assert _reveals(session) == before


def test_a_first_handler_unit_after_hand_over_sees_masked_data_and_cannot_reveal(
    as_user, cases, session
):
    case = cases.walk(["classify", "transfer", "accept", "hand_over"])
    case_id, id_number = case.id, case.parties[0].id_number
    session.commit()
    b = as_user("handler.meixian")  # 人社局 handed the case over to 住建局
    page = text(b.get(f"/cases/{case_id}"))
    assert "王某" in page and id_number not in page and "不能查看完整信息" in page
    refused = b.post(f"/cases/{case_id}/reveal", {"reason": ""})
    assert refused.status_code == 403 and id_number not in text(refused)


def test_a_notice_page_masks_the_petitioner_for_a_unit_leader_but_not_for_reception(
    as_user, cases, session
):
    case = cases.walk(["classify", "transfer", "accept"])
    case_id, code = case.id, case.query_code
    notice = session.execute(select(Notice).where(Notice.case_id == case_id)
                             .order_by(Notice.id)).scalars().first()
    session.commit()
    url = f"/cases/{case_id}/notices/{notice.id}"
    assert code in notice.body
    leader = text(as_user("unit_leader.meixian").get(url))
    assert code not in leader and "王建国" not in leader
    assert code in text(as_user("reception.meixian").get(url))


def test_an_existing_case_of_another_county_answers_exactly_like_a_missing_one(
    as_user, cases, session
):
    case = cases.walk(["classify", "transfer", "accept"])
    notice = session.execute(select(Notice.id).where(Notice.case_id == case.id)).scalars().first()
    case_id = case.id
    session.commit()
    b = as_user("reception.jintai")
    for existing, missing in [
        (f"/cases/{case_id}", "/cases/999999"),
        (f"/cases/{case_id}/notices/{notice}", f"/cases/999999/notices/{notice}"),
    ]:
        a, m = b.get(existing), b.get(missing)
        assert a.status_code == m.status_code == 404
        assert "未找到该信访事项" in text(a) and "未找到该信访事项" in text(m)
    fired = b.post(f"/cases/{case_id}/actions/reply", {})
    assert fired.status_code == 404


@pytest.mark.parametrize("role", [r for r in ROLE_TABLE if r.account])
def test_each_role_gets_the_navigation_and_start_page_of_the_roles_table(as_user, role):
    username = f"{role.id}.baoji" if role.scope in ("city", "none") else f"{role.id}.meixian"
    b = as_user(username)
    page = text(b.get("/inbox/"))
    nav = page.split("<nav>")[1].split("</nav>")[0]
    shown = [label for label in dict.fromkeys(NAV[k].label for k in NAV) if f">{label}<" in nav]
    assert set(shown) == {NAV[k].label for k in role.nav}
    home = b.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith(
        {"reception.petition_new": "/reception/petitions/new", "handling.inbox": "/cases",
         "supervision.dashboard": "/supervision/", "admin.users": "/admin/users",
         "admin.audit": "/admin/audit"}[role.home])


def test_the_case_history_names_people_by_name_and_the_system_once(as_user, cases, session):
    from helpers import at

    from petition_flow.models import User
    from petition_flow.services.actor import SYSTEM
    from petition_flow.services.audit import AuditBatch

    case = cases.walk(["classify"])
    reception = session.execute(select(User).where(User.username == "reception.meixian")
                                ).scalar_one()
    reception.display_name = "眉县接访员张敏"
    batch = AuditBatch(SYSTEM, at("2026-03-05"))
    batch.add("alert_raised", case_id=case.id)
    batch.flush(session)
    case_id = case.id
    session.commit()
    page = text(as_user("county_supervisor.meixian").get(f"/cases/{case_id}"))
    history = page.split('<ol class="timeline">')[1].split("</ol>")[0]
    assert '<span class="person" title="登录名 reception.meixian">眉县接访员张敏</span>（接访员）' \
        in history  # the login only on hover
    shown = re.sub(r'title="[^"]*"', "", history)
    assert "reception.meixian" not in shown
    assert "发出预警" in history and "system" not in history and "系统（系统）" not in history
