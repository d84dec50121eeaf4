"""督办单 pages: a supervisor issues from a case, the unit replies in writing, the supervisor
closes or returns it; lists per role with status filters; 挂牌督办 marked on the case."""

import re
from datetime import timedelta

from helpers import nothing_changes
from sqlalchemy import select

from petition_flow.models import Case, SupervisionOrder
from tests.web.conftest import text
from tests.web.oversight_helpers import open_order, today


def order_row(session, order_id):
    session.expire_all()
    order = session.get(SupervisionOrder, order_id)
    session.commit()
    return order


def test_a_county_supervisor_issues_a_listed_order_from_the_case_page(as_user, cases, session):
    case = cases.walk(["classify", "transfer", "accept"])
    case_id, case_no = case.id, case.case_no
    session.commit()
    b = as_user("county_supervisor.meixian")
    page = text(b.get(f"/cases/{case_id}"))
    assert "暂无督办单" in page
    assert f'href="/supervision/cases/{case_id}/orders/new"' in page
    form = text(b.get(f"/supervision/cases/{case_id}/orders/new"))
    assert case_no in form and "人力资源" in form and "挂牌督办" in form  # target: its unit
    due = (today() + timedelta(days=5)).isoformat()
    response = b.post(f"/supervision/cases/{case_id}/orders/new",
                      {"requirements": "请于期限内书面回复。", "due_date": due, "listed": "y"})
    assert response.status_code == 302
    order = session.execute(select(SupervisionOrder)).scalar_one()
    session.commit()
    assert response.location.endswith(f"/orders/{order.id}")
    assert order.listed and order.due_date.isoformat() == due
    page = text(b.get(f"/cases/{case_id}"))
    assert re.search(r'<h1>.*挂牌督办.*</h1>', page, re.S)
    assert f"第{order.id}号" in page and "待回复" in page


def test_issuing_without_requirements_or_with_a_past_date_keeps_the_input_and_says_why(
        as_user, cases, session):
    case = cases.walk(["classify", "transfer", "accept"])
    case_id = case.id
    session.commit()
    b = as_user("county_supervisor.meixian")
    url = f"/supervision/cases/{case_id}/orders/new"
    response = b.post(url, {"requirements": "", "due_date": "2030-01-01", "listed": "y"})
    assert response.status_code == 400
    page = text(response)
    assert re.search(r'field-error">请填写督办要求。', page) and 'value="2030-01-01"' in page
    response = b.post(url, {"requirements": "请书面回复。", "due_date": today().isoformat()})
    page = text(response)
    assert response.status_code == 400 and "督办期限应晚于今天" in page and "请书面回复。" in page
    response = b.post(url, {"requirements": "请书面回复。", "due_date": "不是日期"})
    assert response.status_code == 400 and "督办期限应晚于今天" in text(response)
    assert session.execute(select(SupervisionOrder)).first() is None
    session.commit()


def test_the_unit_replies_in_writing_and_the_supervisor_closes_the_order(
        as_user, cases, session, world):
    order_id, case_id, case_no = open_order(cases, session, world)
    handler = as_user("handler.meixian")
    listed = text(handler.get("/orders/?status=open"))
    assert case_no in listed and "挂牌督办" in listed
    page = text(handler.get(f"/orders/{order_id}"))
    assert "提交书面回复" in page and "请查明欠薪事实并书面回复。" in page
    response = handler.post(f"/orders/{order_id}/reply", {"reply": ""})
    assert response.status_code == 400 and "请填写书面回复内容" in text(response)
    response = handler.post(f"/orders/{order_id}/reply", {"reply": "已约谈用人单位，工资已付清。"})
    assert response.status_code == 302 and order_row(session, order_id).status == "replied"

    supervisor = as_user("county_supervisor.meixian")
    assert case_no in text(supervisor.get("/orders/?status=replied"))
    assert case_no not in text(supervisor.get("/orders/?status=open"))
    page = text(supervisor.get(f"/orders/{order_id}"))
    assert "已约谈用人单位" in page and "办结督办单" in page and "退回重办" in page
    response = supervisor.post(f"/orders/{order_id}/close", {"note": ""})
    assert response.status_code == 400 and "请填写办结意见" in text(response)
    response = supervisor.post(f"/orders/{order_id}/close", {"note": "回复属实，同意办结。"})
    assert response.status_code == 302 and order_row(session, order_id).status == "closed"
    listed_now = session.execute(select(Case.listed_supervision)
                                 .where(Case.id == case_id)).scalar_one()
    session.commit()
    assert not listed_now  # 挂牌督办 ends with the last listed order
    assert "该督办单已办结" in text(handler.get(f"/orders/{order_id}"))


def test_the_supervisor_returns_a_reply_with_a_new_due_date(as_user, cases, session, world):
    order_id, *_ = open_order(cases, session, world)
    as_user("unit_leader.meixian").post(f"/orders/{order_id}/reply", {"reply": "正在核查。"})
    supervisor = as_user("county_supervisor.meixian")
    response = supervisor.post(f"/orders/{order_id}/return",
                               {"note": "回复过于简单。", "due_date": ""})
    page = text(response)
    assert response.status_code == 400 and "督办期限应晚于今天" in page and "回复过于简单。" in page
    new_due = today() + timedelta(days=20)
    response = supervisor.post(f"/orders/{order_id}/return",
                               {"note": "回复过于简单。", "due_date": new_due.isoformat()})
    assert response.status_code == 302
    order = order_row(session, order_id)
    assert (order.status, order.version, order.due_date) == ("open", 2, new_due)
    assert "提交书面回复" in text(as_user("handler.meixian").get(f"/orders/{order_id}"))


def test_only_the_target_unit_replies_and_only_supervisors_close(
        as_user, cases, session, world, Session):
    order_id, *_ = open_order(cases, session, world)
    supervisor, handler = as_user("county_supervisor.meixian"), as_user("handler.meixian")
    with nothing_changes(Session):  # no reply, close or return is recorded
        assert supervisor.post(
            f"/orders/{order_id}/reply", {"reply": "代为回复"}).status_code == 403
        assert handler.post(f"/orders/{order_id}/close", {"note": "自行办结"}).status_code == 403
        assert handler.post(f"/orders/{order_id}/return",
                            {"note": "x", "due_date": "2030-01-01"}).status_code == 403
    assert as_user("reception.meixian").get("/orders/").status_code == 403
    assert as_user("admin.baoji").get(f"/orders/{order_id}").status_code == 403
    assert as_user("handler.meixian").get("/supervision/cases/1/orders/new").status_code == 403
    assert order_row(session, order_id).status == "open"


def test_the_order_lists_filter_by_status_and_reject_an_unknown_one_in_chinese(
        as_user, cases, session, world):
    _, _, case_no = open_order(cases, session, world)
    b = as_user("city_supervisor.baoji")
    assert case_no in text(b.get("/orders/?status=unclosed"))
    assert case_no in text(b.get("/orders/"))
    assert case_no not in text(b.get("/orders/?status=closed"))
    response = b.get("/orders/?status=bogus")
    assert response.status_code == 400 and "状态无效" in text(response)


def test_a_listed_case_is_marked_in_the_case_lists_and_on_the_dashboard(
        as_user, cases, session, world):
    _, case_id, case_no = open_order(cases, session, world)
    plain = cases.walk(["classify", "transfer", "accept"])
    plain_no = plain.case_no
    session.commit()
    page = text(as_user("handler.meixian").get("/cases"))
    row = re.search(rf"{case_no}</a>(.*?)</td>", page).group(1)
    assert "挂牌督办" in row
    assert "挂牌督办" not in re.search(rf"{plain_no}</a>(.*?)</td>", page).group(1)
    b = as_user("county_supervisor.meixian")
    dashboard = text(b.get("/supervision/"))
    link = re.search(r'class="listed-link" href="([^"]+)">(\d+)<', dashboard)
    assert int(link.group(2)) == 1
    listed = text(b.get(link.group(1).replace("&amp;", "&")))
    assert case_no in listed and plain_no not in listed and "挂牌督办事项" in listed


def test_issuing_and_replying_need_the_csrf_token(as_user, cases, session, world, Session):
    order_id, case_id, _ = open_order(cases, session, world)
    supervisor, handler = as_user("county_supervisor.meixian"), as_user("handler.meixian")
    with nothing_changes(Session):
        response = supervisor.post(
            f"/supervision/cases/{case_id}/orders/new",
            {"requirements": "请回复。", "due_date": "2030-01-01"}, csrf=False)
        assert response.status_code == 400 and "CSRF" in text(response)
        response = handler.post(f"/orders/{order_id}/reply", {"reply": "已办理。"}, csrf=False)
        assert response.status_code == 400 and order_row(session, order_id).status == "open"
        response = supervisor.post(f"/orders/{order_id}/close", {"note": "好"}, csrf=False)
    assert response.status_code == 400
