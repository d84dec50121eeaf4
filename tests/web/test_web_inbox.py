"""站内消息: the unread count on every page, the list (unread first, filter), acknowledge."""

import re

from sqlalchemy import select

from petition_flow.models import AuditEntry
from tests.web.conftest import text
from tests.web.oversight_helpers import inbox_items, swept_red


def unread_badge(page: str) -> int:
    found = re.search(r'class="unread-count" aria-label="未读消息">(\d+)<', page)
    return int(found.group(1)) if found else 0


def test_the_unread_count_is_in_the_top_navigation_of_every_page_of_the_recipient(
        as_user, cases, session):
    swept_red(cases, session)
    b = as_user("county_supervisor.meixian")
    for url in ("/supervision/", "/cases", "/orders/", "/supervision/accountability",
                "/account/password", "/inbox/"):
        page = text(b.get(url))
        assert unread_badge(page) == 1, url
    assert unread_badge(text(as_user("county_supervisor.jintai").get("/supervision/"))) == 0


def test_the_inbox_lists_the_red_alert_with_its_colour_and_a_link_to_its_case(
        as_user, cases, session):
    case_id, case_no, *_ = swept_red(cases, session)
    page = text(as_user("handler.meixian").get("/inbox/"))
    assert case_no in page and "红色超期" in page and "未读" in page
    assert f'href="/cases/{case_id}"' in page
    assert "据此预警下发督办单" not in page  # only supervisors issue orders


def test_a_supervisor_can_issue_an_order_from_an_alert_in_the_inbox(as_user, cases, session):
    case_id, case_no, record_id, alert_id = swept_red(cases, session)
    b = as_user("county_supervisor.meixian")
    page = text(b.get("/inbox/"))
    link = re.search(r'class="issue-order" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert link == f"/supervision/cases/{case_id}/orders/new?alert={alert_id}"
    form = text(b.get(link))
    assert "依据预警" in form and "红色超期" in form and case_no in form


def test_acknowledging_a_message_marks_it_read_lowers_the_count_and_is_audited(
        as_user, cases, session):
    swept_red(cases, session)
    item = inbox_items(session, "unit_leader.meixian")[0]
    b = as_user("unit_leader.meixian")
    assert unread_badge(text(b.get("/inbox/"))) == 1
    response = b.post(f"/inbox/{item.id}/acknowledge?show=unread")
    assert response.status_code == 302 and response.location.endswith("/inbox/?show=unread")
    page = text(b.get("/inbox/?show=unread"))
    assert unread_badge(page) == 0 and "没有未读消息" in page
    assert "已确认" in text(b.get("/inbox/?show=all"))
    assert inbox_items(session, "unit_leader.meixian")[0].read_at is not None
    acks = session.execute(select(AuditEntry.actor_username)
                           .where(AuditEntry.action == "alert_acknowledged")).scalars().all()
    session.commit()
    assert acks == ["unit_leader.meixian"]


def test_unread_messages_come_before_read_ones(as_user, cases, session):
    swept_red(cases, session)
    _, second_no, *_ = swept_red(cases, session)
    first, second = inbox_items(session, "handler.meixian")
    b = as_user("handler.meixian")
    b.post(f"/inbox/{second.id}/acknowledge")
    page = text(b.get("/inbox/"))
    assert page.index(f'id="message-{first.id}"') < page.index(f'id="message-{second.id}"')


def test_nobody_can_acknowledge_a_message_of_someone_else(as_user, cases, session):
    swept_red(cases, session)
    item = inbox_items(session, "handler.meixian")[0]
    for username in ("handler.jintai", "unit_leader.meixian", "county_supervisor.meixian"):
        response = as_user(username).post(f"/inbox/{item.id}/acknowledge")
        assert response.status_code == 404, username  # answered exactly like a missing one
        missing = as_user(username).post("/inbox/999999/acknowledge")
        assert missing.status_code == 404 and "未找到该消息" in text(missing), username
        assert "未找到该消息" in text(response), username
    assert inbox_items(session, "handler.meixian")[0].read_at is None


def test_another_countys_inbox_never_shows_the_alert(as_user, cases, session):
    _, case_no, *_ = swept_red(cases, session)
    for username in ("handler.jintai", "county_supervisor.jintai", "reception.meixian",
                     "admin.baoji"):
        assert case_no not in text(as_user(username).get("/inbox/")), username


def test_acknowledging_needs_the_csrf_token(as_user, cases, session):
    swept_red(cases, session)
    item = inbox_items(session, "handler.meixian")[0]
    response = as_user("handler.meixian").post(f"/inbox/{item.id}/acknowledge", csrf=False)
    assert response.status_code == 400 and "CSRF" in text(response)
    assert inbox_items(session, "handler.meixian")[0].read_at is None


def test_the_inbox_needs_a_signed_in_user(browser):
    response = browser.get("/inbox/")
    assert response.status_code == 302 and "/login" in response.location


def test_acknowledge_all_clears_every_unread_alert_and_each_alert_names_its_deadline(
        as_user, cases, session):
    swept_red(cases, session)
    b = as_user("unit_leader.meixian")
    page = text(b.get("/inbox/"))
    assert "全部确认" in page and re.search(r"截止日期 \d{4}年\d{1,2}月\d{1,2}日", page)
    response = b.post("/inbox/acknowledge-all?show=all")
    assert response.status_code == 302
    page = text(b.get("/inbox/"))
    assert unread_badge(page) == 0 and "全部确认" not in page and "已确认收到" in page
    assert all(i.read_at is not None for i in inbox_items(session, "unit_leader.meixian"))
