"""County isolation on every URL of the issue 4 pages: another county's orders, records and
alerts are never visible, and their forms answer 403/404 without data."""

import pytest
from helpers import nothing_changes
from sqlalchemy import select

from petition_flow.models import AccountabilityRecord, SupervisionOrder
from tests.web.conftest import text
from tests.web.oversight_helpers import inbox_items, open_order, swept_red

OTHER_COUNTY = ["handler.jintai", "unit_leader.jintai", "county_supervisor.jintai"]


@pytest.fixture
def meixian(cases, session, world):
    """A red case with its alert and record, and a listed order on another case."""
    case_id, case_no, record_id, alert_id = swept_red(cases, session)
    order_id, order_case_id, order_case_no = open_order(cases, session, world)
    item_id = inbox_items(session, "handler.meixian")[0].id
    return dict(case_id=case_id, case_no=case_no, record_id=record_id, alert_id=alert_id,
                order_id=order_id, order_case_id=order_case_id, order_case_no=order_case_no,
                item_id=item_id)


def _urls(m):
    return [("get", f"/orders/{m['order_id']}"),
            ("post", f"/orders/{m['order_id']}/reply"),
            ("post", f"/orders/{m['order_id']}/close"),
            ("post", f"/orders/{m['order_id']}/return"),
            ("get", f"/supervision/cases/{m['case_id']}/orders/new"),
            ("get", f"/supervision/cases/{m['case_id']}/orders/new?alert={m['alert_id']}"),
            ("post", f"/supervision/cases/{m['case_id']}/orders/new"),
            ("post", f"/supervision/accountability/{m['record_id']}/confirm"),
            ("post", f"/supervision/accountability/{m['record_id']}/dismiss"),
            ("post", f"/inbox/{m['item_id']}/acknowledge")]


@pytest.mark.parametrize("username", OTHER_COUNTY)
def test_staff_of_another_county_get_403_or_404_on_every_new_url_and_never_data(
        as_user, meixian, session, username):
    b = as_user(username)
    for method, url in _urls(meixian):
        if method == "get":
            response = b.get(url)
        else:
            response = b.post(url, {"reply": "越权回复", "note": "越权", "reason": "越权",
                                    "requirements": "越权督办", "due_date": "2030-01-01"})
        assert response.status_code in (403, 404), (username, url, response.status_code)
        for secret in (meixian["case_no"], meixian["order_case_no"], "请查明欠薪事实"):
            assert secret not in text(response), (username, url, secret)
    orders = session.execute(select(SupervisionOrder.status)).scalars().all()
    records = session.execute(select(AccountabilityRecord.status)).scalars().all()
    session.commit()
    assert orders == ["open"] and records == ["pending"]
    assert inbox_items(session, "handler.meixian")[0].read_at is None


@pytest.mark.parametrize("username", OTHER_COUNTY)
def test_the_new_lists_of_another_county_contain_nothing_of_meixian(as_user, meixian, username):
    b = as_user(username)
    urls = ["/inbox/", "/orders/", "/orders/?status=open", "/cases?listed=1", "/cases?level=red"]
    if username.startswith("county_supervisor"):
        urls += ["/supervision/", "/supervision/accountability",
                 "/supervision/accountability?status=all", "/supervision/cases?listed=1",
                 "/supervision/cases?level=red&county=meixian"]
    for url in urls:
        page = text(b.get(url))
        for secret in (meixian["case_no"], meixian["order_case_no"]):
            assert secret not in page, (username, url)


def test_a_handler_of_another_unit_in_the_same_county_cannot_open_or_reply_to_the_order(
        as_user, meixian, world, session):
    from helpers import at

    from petition_flow.services.actor import SYSTEM
    from petition_flow.services.org import create_user

    create_user(session, SYSTEM, at("2026-03-01"), username="housing-handler",
                display_name="住建承办人", password="pass-word-1",
                unit_id=world.unit("meixian.housing"), role="handler")
    session.commit()
    b = as_user("housing-handler", "pass-word-1")
    assert b.get(f"/orders/{meixian['order_id']}").status_code == 404
    assert b.post(f"/orders/{meixian['order_id']}/reply", {"reply": "代答"}).status_code == 404
    assert meixian["order_case_no"] not in text(b.get("/orders/"))


def test_an_alert_of_another_case_cannot_be_named_as_the_ground_of_an_order(
        as_user, meixian, Session):
    b = as_user("county_supervisor.meixian")
    url = f"/supervision/cases/{meixian['order_case_id']}/orders/new?alert={meixian['alert_id']}"
    assert b.get(url).status_code == 404
    with nothing_changes(Session):  # no order issued
        response = b.post(f"/supervision/cases/{meixian['order_case_id']}/orders/new",
                          {"requirements": "借用他案预警", "due_date": "2030-01-01",
                           "alert_id": str(meixian["alert_id"])})
    assert response.status_code == 404


def test_the_city_supervisor_sees_the_order_and_the_record_of_any_county(as_user, meixian):
    b = as_user("city_supervisor.baoji")
    assert meixian["order_case_no"] in text(b.get(f"/orders/{meixian['order_id']}"))
    assert meixian["case_no"] in text(b.get("/supervision/accountability"))
    assert b.get(f"/supervision/cases/{meixian['case_id']}/orders/new").status_code == 200


def test_orders_and_records_that_do_not_exist_give_a_chinese_404(as_user):
    b = as_user("county_supervisor.meixian")
    for url in ("/orders/999999", "/supervision/cases/999999/orders/new"):
        response = b.get(url)
        assert response.status_code == 404 and "未找到" in text(response), url
    response = b.post("/supervision/accountability/999999/confirm", {"reason": "x"})
    assert response.status_code == 404
