"""登记: validation next to each field, repeats side by side, the receipt."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from petition_flow import clock
from petition_flow.clock import CHINA_TZ
from petition_flow.domain.identity import id_check_digit
from petition_flow.models import Case
from tests.web.conftest import text

# Received an hour ago: the pages' now is the wall clock; older than 30 days needs a reason.
RECENT = (clock.now().astimezone(CHINA_TZ) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
FIRST17 = "61032619800101123"
GOOD_ID = FIRST17 + id_check_digit(FIRST17)
BAD_ID = FIRST17 + ("0" if GOOD_ID[-1] != "0" else "1")


def form(**overrides):
    data = {
        "channel": "visit", "received_at": RECENT,
        "summary": "反映某公司拖欠工资", "request": "请求督促支付工资",
        "facts_and_reasons": "本人在某工地务工，工资至今未结清。",
        "petitioners-0-name": "张三", "petitioners-0-id_number": GOOD_ID,
        "petitioners-0-phone": "13912345678", "petitioners-0-address": "眉县首善街道",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def count(session):
    n = session.execute(select(func.count()).select_from(Case)).scalar_one()
    session.commit()
    return n


def test_registering_a_petition_leads_to_a_printable_receipt_with_the_two_notices(
        as_user, session):
    b = as_user("reception.meixian")
    response = b.post("/reception/petitions/new", form())
    assert response.status_code == 302, text(response)
    receipt = b.get(response.headers["Location"])
    page = text(receipt)
    case = session.execute(select(Case)).scalar_one()
    session.commit()
    assert case.case_no in page and case.query_code in page
    assert "登记回执及处理途径、时限告知书" in page and "信访人权利义务告知书" in page
    assert "@page" not in page  # print rules live in the stylesheet
    assert "data-print" in page


def test_a_wrong_id_check_digit_is_shown_next_to_the_field_and_the_input_is_kept(
        as_user, session):
    b = as_user("reception.meixian")
    response = b.post("/reception/petitions/new", form(**{"petitioners-0-id_number": BAD_ID}))
    assert response.status_code == 400
    page = text(response)
    assert "身份证号码校验位不正确" in page
    assert f'value="{BAD_ID}"' in page and "反映某公司拖欠工资" in page
    assert re.search(r'id="petitioners-0-id_number"[^>]*>\s*<span class="field-error">'
                     r"身份证号码校验位不正确", page)
    assert count(session) == 0


def test_a_bad_phone_number_is_refused_in_chinese(as_user, session):
    response = as_user("reception.meixian").post(
        "/reception/petitions/new", form(**{"petitioners-0-phone": "12345"}))
    assert response.status_code == 400
    assert "电话号码应为11位手机号码" in text(response)
    assert count(session) == 0


def test_a_collective_visit_may_not_name_more_than_five_representatives(as_user, session):
    extra = {"collective": "y"}
    for i in range(6):
        extra.update({f"petitioners-{i}-name": f"代表{i}", f"petitioners-{i}-representative": "y",
                      f"petitioners-{i}-id_number": "", f"petitioners-{i}-phone": ""})
    response = as_user("reception.meixian").post("/reception/petitions/new", form(**extra))
    assert response.status_code == 400
    assert "代表不得超过5人" in text(response)
    assert count(session) == 0


def test_missing_required_fields_are_named_in_chinese(as_user):
    response = as_user("reception.meixian").post(
        "/reception/petitions/new", form(summary="", channel="", **{"petitioners-0-name": ""}))
    page = text(response)
    assert response.status_code == 400
    assert "请填写事项摘要" in page and "请选择信访形式" in page and "请填写信访人姓名" in page


def test_the_add_petitioner_button_adds_a_row_and_keeps_what_was_typed(as_user, session):
    response = as_user("reception.meixian").post(
        "/reception/petitions/new", form(add_petitioner="1"))
    page = text(response)
    assert response.status_code == 200
    assert 'name="petitioners-1-name"' in page and "反映某公司拖欠工资" in page
    assert count(session) == 0


def test_possible_repeats_are_shown_side_by_side_and_nothing_is_saved_until_staff_decide(
        as_user, cases, session):
    first = cases.register(petitioners=[{"name": "张三", "id_number": GOOD_ID,
                                         "phone": "13912345678"}],
                           summary="反映某公司拖欠工资", request="请求督促支付工资",
                           facts_and_reasons="本人在某工地务工，工资至今未结清。")
    first_no, first_id = first.case_no, first.id
    session.commit()
    b = as_user("reception.meixian")
    response = b.post("/reception/petitions/new", form())
    page = text(response)
    assert response.status_code == 409
    assert "疑似重复信访事项" in page and first_no in page and "本次登记" in page
    assert count(session) == 1
    linked = b.post("/reception/petitions/new", form(repeat_of_id=str(first_id)))
    assert linked.status_code == 302
    new = session.execute(select(Case).order_by(Case.id.desc())).scalars().first()
    session.commit()
    assert new.repeat_of_id == first_id
    page = text(b.get(f"/cases/{new.id}"))
    assert "重复信访" in page and f'href="/cases/{first_id}">{first_no}<' in page


def test_staff_may_go_on_with_a_reason_when_a_match_is_not_a_repeat(as_user, cases, session):
    cases.register(petitioners=[{"name": "张三", "id_number": GOOD_ID, "phone": "13912345678"}],
                   summary="反映某公司拖欠工资", request="请求督促支付工资",
                   facts_and_reasons="本人在某工地务工，工资至今未结清。")
    session.commit()
    response = as_user("reception.meixian").post(
        "/reception/petitions/new", form(repeat_reason="另一工地的工资，不是同一事项。"))
    assert response.status_code == 302
    assert count(session) == 2


def test_a_received_time_in_the_future_is_refused(as_user):
    response = as_user("reception.meixian").post("/reception/petitions/new",
                                                 form(received_at="2999-01-01T09:00"))
    assert response.status_code == 400
    assert "收到时间不能晚于现在" in text(response)
