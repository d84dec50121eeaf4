"""同一信访人的其他信访事项: reception and handlers see a returning petitioner's other cases
prominently on the receipt and the case page, only within their own scope and only when they
need to know who the petitioner is."""

from sqlalchemy import select

from petition_flow.models import Case
from tests.web.conftest import text
from tests.web.test_web_reception import form

UNRELATED = {"summary": "建议在村口安装路灯", "request": "建议安装路灯",
             "facts_and_reasons": "夜间道路照明不足，老人出行不便。"}


def _register(b, **overrides):
    response = b.post("/reception/petitions/new", form(**overrides))
    assert response.status_code == 302, text(response)
    return response.headers["Location"]


def _cases(session):
    cases = session.execute(select(Case).order_by(Case.id)).scalars().all()
    session.commit()
    return cases


def test_the_receipt_of_a_returning_petitioner_lists_the_earlier_case_for_staff(
        as_user, session):
    b = as_user("reception.meixian")
    _register(b)
    receipt = text(b.get(_register(b, **UNRELATED)))
    first, second = _cases(session)
    assert "同一信访人的其他信访事项（1件）" in receipt
    assert first.case_no in receipt and "反映某公司拖欠工资" in receipt
    # the box is for staff: it is not printed on the receipt handed to the petitioner
    box = receipt.split('id="other-cases"')[0].rsplit("<section", 1)[1]
    assert "no-print" in box
    page = text(b.get(f"/cases/{first.id}"))
    assert "同一信访人的其他信访事项（1件）" in page and second.case_no in page


def test_a_first_time_petitioner_has_no_such_box(as_user, session):
    b = as_user("reception.meixian")
    receipt = text(b.get(_register(b)))
    assert "同一信访人的其他信访事项" not in receipt


def test_a_different_person_s_cases_are_not_listed(as_user, session):
    b = as_user("reception.meixian")
    _register(b)
    receipt = text(b.get(_register(b, **{**UNRELATED, "petitioners-0-id_number": None,
                                          "petitioners-0-name": "李四",
                                          "petitioners-0-phone": "13800000000"})))
    assert "同一信访人的其他信访事项" not in receipt


def test_another_county_s_cases_of_the_same_person_are_neither_listed_nor_counted(
        as_user, session):
    _register(as_user("reception.jintai"), **{"petitioners-0-address": "金台区"})
    b = as_user("reception.meixian")
    receipt = text(b.get(_register(b, **UNRELATED)))
    assert "同一信访人的其他信访事项" not in receipt
    jintai_case = _cases(session)[0]
    assert jintai_case.case_no not in receipt


def test_a_reader_who_may_not_know_the_petitioner_is_not_shown_the_link(as_user, session):
    b = as_user("reception.meixian")
    _register(b)
    _register(b, **UNRELATED)
    first, _ = _cases(session)
    page = text(as_user("city_supervisor.baoji").get(f"/cases/{first.id}"))
    assert first.case_no in page  # the city reads the case, masked
    assert "同一信访人的其他信访事项" not in page
